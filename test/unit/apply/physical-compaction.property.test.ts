/**
 * Physical compaction runs at a different moment on every member (from its own tick), so nothing
 * replicated may depend on how far it got. Three state machines apply the same random entries —
 * puts, deletes, txns with compares, compactions, lease grants and revokes, under a small quota so
 * that NO_SPACE decisions happen — and differ only in physical compaction: one drops everything at
 * once after every entry, one never drops, one drops random batches at random points (and now and
 * then, mid-drop, installs the never-dropping one's snapshot, as a lagging follower does). Every
 * result, the hash, the quota count, the snapshot, every range at every readable revision and
 * what a watch catches up must be the same on all three.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { StateMachine, encodeCommand, type ApplyResult, type Command } from '../../../server/apply/index.js';
import { RECORD_OVERHEAD_BYTES, type RequestOp } from '../../../server/mvcc/index.js';
import type { WatchResponse } from '../../../server/watch/index.js';

const KEYS = ['a', 'ab', 'b', 'ba', 'c', 'd'];
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** About a dozen small records: writes hit NO_SPACE until a compaction frees room. */
const QUOTA_BYTES = 12 * (2 + 2 + RECORD_OVERHEAD_BYTES);

type Op =
  | { type: 'put'; key: string; value: string; lease: number }
  | { type: 'delete'; key: string; end: string | undefined }
  | { type: 'txn'; key: string; version: number; then: string; otherwise: string }
  | { type: 'compact'; back: number }
  | { type: 'grant'; id: number }
  | { type: 'revoke'; id: number }
  | { type: 'drop'; maxEvents: number }
  | { type: 'install' };

const keyArb = fc.constantFrom(...KEYS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('put' as const),
      key: keyArb,
      value: fc.constantFrom('', 'x', 'yy'),
      lease: fc.constantFrom(0, 0, 0, 1, 2),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('delete' as const),
      key: keyArb,
      end: fc.option(fc.constantFrom('b', 'c', '\0'), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('txn' as const),
      key: keyArb,
      version: fc.nat(3),
      then: keyArb,
      otherwise: keyArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('compact' as const), back: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('grant' as const), id: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revoke' as const), id: fc.constantFrom(1, 2) }) },
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('drop' as const), maxEvents: fc.integer({ min: 1, max: 4 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'install' as const }) },
);

function command(op: Op, currentRevision: number): Command | undefined {
  const put = (key: string, value: string): RequestOp => ({
    type: 'put',
    request: { key: bytes(key), value: bytes(value) },
  });
  switch (op.type) {
    case 'put':
      return {
        type: 'put',
        request: { key: bytes(op.key), value: bytes(op.value), lease: op.lease },
      };
    case 'delete':
      return {
        type: 'deleteRange',
        request:
          op.end === undefined ? { key: bytes(op.key) } : { key: bytes(op.key), rangeEnd: bytes(op.end) },
      };
    case 'txn':
      return {
        type: 'txn',
        request: {
          compare: [{ key: bytes(op.key), target: 'version', result: 'equal', value: op.version }],
          success: [put(op.then, 'tt')],
          failure: [
            put(op.otherwise, 'f'),
            { type: 'range', request: { key: bytes('a'), rangeEnd: bytes('\0') } },
          ],
        },
      };
    case 'compact':
      return { type: 'compact', revision: Math.max(1, currentRevision - op.back) };
    case 'grant':
      return { type: 'leaseGrant', id: op.id, ttlSec: 60 };
    case 'revoke':
      return { type: 'leaseRevoke', id: op.id };
    case 'drop':
    case 'install':
      return undefined;
  }
}

const newMachine = (): StateMachine =>
  new StateMachine({
    mvcc: { quotaBytes: QUOTA_BYTES },
    watch: { maxBufferedEvents: 1000, maxEventsPerResponse: 1000, maxRevisionsPerSync: 1000 },
  });

function json(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x instanceof Uint8Array
      ? [...x]
      : x instanceof Error
        ? { code: (x as Error & { code: string }).code }
        : x,
  );
}

/** Every range over all keys at every revision, as the store answers it (or the error code). */
function reads(sm: StateMachine): string {
  const out: unknown[] = [];
  for (let rev = 1; rev <= sm.store.currentRevision; rev++) {
    try {
      out.push(sm.range({ key: bytes('\0'), rangeEnd: bytes('\0'), revision: rev }));
    } catch (err) {
      out.push(err);
    }
  }
  return json(out);
}

/** A watch on all keys from `start`, caught up to the end: what it delivers. */
function watchFrom(sm: StateMachine, start: number): WatchResponse[] {
  const id = sm.watchable.watch({
    key: bytes('\0'),
    rangeEnd: bytes('\0'),
    startRevision: start,
    prevKv: true,
  });
  const out: WatchResponse[] = [];
  for (let i = 0; i < 100; i++) {
    const behind = sm.watchable.sync();
    out.push(...sm.watchable.take(id));
    if (behind === 0) break;
  }
  sm.watchable.cancel(id);
  return out;
}

/** Catches every watcher up, as the member's watch pump does after each applied batch. */
function catchUp(sm: StateMachine): void {
  for (let i = 0; i < 100 && sm.watchable.sync() > 0; i++);
}

describe('physical compaction (property)', () => {
  it('changes no result, hash, quota decision, snapshot, read or watch, whenever it runs', () => {
    // Across runs: writes refused by the quota, and writes accepted while `never` still held
    // compacted history (so room freed logically, not physically, let them in).
    let noSpace = 0;
    let admittedWhilePending = 0;
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80, size: 'max' }), (ops) => {
        const eager = newMachine();
        const never = newMachine();
        const random = newMachine();
        const machines = [eager, never, random];
        // A watch opened at the start: canceled with COMPACTED (saying so) once compaction passes it.
        const early = machines.map((sm) => sm.watchable.watch({ key: bytes('\0'), rangeEnd: bytes('\0') }));
        let index = 0;
        for (const op of ops) {
          if (op.type === 'drop') {
            random.store.dropCompactedBatch(op.maxEvents);
            continue;
          }
          if (op.type === 'install') {
            random.restore(never.snapshot());
            catchUp(random);
            continue;
          }
          const c = command(op, eager.store.currentRevision) as Command;
          const entry = encodeCommand(c);
          index++;
          const results: ApplyResult[] = machines.map((sm) => sm.applyEntry(index, entry));
          while (eager.store.dropCompactedBatch(1));
          machines.forEach(catchUp);
          const [first, ...others] = results.map(json);
          for (const r of others) expect(r, json(op)).to.equal(first);
          if (results[0]?.status === 'error' && results[0].error.code === 'NO_SPACE') noSpace++;
          if (results[0]?.status === 'ok' && c.type === 'put' && never.store.compactionPending)
            admittedWhilePending++;
          expect(never.store.sizeBytes).to.equal(eager.store.sizeBytes);
          expect(random.store.sizeBytes).to.equal(eager.store.sizeBytes);
          expect(never.hash()).to.equal(eager.hash());
          expect(random.hash()).to.equal(eager.hash());
        }
        expect(eager.store.compactionPending).to.equal(false);
        const snapshot = eager.snapshot();
        expect(never.snapshot()).to.deep.equal(snapshot);
        expect(random.snapshot()).to.deep.equal(snapshot);
        expect(reads(never)).to.equal(reads(eager));
        expect(reads(random)).to.equal(reads(eager));
        const from = Math.max(1, eager.store.compactRevision);
        const watched = json(watchFrom(eager, from));
        expect(json(watchFrom(never, from))).to.equal(watched);
        expect(json(watchFrom(random, from))).to.equal(watched);
        const earlyEnds = machines.map((sm, i) => json(sm.watchable.take(early[i] as number)));
        expect(earlyEnds[1]).to.equal(earlyEnds[0]);
        expect(earlyEnds[2]).to.equal(earlyEnds[0]);
        // The never-dropped machine restored from its own snapshot is the eager one.
        const restored = newMachine();
        restored.restore(never.snapshot());
        expect(restored.hash()).to.equal(eager.hash());
        expect(restored.store.sizeBytes).to.equal(eager.store.sizeBytes);
      }),
      { numRuns: 300 },
    );
    expect(noSpace, 'runs that hit the quota').to.be.greaterThan(0);
    expect(admittedWhilePending, 'puts admitted while history was still held').to.be.greaterThan(0);
  });
});
