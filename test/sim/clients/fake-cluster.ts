/**
 * A ClientHost over one in-memory store (test/api/fake-backend.ts), for the clients' own tests: the
 * workload and the checkers run end to end on virtual time without Raft. Every "member" is a view
 * of the same store (so the history is linearizable by construction); a crash makes the member's
 * view dead (its calls never answer, its watches go silent, as a crashed member's would) and a
 * restart gives a new view. Leases expire after their TTL (virtual seconds) unless kept alive, and
 * only member 1 (the leader) renews them; the others answer NOT_LEADER.
 *
 * Two injected faults reproduce, at the client's view, the production bugs the simulator must
 * catch (server/apply injected bugs of the same names):
 * - `skipTxnSecondWatchEvent`: watches never see the second put of a revision with two puts;
 * - `expireLeaseWithoutRevision`: an expired lease's keys vanish from reads without a revision or
 *   a delete event (the store's revision does not move).
 */
import { ErrorCode } from '../../../client/protocol/error-codes.js';
import type * as P from '../../../client/protocol/index.js';
import { NotLeaderError, type ClientBackend, type WatchSink } from '../../../server/api/index.js';
import { SeededRandom } from '../../../server/platform/random.js';
import { CodedError, FakeBackend } from '../../api/fake-backend.js';
import { Scheduler } from '../scheduler.js';
import { Trace } from '../trace.js';
import type { ClientHost } from './host.js';

export interface FakeClusterFaults {
  readonly skipTxnSecondWatchEvent?: boolean;
  readonly expireLeaseWithoutRevision?: boolean;
}

const LEADER = 1;

export class FakeCluster {
  readonly scheduler: Scheduler;
  readonly trace = new Trace();
  readonly store = new FakeBackend();
  readonly host: ClientHost;
  private readonly views = new Map<number, ClientBackend>();
  private readonly deadlines = new Map<number, { ttlMs: number; deadlineMs: number }>();
  /** Leases expired under `expireLeaseWithoutRevision`: their keys are hidden from reads. */
  private readonly vanished = new Set<number>();
  private readonly latency: SeededRandom;

  constructor(
    seed: number,
    readonly ids: readonly number[],
    private readonly faults: FakeClusterFaults = {},
  ) {
    this.scheduler = new Scheduler(this.trace);
    this.latency = new SeededRandom(seed + 1);
    for (const id of ids) this.restart(id);
    this.host = {
      scheduler: this.scheduler,
      random: new SeededRandom(seed),
      trace: this.trace,
      memberIds: () => this.ids,
      backend: (id) => this.views.get(id),
    };
    this.expireLoop();
  }

  crash(id: number): void {
    this.views.delete(id);
  }

  restart(id: number): void {
    this.views.set(id, this.view(id));
  }

  isUp(id: number): boolean {
    return this.views.has(id);
  }

  /** The lessor: expires leases whose deadline passed (every 50 virtual ms). */
  private expireLoop(): void {
    const now = this.scheduler.nowMs;
    for (const [id, d] of [...this.deadlines]) {
      if (d.deadlineMs > now) continue;
      this.deadlines.delete(id);
      if (this.faults.expireLeaseWithoutRevision === true) this.vanished.add(id);
      else this.store.expire(id);
    }
    this.scheduler.after(50, 'lessor', 0, undefined, () => this.expireLoop());
  }

  private hide<T extends { readonly kvs: readonly P.KeyValue[] }>(r: T): T {
    return this.vanished.size === 0 ? r : { ...r, kvs: r.kvs.filter((kv) => !this.vanished.has(kv.lease)) };
  }

  private hideTxn(r: P.TxnResponse): P.TxnResponse {
    return {
      ...r,
      responses: r.responses.map((op) =>
        op.type === 'range' ? { ...op, response: this.hide(op.response) } : op,
      ),
    };
  }

  private gone(id: number): CodedError {
    return new CodedError(ErrorCode.LeaseNotFound, `lease: lease ${id} not found`, { leaseId: id });
  }

  /** One member's view: the store's answers, filtered by the faults, silent once the view is dead. */
  private view(id: number): ClientBackend {
    const store = this.store;
    const alive = (): boolean => this.views.get(id) === view;
    // The store acts at once; the answer arrives 0-4 virtual ms later, and never if the member
    // crashed meanwhile (so a crash leaves writes that happened without an answer).
    const gate = <T>(p: () => Promise<T>): Promise<T> => {
      if (!alive()) return new Promise<T>(() => undefined);
      const answer = p();
      answer.catch(() => undefined); // handled when delivered (or never, if the member crashed)
      return new Promise<T>((resolve, reject) => {
        this.scheduler.after(this.latency.int(5), 'answer', id, undefined, () => {
          if (alive()) answer.then(resolve, reject);
        });
      });
    };
    const skipSecond = this.faults.skipTxnSecondWatchEvent === true;
    const view: ClientBackend = {
      header: () => ({ ...store.header(), memberId: id }),
      range: (req, o) => gate(() => store.range(req, o).then((r) => this.hide(r))),
      put: (req, o) =>
        gate(() => (this.vanished.has(req.lease) ? Promise.reject(this.gone(req.lease)) : store.put(req, o))),
      deleteRange: (req, o) => gate(() => store.deleteRange(req, o)),
      txn: (req, o) => gate(() => store.txn(req, o).then((r) => this.hideTxn(r))),
      compact: (req, o) => gate(() => store.compact(req, o)),
      leaseGrant: (req, o) =>
        gate(() =>
          store.leaseGrant(req, o).then((r) => {
            const ttlMs = req.ttlSec * 1000;
            this.deadlines.set(r.id, { ttlMs, deadlineMs: this.scheduler.nowMs + ttlMs });
            return r;
          }),
        ),
      leaseRevoke: (req, o) =>
        gate(() => {
          this.deadlines.delete(req.id);
          return store.leaseRevoke(req, o);
        }),
      leaseKeepAlive: (leaseId, o) =>
        gate(() => {
          if (id !== LEADER) return Promise.reject(new NotLeaderError(LEADER, []));
          const d = this.deadlines.get(leaseId);
          if (d === undefined || this.vanished.has(leaseId)) return Promise.reject(this.gone(leaseId));
          d.deadlineMs = this.scheduler.nowMs + d.ttlMs;
          return store.leaseKeepAlive(leaseId, o).then((r) => ({ ...r, ttlSec: d.ttlMs / 1000 }));
        }),
      leaseTimeToLive: (req, o) =>
        gate(() =>
          this.vanished.has(req.id)
            ? Promise.resolve({ header: store.header(), id: req.id, ttlSec: -1, grantedTtlSec: 0, keys: [] })
            : store.leaseTimeToLive(req, o),
        ),
      leaseLeases: (o) => gate(() => store.leaseLeases(o)),
      onLeaseRevoked: (l) => store.onLeaseRevoked(l),
      watch: (req, sink, o) =>
        gate(() => {
          const filtered: WatchSink = {
            events: (events, revision) => {
              if (!alive()) return;
              const shown = skipSecond ? events.filter((e, i) => !isSecondPut(events, i)) : events;
              if (shown.length > 0) sink.events(shown, revision);
            },
            ended: (err) => {
              if (alive()) sink.ended(err);
            },
          };
          return store.watch(req, filtered, o);
        }),
      memberList: (req, o) => gate(() => store.memberList(req, o)),
      memberAdd: (req, o) => gate(() => store.memberAdd(req, o)),
      memberRemove: (req, o) => gate(() => store.memberRemove(req, o)),
      memberPromote: (req, o) => gate(() => store.memberPromote(req, o)),
      status: (o) => gate(() => store.status(o)),
      alarm: (req, o) => gate(() => store.alarm(req, o)),
      snapshot: (o) => gate(() => store.snapshot(o)),
      health: () => store.health(),
    };
    return view;
  }
}

/** The second put of a revision that has two or more puts (a txn writing two keys). */
function isSecondPut(events: readonly P.WatchEvent[], i: number): boolean {
  const e = events[i]!;
  if (e.type !== 'put') return false;
  const same = events.filter((x) => x.type === 'put' && x.kv.modRevision === e.kv.modRevision);
  return same.length >= 2 && same[1] === e;
}

/**
 * Runs the clients on a fake cluster for `runMs` of virtual time, crashing and restarting members
 * now and then, then lets watches settle for `settleMs` and returns the clients for checking.
 */
export async function runOnFakeCluster(
  clients: { start(): void; stop(): void },
  cluster: FakeCluster,
  options: { runMs: number; settleMs: number; crashMeanMs: number; random: SeededRandom },
): Promise<void> {
  const { scheduler } = cluster;
  const crashSome = (): void => {
    const id = cluster.ids[options.random.int(cluster.ids.length)]!;
    if (cluster.isUp(id)) {
      cluster.crash(id);
      scheduler.after(20 + options.random.int(200), 'restart', id, undefined, () => cluster.restart(id));
    }
    if (scheduler.nowMs < options.runMs)
      scheduler.after(options.random.float() * 2 * options.crashMeanMs, 'crash', 0, undefined, crashSome);
  };
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  clients.start();
  if (options.crashMeanMs > 0) scheduler.after(options.crashMeanMs, 'crash', 0, undefined, crashSome);
  while (scheduler.step(options.runMs)) await settle();
  clients.stop();
  for (const id of cluster.ids) if (!cluster.isUp(id)) cluster.restart(id);
  while (scheduler.step(options.runMs + options.settleMs)) await settle();
}
