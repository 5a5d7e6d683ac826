/**
 * The client's snapshot (backup) streamed from pinned views: MemberBackend.snapshot() on a store
 * of many MB yields it slice by slice (never whole), gives the event loop back between slices, and
 * the bytes are the state at the call however many writes and compactions are applied meanwhile.
 */
import { expect } from 'chai';
import { StateMachine, type ApplyResult } from '../../server/apply/index.js';
import { assembleRequestPath, type RequestPath } from '../../server/member/request-path.js';
import { startStreamedBackup } from '../../server/member/snapshot-backup.js';
import { StateMachinePort } from '../../server/member/state-machine-port.js';
import { SNAPSHOT_SLICE_BYTES } from '../../server/mvcc/snapshot-codec.js';
import { SeededRandom } from '../../server/platform/random.js';
import { Replica } from '../../server/replica/index.js';
import { framedSizeBytes } from '../../client/protocol/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { unframeSnapshot } from '../helpers/snapshot-file.js';
import { putReq } from '../helpers/requests.js';
import {
  advanceUntil,
  advanceUntilSettled,
  indexZeroSnapshot,
  MemoryReplicaStorage,
} from '../unit/replica/fixtures.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
/** A slice is about SNAPSHOT_SLICE_BYTES; one record may overshoot it (values here are 1 KiB). */
const MAX_SLICE_BYTES = SNAPSHOT_SLICE_BYTES + 4096;

function fill(machine: StateMachine, keys: number, firstIndex = 1): number {
  const value = new Uint8Array(1024).fill(7);
  let index = firstIndex;
  for (let i = 0; i < keys; i++) {
    machine.apply(index++, {
      type: 'put',
      request: { key: enc(`key-${String(i).padStart(6, '0')}`), value },
    });
  }
  return index;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('streamed client snapshot (backup)', function () {
  this.timeout(60_000);

  it('yields the state at the call slice by slice while writes and compactions go on', async () => {
    const machine = new StateMachine();
    let index = fill(machine, 4000);
    const expected = machine.snapshot();
    const events: string[] = [];
    const pause = (): Promise<void> => {
      events.push('pause');
      return new Promise((resolve) => setImmediate(resolve));
    };
    const backup = await startStreamedBackup(() => machine.beginSnapshot(), undefined, pause);
    expect(backup.sizeBytes).to.equal(framedSizeBytes(expected.length));
    const parts: Uint8Array[] = [];
    for await (const chunk of backup.chunks) {
      events.push('chunk');
      expect(chunk.length).to.be.at.most(MAX_SLICE_BYTES);
      parts.push(chunk);
      // Overwrite, delete and compact under the stream: the backup still is the state at the call.
      machine.apply(index++, {
        type: 'put',
        request: { key: enc(`key-${String(parts.length).padStart(6, '0')}`), value: enc('new') },
      });
      machine.apply(index++, {
        type: 'deleteRange',
        request: { key: enc(`key-${String(parts.length + 2000).padStart(6, '0')}`) },
      });
      machine.apply(index++, {
        type: 'compact',
        revision: (machine.apply(index++, { type: 'put', request: putReq('x', 'x') }) as { revision: number })
          .revision,
      });
    }
    expect(parts.length).to.be.greaterThan(10);
    expect(Buffer.compare(unframeSnapshot(concat(parts)), expected)).to.equal(0);
    // Never two slices of work without the event loop having a turn in between.
    const chunkEvents = events.slice(events.indexOf('chunk'));
    for (let i = 1; i < chunkEvents.length; i++) {
      expect(`${chunkEvents[i - 1]},${chunkEvents[i]}`).not.to.equal('chunk,chunk');
    }
  });

  it('releases its views when the consumer stops early or never starts', async () => {
    const machine = new StateMachine();
    fill(machine, 2000);
    const pins = (): number | undefined =>
      (machine as unknown as { store: { pinnedRevision: number | undefined } }).store.pinnedRevision;
    const early = await startStreamedBackup(() => machine.beginSnapshot(), undefined, turn);
    expect(pins()).not.to.equal(undefined);
    for await (const _ of early.chunks) break;
    const never = await startStreamedBackup(() => machine.beginSnapshot(), undefined, turn);
    expect(pins()).not.to.equal(undefined);
    await never.chunks[Symbol.asyncIterator]().return?.();
    expect(pins()).to.equal(undefined);
  });

  it('MemberBackend.snapshot() streams a large store in bounded chunks', async () => {
    const clock = new ManualClock();
    const storage = new MemoryReplicaStorage(indexZeroSnapshot([1]));
    const machine = new StateMachine();
    const port = new StateMachinePort(machine, clock);
    const replica = new Replica<ApplyResult>({
      id: 1,
      boot: storage.boot(),
      platform: { clock, timers: clock, random: new SeededRandom(3) },
      storage,
      stateMachine: port,
      peers: { send: () => undefined },
      tickIntervalMs: 100,
      electionTicks: 10,
      snapshotCount: 100_000,
      requestTimeoutMs: 5000,
    });
    let path: RequestPath | undefined;
    try {
      path = assembleRequestPath({
        replica,
        machine,
        port,
        clock,
        timers: clock,
        clusterId: 9,
        memberId: 1,
        electionTimeoutMs: 1000,
      });
      replica.start();
      await advanceUntil(clock, () => replica.isLeader(), 'leader', { stepMs: 100, limitMs: 60_000 });
      const backend = path.backend;
      const big = 'v'.repeat(1024);
      const puts = [];
      for (let i = 0; i < 3000; i++) puts.push(backend.put(putReq(`k${i}`, big), {}));
      await advanceUntilSettled(clock, Promise.all(puts), { stepMs: 100, limitMs: 60_000 });
      const expected = machine.snapshot();
      const snap = await advanceUntilSettled(clock, backend.snapshot({}), { stepMs: 100, limitMs: 60_000 });
      expect(snap.sizeBytes).to.equal(framedSizeBytes(expected.length));
      const parts: Uint8Array[] = [];
      let late: Promise<unknown> | undefined;
      const consume = async (): Promise<void> => {
        for await (const chunk of snap.chunks) {
          expect(chunk.length).to.be.at.most(MAX_SLICE_BYTES);
          parts.push(chunk);
          // A write between two chunks is not part of the backup.
          late ??= backend.put(putReq('late', big), {});
        }
      };
      // The backend yields between slices through the member's timers (virtual time here).
      await advanceUntilSettled(clock, consume(), { stepMs: 1, limitMs: 60_000 });
      await advanceUntilSettled(clock, late ?? Promise.resolve(), { stepMs: 100, limitMs: 60_000 });
      expect(parts.length).to.be.greaterThan(5);
      expect(Buffer.compare(unframeSnapshot(concat(parts)), expected)).to.equal(0);
    } finally {
      path?.close();
      await replica.stop();
    }
  });
});
