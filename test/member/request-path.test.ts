/**
 * The member's request path (MemberBackend + watch pump + lease driver + auto-compaction) built on
 * ports alone (server/member/request-path.ts): a replica on in-memory storage, a manual clock as
 * its clock and timers, no socket, no disk and no real time. Everything below goes through the
 * backend the client API calls, as the simulator's clients do.
 */
import { expect } from 'chai';
import { getEventListeners } from 'node:events';
import type * as P from '../../client/protocol/index.js';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { NotLeaderError, type WatchSink } from '../../server/api/backend.js';
import { MetricsRegistry } from '../../server/api/metrics.js';
import { StateMachine, type ApplyResult } from '../../server/apply/index.js';
import { assembleRequestPath, type RequestPath } from '../../server/member/request-path.js';
import { StateMachinePort } from '../../server/member/state-machine-port.js';
import type { AutoCompactionOptions } from '../../server/mvcc/index.js';
import { SeededRandom } from '../../server/platform/random.js';
import type { Message } from '../../server/raft/index.js';
import { Replica } from '../../server/replica/index.js';
import { ManualClock } from '../helpers/manual-clock.js';
import { bytes, compareNumber, putReq, rangeReq, text, watchReq } from '../helpers/requests.js';
import { prefixEnd } from '../sim/clients/record.js';
import {
  advanceUntil,
  advanceUntilSettled,
  indexZeroSnapshot,
  MemoryReplicaStorage,
} from '../unit/replica/fixtures.js';

const TICK_MS = 100;
const ELECTION_TIMEOUT_MS = 1000;
/** A watch of every key under `prefix`. */
const watchPrefix = (prefix: string, startRevision = 0): P.WatchCreateRequest =>
  watchReq(prefix, prefixEnd(prefix), startRevision);

/** Collects what a watch delivers, as "put k@rev" / "delete k@rev" lines. */
class RecordingSink implements WatchSink {
  readonly seen: string[] = [];
  endedWith: Error | undefined;
  events(events: readonly P.WatchEvent[]): void {
    for (const e of events) this.seen.push(`${e.type} ${text(e.kv.key)}@${e.kv.modRevision}`);
  }
  ended(err: Error): void {
    this.endedWith = err;
  }
}

/** One member of a cluster: replica, apply state machine and request path, on a shared clock. */
interface TestMember {
  readonly id: number;
  readonly replica: Replica<ApplyResult>;
  readonly machine: StateMachine;
  readonly path: RequestPath;
}

class PortsOnlyCluster {
  readonly clock = new ManualClock();
  readonly members = new Map<number, TestMember>();
  private readonly random = new SeededRandom(7);

  constructor(ids: readonly number[], options: { autoCompaction?: AutoCompactionOptions } = {}) {
    const initial = indexZeroSnapshot(ids);
    for (const id of ids) {
      const storage = new MemoryReplicaStorage(initial);
      // Lease checkpoints every second, so the lease driver proposes them within the test.
      const machine = new StateMachine({ lessor: { checkpointIntervalMs: 1000 } });
      const port = new StateMachinePort(machine, this.clock);
      const replica = new Replica<ApplyResult>({
        id,
        boot: storage.boot(),
        platform: { clock: this.clock, timers: this.clock, random: this.random.fork() },
        storage,
        stateMachine: port,
        peers: { send: (msgs) => this.route(msgs) },
        tickIntervalMs: TICK_MS,
        electionTicks: ELECTION_TIMEOUT_MS / TICK_MS,
        snapshotCount: 10_000,
        snapshotCatchUpEntries: 100,
        requestTimeoutMs: 5000,
      });
      const path = assembleRequestPath({
        replica,
        machine,
        port,
        clock: this.clock,
        timers: this.clock,
        clusterId: 99,
        memberId: id,
        electionTimeoutMs: ELECTION_TIMEOUT_MS,
        ...(options.autoCompaction !== undefined ? { autoCompaction: options.autoCompaction } : {}),
      });
      this.members.set(id, { id, replica, machine, path });
    }
    for (const m of this.members.values()) m.replica.start();
  }

  private route(msgs: readonly Message[]): void {
    for (const m of msgs) queueMicrotask(() => this.members.get(m.to)?.replica.step(m));
  }

  /** Advances virtual time until `cond` holds (bounded: a stuck run fails instead of hanging). */
  until(cond: () => boolean, what: string, limitMs = 60_000): Promise<void> {
    return advanceUntil(this.clock, cond, what, { stepMs: TICK_MS, limitMs });
  }

  /** Moves virtual time on until `promise` settles; resolves or rejects as it does. */
  settle<T>(promise: Promise<T>): Promise<T> {
    return advanceUntilSettled(this.clock, promise, { stepMs: TICK_MS, limitMs: 60_000 });
  }

  async leader(): Promise<TestMember> {
    await this.until(() => [...this.members.values()].some((m) => m.replica.isLeader()), 'a leader');
    return [...this.members.values()].find((m) => m.replica.isLeader())!;
  }

  async stop(): Promise<void> {
    for (const m of this.members.values()) {
      m.path.close();
      await m.replica.stop();
    }
  }
}

describe('the member request path on ports alone (no socket, no disk, virtual time)', () => {
  let cluster: PortsOnlyCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('serves put → watch event → lease grant, keep-alive and expiry revoke → compaction', async () => {
    const c = (cluster = new PortsOnlyCluster([1]));
    const { path, machine } = await c.leader();
    const backend = path.backend;
    const opts = {};

    // A watch from now on sees the put.
    const live = new RecordingSink();
    const liveHandle = await backend.watch(watchPrefix('k'), live, opts);
    const put = await c.settle(backend.put(putReq('k1', 'v1'), opts));
    expect(put.header.memberId).to.equal(1);
    expect(put.header.clusterId).to.equal(99);
    const putRev = put.header.revision;
    expect(live.seen).to.deep.equal([`put k1@${putRev}`]);
    const read = await c.settle(backend.range(rangeReq('k1'), opts));
    expect(read.kvs.map((kv) => text(kv.value))).to.deep.equal(['v1']);

    // A lease, kept alive past its TTL through the leader's lessor, on the manual clock.
    const grant = await c.settle(backend.leaseGrant({ id: 0, ttlSec: 3 }, opts));
    expect(grant.ttlSec).to.equal(3);
    const leasedPut = await c.settle(backend.put(putReq('k2', 'leased', grant.id), opts));
    const revoked: number[] = [];
    backend.onLeaseRevoked((id) => revoked.push(id));
    const grantedAt = c.clock.nowMs();
    for (let i = 0; i < 4; i++) {
      await c.clock.advance(2000);
      const ka = await backend.leaseKeepAlive(grant.id, opts);
      expect(ka.ttlSec).to.equal(3);
    }
    expect(c.clock.nowMs() - grantedAt).to.be.greaterThan(3000 + ELECTION_TIMEOUT_MS);
    const alive = await c.settle(backend.leaseTimeToLive({ id: grant.id, keys: true }, opts));
    expect(alive.ttlSec).to.be.within(1, 3);
    expect(alive.keys.map(text)).to.deep.equal(['k2']);
    expect(revoked).to.deep.equal([]);

    // No more keep-alives: the lease driver proposes the revoke on a tick once it expired.
    await c.until(() => revoked.length > 0, 'the lease to expire and be revoked');
    expect(revoked).to.deep.equal([grant.id]);
    const gone = await c.settle(backend.range(rangeReq('k2'), opts));
    expect(gone.kvs).to.deep.equal([]);
    const ttl = await c.settle(backend.leaseTimeToLive({ id: grant.id, keys: false }, opts));
    expect(ttl.ttlSec).to.equal(-1);
    const revokeRev = machine.store.currentRevision;
    expect(live.seen).to.deep.equal([
      `put k1@${putRev}`,
      `put k2@${leasedPut.header.revision}`,
      `delete k2@${revokeRev}`,
    ]);
    liveHandle.cancel();

    // Compaction through the log; a watch from a compacted revision is refused with COMPACTED.
    await c.settle(backend.compact({ revision: revokeRev, physical: true }, opts));
    expect(machine.store.compactRevision).to.equal(revokeRev);
    const refused = await backend.watch(watchPrefix('k', putRev), new RecordingSink(), opts).then(
      () => undefined,
      (err: unknown) => err as { code?: string },
    );
    expect(refused?.code).to.equal(ErrorCode.Compacted);
  });

  it('catches a watch up from history in rounds deferred on the given timers, not on the event loop', async () => {
    const c = (cluster = new PortsOnlyCluster([1]));
    const { path } = await c.leader();
    const revs: number[] = [];
    for (let i = 0; i < 5; i++)
      revs.push((await c.settle(path.backend.put(putReq(`h${i}`, 'x'), {}))).header.revision);
    const before = c.clock.pendingTimers();
    const sink = new RecordingSink();
    await path.backend.watch(watchPrefix('h', revs[0]), sink, {});
    // The catch-up round is a zero-delay timer of the manual clock: it waits for the clock to move.
    expect(c.clock.pendingTimers()).to.equal(before + 1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(sink.seen).to.deep.equal([]);
    await c.clock.advance(0);
    expect(sink.seen).to.deep.equal(revs.map((r, i) => `put h${i}@${r}`));
  });

  it('ends open watches with UNAVAILABLE when the member stops (a crash in the simulator)', async () => {
    const c = (cluster = new PortsOnlyCluster([1]));
    const { path } = await c.leader();
    const sink = new RecordingSink();
    await path.backend.watch(watchPrefix('s'), sink, {});
    await c.settle(path.backend.put(putReq('s1', 'x'), {}));
    path.close();
    expect(sink.seen).to.have.length(1);
    expect((sink.endedWith as { code?: string } | undefined)?.code).to.equal(ErrorCode.Unavailable);
  });

  it("compacts in apply on every member, then drops the history on each member's ticks", async () => {
    const c = (cluster = new PortsOnlyCluster([1, 2, 3]));
    const leader = await c.leader();
    for (let i = 0; i < 20; i++) await c.settle(leader.path.backend.put(putReq(`c${i % 4}`, String(i)), {}));
    const target = leader.machine.store.currentRevision;
    // What each member holds the moment it applied the compaction (before any tick ran).
    const atApply = new Map<number, { pending: boolean; refused: string | undefined }>();
    const offs = [...c.members.values()].map((m) =>
      m.replica.onApplied(() => {
        if (atApply.has(m.id) || m.machine.store.compactRevision !== target) return;
        let refused: string | undefined;
        try {
          m.machine.range({ key: bytes('c0'), revision: target - 1 });
        } catch (err) {
          refused = (err as { code?: string }).code;
        }
        atApply.set(m.id, { pending: m.machine.store.compactionPending, refused });
      }),
    );
    await c.settle(leader.path.backend.compact({ revision: target, physical: true }, {}));
    // `physical`: the answering member has dropped the history when the answer comes.
    expect(leader.machine.store.compactionPending).to.equal(false);
    await c.until(() => atApply.size === 3, 'every member to apply the compaction');
    for (const off of offs) off();
    expect([...atApply.values()]).to.deep.equal(
      [1, 2, 3].map(() => ({ pending: true, refused: ErrorCode.Compacted })),
    );
    const members = [...c.members.values()];
    await c.until(
      () => members.every((m) => !m.machine.store.compactionPending),
      'every member to drop the compacted history',
    );
    await c.until(
      () => members.every((m) => m.machine.appliedIndex === leader.machine.appliedIndex),
      'every member to apply the same entries',
    );
    expect(new Set(members.map((m) => m.machine.hash())).size).to.equal(1);
    expect(members.map((m) => m.machine.store.indexedKeyCount)).to.deep.equal([4, 4, 4]);
  });

  it('compacts by itself on the leader when auto-compaction is configured', async () => {
    const c = (cluster = new PortsOnlyCluster([1], {
      autoCompaction: { mode: 'revision', retainRevisions: 3, checkIntervalMs: 0 },
    }));
    const { path, machine } = await c.leader();
    for (let i = 0; i < 8; i++) await c.settle(path.backend.put(putReq('a', String(i)), {}));
    const current = machine.store.currentRevision;
    await c.until(() => machine.store.compactRevision === current - 3, 'auto-compaction');
  });

  it("leaves no abort listener behind on a signal many calls share, as a connection's do", async () => {
    const c = (cluster = new PortsOnlyCluster([1, 2, 3]));
    const leader = await c.leader();
    const follower = [...c.members.values()].find((m) => m !== leader)!;
    await c.until(() => follower.replica.leaderId() === leader.id, 'the follower to know the leader');
    const connection = new AbortController();
    const opts = { signal: connection.signal };
    const listeners = (): number => getEventListeners(connection.signal, 'abort').length;

    // A call that waits listens to the signal, so that closing the connection ends the wait.
    const pending = leader.path.backend.put(putReq('a', 'waiting'), opts);
    expect(listeners(), 'a put waiting for its commit listens').to.be.greaterThan(0);
    await c.settle(pending);
    expect(listeners(), 'and stops listening once answered').to.equal(0);

    for (const m of [leader, follower]) {
      const b = m.path.backend;
      const put = await c.settle(b.put(putReq(`k${m.id}`, 'v'), opts));
      await c.settle(b.range(rangeReq(`k${m.id}`), opts));
      await c.settle(b.range(rangeReq(`k${m.id}`, '', { serializable: true }), opts));
      await c.settle(
        b.txn(
          {
            compare: [compareNumber(`k${m.id}`, 'greater', 'version', 0)],
            success: [{ type: 'put', request: putReq(`k${m.id}`, 'w') }],
            failure: [{ type: 'range', request: rangeReq(`k${m.id}`) }],
          },
          opts,
        ),
      );
      await c.settle(
        b.deleteRange({ key: bytes(`k${m.id}`), rangeEnd: new Uint8Array(0), prevKv: true }, opts),
      );
      const grant = await c.settle(b.leaseGrant({ id: 0, ttlSec: 30 }, opts));
      await c.settle(b.leaseTimeToLive({ id: grant.id, keys: true }, opts));
      await c.settle(b.leaseLeases(opts));
      await c.settle(b.leaseKeepAlive(grant.id, opts)).catch((err: unknown) => {
        // a follower refuses keep-alives: the leader's
        expect(err).to.be.instanceOf(NotLeaderError);
      });
      await c.settle(b.leaseRevoke({ id: grant.id }, opts));
      await c.settle(b.memberList({ linearizable: true }, opts));
      await c.settle(b.status(opts));
      const watch = await c.settle(b.watch(watchPrefix('k', put.header.revision), new RecordingSink(), opts));
      watch.cancel();
      await c.settle(b.compact({ revision: put.header.revision, physical: false }, opts));
      // A call that fails removes its listener too.
      const refused = await c
        .settle(b.compact({ revision: put.header.revision - 1, physical: false }, opts))
        .then(
          () => undefined,
          (err: unknown) => err as { code?: string },
        );
      expect(refused?.code).to.equal(ErrorCode.Compacted);
      expect(listeners(), `after every kind of call on member ${m.id}`).to.equal(0);
    }

    // Aborting the shared signal still ends a call in flight.
    const cut = follower.path.backend.put(putReq('cut', 'x'), opts).then(
      () => undefined,
      (err: unknown) => err,
    );
    connection.abort(new Error('connection closed'));
    expect(((await cut) as Error | undefined)?.message).to.equal('connection closed');
    expect(listeners()).to.equal(0);
  });

  it('answers what needs a network with typed errors, and a put through a follower works', async () => {
    const c = (cluster = new PortsOnlyCluster([1, 2, 3]));
    const leader = await c.leader();
    const follower = [...c.members.values()].find((m) => m !== leader)!;
    await c.until(() => follower.replica.leaderId() === leader.id, 'the follower to know the leader');

    // Writes are proposed through Raft from any member; reads on the follower see them.
    const put = await c.settle(follower.path.backend.put(putReq('f', 'from-follower'), {}));
    const read = await c.settle(follower.path.backend.range(rangeReq('f'), {}));
    expect(read.kvs.map((kv) => text(kv.value))).to.deep.equal(['from-follower']);
    expect(read.header.revision).to.be.at.least(put.header.revision);

    // Membership changes are the leader's: without a network the follower does not forward them.
    const refused = await follower.path.backend
      .memberAdd({ peerUrls: ['http://m4:2380'], isLearner: true }, {})
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(refused).to.be.instanceOf(NotLeaderError);
    expect((refused as NotLeaderError).leaderId).to.equal(leader.id);
    // Keep-alives are the leader's too.
    const grant = await c.settle(leader.path.backend.leaseGrant({ id: 0, ttlSec: 10 }, {}));
    const ka = await follower.path.backend.leaseKeepAlive(grant.id, {}).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(ka).to.be.instanceOf(NotLeaderError);

    // Status and metrics work without transport or storage; no peer metric is made up.
    const status = await follower.path.backend.status({});
    expect(status.leader).to.equal(leader.id);
    const registry = new MetricsRegistry();
    follower.path.backend.registerMetrics(registry);
    const scrape = registry.render();
    expect(scrape).to.contain('concord_mvcc_current_revision');
    expect(scrape).to.not.contain('concord_network_peer_dropped_messages_total');
  });
});
