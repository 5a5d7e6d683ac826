/**
 * Simulated clients: a few workers issuing real requests to the members' `ClientBackend`s, each
 * with at most one operation open, on a random live member (after a refusal or a timeout the next
 * one goes elsewhere), and a few long-lived watches. Everything they see is recorded (record.ts)
 * and judged at the end by `check()` with the checkers in test/sim/checkers/:
 *
 *   register keys  c/reg/N    put, CAS (txn comparing value, version or mod revision; range in the
 *                             failure branch), linearizable range → linearizability
 *   pair keys      c/pair/N   txns writing two keys in one branch, puts, deleteRange
 *   lease keys     c/lease/N  puts attached to short leases (grant, keep-alive through the leader,
 *                             revoke, expiry), read after they expire
 *   everything     c/         serializable ranges (key or prefix), reads of the past, and watches:
 *                             "anchor" prefix watches from revision 1 that live the whole run, and
 *                             roaming key/prefix watches from past revisions; a watch whose member
 *                             crashes is re-created from reached+1 on another member (as an SDK
 *                             resumes); compaction now and then at a past revision
 *
 * Determinism: every choice draws from the host's PRNG (forked once), every delay is a scheduler
 * event, answers arrive as promises that the simulator settles between events. A seed replays.
 */
import { Outcome, type Operation, type RegisterInput, type RegisterOutput } from '../../check/history.js';
import { ErrorCode } from '../../../client/protocol/error-codes.js';
import type * as P from '../../../client/protocol/index.js';
import type { ClientBackend, WatchHandle } from '../../../server/api/index.js';
import type { SeededRandom } from '../../../server/platform/random.js';
import { CanonicalHistory } from '../checkers/history-canonical.js';
import { checkRegistersLinearizable, type LinearizableStats } from '../checkers/history-linearizable.js';
import { checkReads, type ReadStats } from '../checkers/history-reads.js';
import { checkLeaseKeysGone, type LeaseStats } from '../checkers/lease-revocation.js';
import { checkWatches, type WatchStats } from '../checkers/watch-delivery.js';
import { exponential } from '../options.js';
import type { ClientHost } from './host.js';
import {
  prefixEnd,
  type AckedWrite,
  type ClientHistory,
  type LeaseGone,
  type Mutation,
  type ReadRecord,
  type SeenKv,
  type WatchRecord,
} from './record.js';

export interface SimClientsOptions {
  /** Workers, each with at most one operation open. */
  readonly clients: number;
  readonly registerKeys: number;
  readonly pairKeys: number;
  readonly leaseKeys: number;
  /** Mean pause between a worker's operations (exponential). */
  readonly thinkMeanMs: number;
  /** A client gives up on an answer after this long (the operation is then indeterminate). */
  readonly requestTimeoutMs: number;
  /** How often clients notice crashed members (open operations and watches on them). */
  readonly sweepMs: number;
  /** Prefix watches from revision 1 kept for the whole run (the complete history). */
  readonly anchorWatches: number;
  /** Key or prefix watches from past revisions, each living a while, at most this many at once. */
  readonly roamingWatches: number;
  readonly roamingLifeMeanMs: number;
  /** Mean interval between compactions (0: none). */
  readonly compactMeanMs: number;
  /** Lease TTLs, in (virtual) seconds (the lessor raises a TTL below its minimum, 2 s by default). */
  readonly leaseTtlSec: readonly [number, number];
  /** A lease is kept alive for up to this long after its grant, then left to expire. */
  readonly leaseKeepMaxMs: number;
  /** Leases not known to be gone, at most (a grant waits while there are this many). */
  readonly liveLeases: number;
}

export const SIM_CLIENTS_DEFAULTS: SimClientsOptions = {
  clients: 4,
  registerKeys: 3,
  pairKeys: 4,
  leaseKeys: 6,
  thinkMeanMs: 8,
  requestTimeoutMs: 1500,
  sweepMs: 20,
  anchorWatches: 2,
  roamingWatches: 3,
  roamingLifeMeanMs: 300,
  compactMeanMs: 500,
  leaseTtlSec: [2, 3],
  leaseKeepMaxMs: 1000,
  liveLeases: 3,
};

export const CLIENT_PREFIX = 'c/';

export interface SimClientsStats {
  readonly operations: number;
  readonly indeterminate: number;
  readonly writes: number;
  readonly linearizable: LinearizableStats;
  readonly reads: ReadStats;
  readonly watches: WatchStats;
  readonly leases: LeaseStats;
  /** Failed calls by error code (an unexpected code here is worth a look). */
  readonly refused?: Readonly<Record<string, number>>;
}

type Op = (w: Worker) => Promise<void>;

interface Worker {
  readonly id: number;
  /** The member the worker's last operation went to, and whether it should move on. */
  member: number;
  moveOn: boolean;
  /** The last state of each register key this worker saw (for CAS compares). */
  readonly seen: Map<string, { value: string; modRevision: number; version?: number }>;
  /** The register operation open now, if any (recorded as indeterminate if the run ends first). */
  open: { id: number; key: string; input: RegisterInput; invokeMs: number } | undefined;
}

interface KnownLease {
  readonly id: number;
  /** The lease key its puts go to (c/lease/N): each lease mostly has its key to itself until it is gone. */
  readonly slot: number;
  readonly keepUntilMs: number;
  /** Most leases are left to expire; the others are revoked once no longer kept alive. */
  readonly revoke: boolean;
  gone: boolean;
}

/** An anchor watch and its resumptions: the next revision the chain needs. */
interface AnchorChain {
  next: number;
}

interface LiveWatch {
  readonly record: WatchRecord;
  /** For an anchor watch: its chain (the watch and the ones resuming it). */
  readonly chain: AnchorChain | undefined;
  readonly backend: ClientBackend;
  handle?: WatchHandle;
  /** Superseded (lost and resumed elsewhere, canceled, ended): its sink ignores what follows. */
  done: boolean;
  expiresAtMs: number;
}

type CallResult<T> = { ok: true; value: T } | { ok: false; error: unknown; gaveUp: boolean };

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => dec.decode(b);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function rangeReq(key: string, rangeEnd: string, over: Partial<P.RangeRequest> = {}): P.RangeRequest {
  return {
    key: bytes(key),
    rangeEnd: bytes(rangeEnd),
    limit: 0,
    revision: 0,
    sortOrder: 'none',
    sortTarget: 'key',
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...over,
  };
}

function putReq(key: string, value: string, lease = 0): P.PutRequest {
  return {
    key: bytes(key),
    value: bytes(value),
    lease,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  };
}

function seenKv(kv: P.KeyValue): SeenKv {
  return {
    key: text(kv.key),
    value: text(kv.value),
    modRevision: kv.modRevision,
    createRevision: kv.createRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** The simulated clients of one run: `start()`, later `stop()`, then `check()`. */
export class SimClients {
  private readonly o: SimClientsOptions;
  private readonly random: SeededRandom;
  private readonly workers: Worker[] = [];
  private running = false;
  private nextOpId = 1;
  private nextValue = 1;
  private nextWatchId = 1;
  private readonly registers: Operation[] = [];
  private readonly writes: AckedWrite[] = [];
  private readonly reads: ReadRecord[] = [];
  private readonly watchRecords: WatchRecord[] = [];
  private readonly leasesGone: LeaseGone[] = [];
  private readonly leases: KnownLease[] = [];
  private readonly live = new Set<LiveWatch>();
  /** Every open call's give-up hook, for the crash sweep. */
  private readonly openCalls = new Set<{
    member: number;
    backend: ClientBackend;
    giveUp: (why: string) => void;
  }>();
  private lastCompaction = 0;
  /** Failed calls by error code ('gave-up': timeout or crash; 'no-code': an untyped error). */
  private readonly refused = new Map<string, number>();
  private readonly anchors: AnchorChain[] = [];
  private nextSlot = 0;
  /** A bug in the clients themselves (an exception in their promise chains), rethrown by check(). */
  private internalError: unknown;

  constructor(
    private readonly host: ClientHost,
    options: Partial<SimClientsOptions> = {},
  ) {
    this.o = { ...SIM_CLIENTS_DEFAULTS, ...options };
    this.random = host.random.fork();
  }

  get isRunning(): boolean {
    return this.running;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.o.clients; i++) {
      const w: Worker = {
        id: i + 1,
        member: this.pickMember() ?? 0,
        moveOn: false,
        seen: new Map(),
        open: undefined,
      };
      this.workers.push(w);
      this.later(exponential(this.random, this.o.thinkMeanMs), 'client', () => this.step(w));
    }
    for (let i = 0; i < this.o.anchorWatches; i++) {
      const chain: AnchorChain = { next: 1 };
      this.anchors.push(chain);
      this.startWatch(CLIENT_PREFIX, prefixEnd(CLIENT_PREFIX), 1, chain);
    }
    this.later(this.o.sweepMs, 'client-sweep', () => this.sweep());
    if (this.o.compactMeanMs > 0)
      this.later(exponential(this.random, this.o.compactMeanMs), 'compact', () => this.compactNow());
  }

  /** No new operations or watches from now on; open ones may still complete, watches keep recording. */
  stop(): void {
    this.running = false;
  }

  /** The recorded history (what check() judges). Open register operations count as indeterminate. */
  history(): ClientHistory {
    const now = this.host.scheduler.nowMs;
    const open: Operation[] = this.workers.flatMap((w) =>
      w.open === undefined
        ? []
        : [{ ...w.open, client: w.id, completeMs: now, outcome: Outcome.Indeterminate }],
    );
    return {
      registers: [...this.registers, ...open],
      writes: this.writes,
      reads: this.reads,
      watches: this.watchRecords,
      leasesGone: this.leasesGone,
    };
  }

  /** Judges the whole history; throws the first Violation found, else returns what was checked. */
  check(): SimClientsStats {
    if (this.internalError !== undefined) throw this.internalError;
    const refused = Object.fromEntries([...this.refused].sort(([a], [b]) => (a < b ? -1 : 1)));
    return { ...checkClientHistory(this.history()), refused };
  }

  // ---- scheduling and calls --------------------------------------------------------------

  private later(delayMs: number, label: string, fn: () => void): void {
    this.host.scheduler.after(delayMs, label, 0, undefined, fn);
  }

  private note(member: number, what: string): void {
    this.host.trace.recordEvent(this.host.scheduler.nowMs, 'client', member, what);
  }

  private liveMembers(): number[] {
    return this.host.memberIds().filter((id) => this.host.backend(id) !== undefined);
  }

  private pickMember(avoid?: number): number | undefined {
    const up = this.liveMembers();
    const others = up.filter((id) => id !== avoid);
    const from = others.length > 0 ? others : up;
    return from.length === 0 ? undefined : from[this.random.int(from.length)];
  }

  /**
   * One request with a client-side timeout: gives up (aborting the request) after requestTimeoutMs,
   * or as soon as the sweep sees the member crashed; a late answer is then ignored by the caller.
   */
  private call<T>(
    member: number,
    fn: (b: ClientBackend, options: { signal: AbortSignal }) => Promise<T>,
  ): Promise<CallResult<T>> {
    const backend = this.host.backend(member);
    if (backend === undefined)
      return Promise.resolve({
        ok: false,
        error: Object.assign(new Error(`member ${member} is down`), { code: 'member-down' }),
        gaveUp: false,
      });
    return new Promise<CallResult<T>>((resolve) => {
      const abort = new AbortController();
      let settled = false;
      const entry = {
        member,
        backend,
        giveUp: (why: string): void => {
          if (settled) return;
          settled = true;
          this.openCalls.delete(entry);
          abort.abort(new Error(why));
          resolve({ ok: false, error: new Error(why), gaveUp: true });
        },
      };
      this.openCalls.add(entry);
      const timer = this.host.scheduler.after(
        this.o.requestTimeoutMs,
        'client-timeout',
        member,
        undefined,
        () => entry.giveUp('client timeout'),
      );
      let p: Promise<T>;
      try {
        p = fn(backend, { signal: abort.signal });
      } catch (err) {
        p = Promise.reject(err);
      }
      p.then(
        (value) => {
          if (settled) return;
          settled = true;
          this.openCalls.delete(entry);
          this.host.scheduler.cancel(timer);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          this.openCalls.delete(entry);
          this.host.scheduler.cancel(timer);
          resolve({ ok: false, error, gaveUp: false });
        },
      );
    });
  }

  /** Crashed members: give up on calls to them and resume their watches elsewhere. */
  private sweep(): void {
    for (const c of [...this.openCalls]) {
      if (this.host.backend(c.member) !== c.backend) c.giveUp('member crashed');
    }
    for (const w of [...this.live]) {
      if (w.done) {
        this.live.delete(w);
        continue;
      }
      if (this.host.backend(w.record.member) !== w.backend) this.lose(w, 'member crashed or restarted');
      else if (w.chain === undefined && this.host.scheduler.nowMs >= w.expiresAtMs) this.cancelWatch(w);
    }
    if (
      this.running &&
      this.live.size < this.o.anchorWatches + this.o.roamingWatches &&
      this.random.chance(0.2)
    )
      this.startRoamingWatch();
    this.later(this.o.sweepMs, 'client-sweep', () => this.sweep());
  }

  // ---- the workers -----------------------------------------------------------------------

  private step(w: Worker): void {
    if (!this.running) return;
    if (w.moveOn || this.host.backend(w.member) === undefined || this.random.chance(0.1)) {
      w.member = this.pickMember(w.moveOn ? w.member : undefined) ?? w.member;
      w.moveOn = false;
    }
    const op = this.pickOp();
    void op(w).then(
      () => this.later(exponential(this.random, this.o.thinkMeanMs), 'client', () => this.step(w)),
      (err: unknown) => {
        this.internalError ??= err;
      },
    );
  }

  private readonly ops: readonly (readonly [number, Op])[] = [
    [14, (w) => this.registerPut(w)],
    [14, (w) => this.registerCas(w)],
    [10, (w) => this.registerRead(w)],
    [10, (w) => this.serializableRead(w)],
    [4, (w) => this.linearizablePrefixRead(w)],
    [4, (w) => this.pastRead(w)],
    [10, (w) => this.pairTxn(w)],
    [4, (w) => this.pairPut(w)],
    [4, (w) => this.deleteSome(w)],
    [4, (w) => this.leaseGrant(w)],
    [8, (w) => this.leasedPut(w)],
    [8, (w) => this.keepAlive(w)],
    [2, (w) => this.leaseRevoke(w)],
    [5, (w) => this.timeToLive(w)],
  ];

  private pickOp(): Op {
    const total = this.ops.reduce((s, [weight]) => s + weight, 0);
    let x = this.random.int(total);
    for (const [weight, op] of this.ops) {
      if (x < weight) return op;
      x -= weight;
    }
    return this.ops[0]![1];
  }

  private regKey(): string {
    return `${CLIENT_PREFIX}reg/${this.random.int(this.o.registerKeys)}`;
  }

  private pairKey(): string {
    return `${CLIENT_PREFIX}pair/${this.random.int(this.o.pairKeys)}`;
  }

  private value(w: Worker): string {
    return `v${w.id}.${this.nextValue++}`;
  }

  /** A refusal or a timeout: the next operation goes to another member. */
  private failed(w: Worker, r: { error: unknown; gaveUp: boolean }): void {
    w.moveOn = true;
    const why = r.gaveUp ? 'gave-up' : (codeOf(r.error) ?? 'no-code');
    this.refused.set(why, (this.refused.get(why) ?? 0) + 1);
  }

  private ack(w: Worker, revision: number, mutations: readonly Mutation[]): void {
    if (mutations.length > 0)
      this.writes.push({
        revision,
        client: w.id,
        member: w.member,
        atMs: this.host.scheduler.nowMs,
        mutations,
      });
  }

  private readRecord(
    w: Worker,
    kind: ReadRecord['kind'],
    key: string,
    rangeEnd: string,
    revision: number,
    kvs: readonly P.KeyValue[],
  ): SeenKv[] {
    const seen = kvs.map(seenKv);
    this.reads.push({
      client: w.id,
      member: w.member,
      atMs: this.host.scheduler.nowMs,
      kind,
      key,
      rangeEnd,
      revision,
      kvs: seen,
    });
    return seen;
  }

  /** Runs one register operation and records it for the linearizability check. */
  private async register(
    w: Worker,
    key: string,
    input: RegisterInput,
    run: () => Promise<CallResult<RegisterOutput>>,
  ): Promise<void> {
    const id = this.nextOpId++;
    const invokeMs = this.host.scheduler.nowMs;
    w.open = { id, key, input, invokeMs };
    const r = await run();
    w.open = undefined;
    const completeMs = this.host.scheduler.nowMs;
    const base = { id, client: w.id, key, input, invokeMs, completeMs };
    if (r.ok) this.registers.push({ ...base, outcome: Outcome.Ok, output: r.value });
    else {
      this.failed(w, r);
      // A read that failed changed nothing; a write that failed may still take effect.
      this.registers.push({ ...base, outcome: input.type === 'read' ? Outcome.Fail : Outcome.Indeterminate });
    }
  }

  private registerPut(w: Worker): Promise<void> {
    const key = this.regKey();
    const value = this.value(w);
    return this.register(w, key, { type: 'write', value }, async () => {
      const r = await this.call(w.member, (b, o) => b.put(putReq(key, value), o));
      if (!r.ok) return r;
      this.ack(w, r.value.header.revision, [{ type: 'put', key, value, lease: 0 }]);
      w.seen.set(key, { value, modRevision: r.value.header.revision });
      return { ok: true, value: { type: 'write' } };
    });
  }

  private registerCas(w: Worker): Promise<void> {
    const key = this.regKey();
    const value = this.value(w);
    const last = w.seen.get(key);
    const expected = last?.value ?? null;
    let compare: P.Compare;
    const kb = bytes(key);
    const how = this.random.int(3);
    if (last === undefined)
      compare = { key: kb, rangeEnd: new Uint8Array(0), result: 'equal', target: 'version', value: 0 };
    else if (how === 0 || (how === 1 && last.version === undefined))
      compare = {
        key: kb,
        rangeEnd: new Uint8Array(0),
        result: 'equal',
        target: 'value',
        value: bytes(last.value),
      };
    else if (how === 1)
      compare = {
        key: kb,
        rangeEnd: new Uint8Array(0),
        result: 'equal',
        target: 'version',
        value: last.version!,
      };
    else
      compare = {
        key: kb,
        rangeEnd: new Uint8Array(0),
        result: 'equal',
        target: 'mod',
        value: last.modRevision,
      };
    const txn: P.TxnRequest = {
      compare: [compare],
      success: [{ type: 'put', request: putReq(key, value) }],
      failure: [{ type: 'range', request: rangeReq(key, '') }],
    };
    return this.register(w, key, { type: 'cas', expected, value }, async () => {
      const r = await this.call(w.member, (b, o) => b.txn(txn, o));
      if (!r.ok) return r;
      const revision = r.value.header.revision;
      if (r.value.succeeded) {
        this.ack(w, revision, [{ type: 'put', key, value, lease: 0 }]);
        w.seen.set(key, { value, modRevision: revision });
        return { ok: true, value: { type: 'cas', succeeded: true } };
      }
      const resp = r.value.responses[0];
      const kvs = resp?.type === 'range' ? resp.response.kvs : [];
      const [kv] = this.readRecord(w, 'txn-failure', key, '', revision, kvs);
      this.remember(w, kv);
      return { ok: true, value: { type: 'cas', succeeded: false, current: kv?.value ?? null } };
    });
  }

  private remember(w: Worker, kv: SeenKv | undefined): void {
    if (kv !== undefined)
      w.seen.set(kv.key, { value: kv.value, modRevision: kv.modRevision, version: kv.version });
  }

  private registerRead(w: Worker): Promise<void> {
    const key = this.regKey();
    return this.register(w, key, { type: 'read' }, async () => {
      const r = await this.call(w.member, (b, o) => b.range(rangeReq(key, ''), o));
      if (!r.ok) return r;
      const [kv] = this.readRecord(w, 'linearizable', key, '', r.value.header.revision, r.value.kvs);
      this.remember(w, kv);
      return { ok: true, value: { type: 'read', value: kv?.value ?? null } };
    });
  }

  /** A key, a sub-prefix or the whole client prefix, read from the member's local state. */
  private randomRange(): [string, string] {
    switch (this.random.int(4)) {
      case 0:
        return [CLIENT_PREFIX, prefixEnd(CLIENT_PREFIX)];
      case 1:
        return [`${CLIENT_PREFIX}lease/`, prefixEnd(`${CLIENT_PREFIX}lease/`)];
      case 2:
        return [`${CLIENT_PREFIX}pair/`, prefixEnd(`${CLIENT_PREFIX}pair/`)];
      default:
        return [this.random.chance(0.5) ? this.regKey() : this.pairKey(), ''];
    }
  }

  private async serializableRead(w: Worker): Promise<void> {
    const [key, end] = this.randomRange();
    const r = await this.call(w.member, (b, o) => b.range(rangeReq(key, end, { serializable: true }), o));
    if (!r.ok) return this.failed(w, r);
    this.readRecord(w, 'serializable', key, end, r.value.header.revision, r.value.kvs);
  }

  private async linearizablePrefixRead(w: Worker): Promise<void> {
    const [key, end] = this.randomRange();
    const r = await this.call(w.member, (b, o) => b.range(rangeReq(key, end), o));
    if (!r.ok) return this.failed(w, r);
    this.readRecord(w, 'linearizable', key, end, r.value.header.revision, r.value.kvs);
  }

  private async pastRead(w: Worker): Promise<void> {
    const current = this.host.backend(w.member)?.header().revision ?? 1;
    const revision = 1 + this.random.int(Math.max(1, current));
    const [key, end] = this.randomRange();
    const r = await this.call(w.member, (b, o) =>
      b.range(rangeReq(key, end, { serializable: true, revision }), o),
    );
    if (!r.ok) return this.failed(w, r);
    this.readRecord(w, 'past', key, end, revision, r.value.kvs);
  }

  /** Two pair keys written in one branch (the success or the failure one). */
  private async pairTxn(w: Worker): Promise<void> {
    const a = this.pairKey();
    let b = this.pairKey();
    if (b === a)
      b = `${CLIENT_PREFIX}pair/${(Number(a.slice(a.lastIndexOf('/') + 1)) + 1) % this.o.pairKeys}`;
    const v1 = this.value(w);
    const v2 = this.value(w);
    const compare: P.Compare = {
      key: bytes(a),
      rangeEnd: new Uint8Array(0),
      result: this.random.chance(0.5) ? 'greater' : 'less',
      target: 'version',
      value: this.random.int(4),
    };
    const txn: P.TxnRequest = {
      compare: [compare],
      success: [
        { type: 'put', request: putReq(a, v1) },
        { type: 'put', request: putReq(b, v2) },
      ],
      failure: [
        { type: 'put', request: putReq(b, v1) },
        { type: 'put', request: putReq(a, v2) },
      ],
    };
    this.note(w.member, `txn ${a},${b}`);
    const r = await this.call(w.member, (be, o) => be.txn(txn, o));
    if (!r.ok) return this.failed(w, r);
    const [first, second] = r.value.succeeded ? [a, b] : [b, a];
    this.ack(w, r.value.header.revision, [
      { type: 'put', key: first, value: v1, lease: 0 },
      { type: 'put', key: second, value: v2, lease: 0 },
    ]);
  }

  private async pairPut(w: Worker): Promise<void> {
    const key = this.pairKey();
    const value = this.value(w);
    const r = await this.call(w.member, (b, o) => b.put(putReq(key, value), o));
    if (!r.ok) return this.failed(w, r);
    this.ack(w, r.value.header.revision, [{ type: 'put', key, value, lease: 0 }]);
  }

  private async deleteSome(w: Worker): Promise<void> {
    // Pair keys only: a lease's key must live until its lease is revoked or expires, so that what
    // the revoke does to it is seen.
    const prefix = `${CLIENT_PREFIX}pair/`;
    const whole = this.random.chance(0.3);
    const key = whole ? prefix : `${prefix}${this.random.int(this.o.pairKeys)}`;
    const rangeEnd = whole ? prefixEnd(prefix) : '';
    const r = await this.call(w.member, (b, o) =>
      b.deleteRange({ key: bytes(key), rangeEnd: bytes(rangeEnd), prevKv: true }, o),
    );
    if (!r.ok) return this.failed(w, r);
    // Deleting nothing makes no revision.
    this.ack(
      w,
      r.value.header.revision,
      r.value.prevKvs.map((kv) => ({ type: 'delete', key: text(kv.key) })),
    );
  }

  // ---- leases ----------------------------------------------------------------------------

  private someLease(alive: boolean): KnownLease | undefined {
    const now = this.host.scheduler.nowMs;
    const from = this.leases.filter((l) => !alive || (!l.gone && l.keepUntilMs > now));
    return from.length === 0 ? undefined : from[from.length - 1 - this.random.int(Math.min(from.length, 4))];
  }

  private async leaseGrant(w: Worker): Promise<void> {
    // A few leases at a time, so that their keys live until they expire.
    if (this.leases.filter((l) => !l.gone).length >= this.o.liveLeases) return;
    const [lo, hi] = this.o.leaseTtlSec;
    const ttlSec = lo + this.random.int(hi - lo + 1);
    const r = await this.call(w.member, (b, o) => b.leaseGrant({ ttlSec, id: 0 }, o));
    if (!r.ok) return this.failed(w, r);
    const keepUntilMs = this.host.scheduler.nowMs + this.random.float() * this.o.leaseKeepMaxMs;
    this.leases.push({
      id: r.value.id,
      slot: this.nextSlot++ % this.o.leaseKeys,
      keepUntilMs,
      revoke: this.random.chance(0.3),
      gone: false,
    });
    this.note(w.member, `lease ${r.value.id} granted, ttl ${ttlSec}s`);
  }

  private async leasedPut(w: Worker): Promise<void> {
    const lease = this.someLease(true);
    if (lease === undefined) return this.leaseGrant(w);
    const key = `${CLIENT_PREFIX}lease/${lease.slot}`;
    const value = this.value(w);
    const r = await this.call(w.member, (b, o) => b.put(putReq(key, value, lease.id), o));
    if (!r.ok) return this.failed(w, r);
    this.ack(w, r.value.header.revision, [{ type: 'put', key, value, lease: lease.id }]);
  }

  /** Renews a lease through the leader: a follower answers NOT_LEADER naming it, and we go there. */
  private async keepAlive(w: Worker): Promise<void> {
    const lease = this.someLease(true);
    if (lease === undefined) return;
    let member = w.member;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.call(member, (b, o) => b.leaseKeepAlive(lease.id, o));
      if (r.ok) {
        if (r.value.ttlSec <= 0) lease.gone = true;
        return;
      }
      const code = codeOf(r.error);
      if (code === ErrorCode.LeaseNotFound) {
        lease.gone = true;
        return;
      }
      if (code !== ErrorCode.NotLeader) return this.failed(w, r);
      const leaderId = (r.error as { leaderId?: number }).leaderId ?? 0;
      member =
        leaderId !== 0 && this.host.backend(leaderId) !== undefined
          ? leaderId
          : (this.pickMember(member) ?? member);
    }
  }

  private async leaseRevoke(w: Worker): Promise<void> {
    const now = this.host.scheduler.nowMs;
    const lease = this.leases.find((l) => l.revoke && !l.gone && l.keepUntilMs <= now);
    if (lease === undefined) return;
    const r = await this.call(w.member, (b, o) => b.leaseRevoke({ id: lease.id }, o));
    if (!r.ok) {
      if (codeOf(r.error) === ErrorCode.LeaseNotFound) lease.gone = true;
      return this.failed(w, r);
    }
    lease.gone = true;
    this.leasesGone.push({
      lease: lease.id,
      revision: r.value.header.revision,
      how: 'revoke',
      member: w.member,
      atMs: this.host.scheduler.nowMs,
    });
    this.note(w.member, `lease ${lease.id} revoked at ${r.value.header.revision}`);
  }

  private async timeToLive(w: Worker): Promise<void> {
    const lease = this.someLease(false);
    if (lease === undefined) return;
    const r = await this.call(w.member, (b, o) => b.leaseTimeToLive({ id: lease.id, keys: false }, o));
    if (!r.ok) return this.failed(w, r);
    if (r.value.ttlSec !== -1) return;
    lease.gone = true;
    this.leasesGone.push({
      lease: lease.id,
      revision: r.value.header.revision,
      how: 'time-to-live',
      member: w.member,
      atMs: this.host.scheduler.nowMs,
    });
  }

  // ---- compaction ------------------------------------------------------------------------

  /**
   * Compacts at a past revision, never past what an anchor watch still needs (they keep the
   * complete history the read checker replays), so only roaming watches are canceled by it.
   */
  private compactNow(): void {
    if (!this.running) return;
    this.later(exponential(this.random, this.o.compactMeanMs), 'compact', () => this.compactNow());

    const member = this.pickMember();
    if (member === undefined) return;
    const current = this.host.backend(member)?.header().revision ?? 0;
    // Anchors waiting to resume count too: their next revision must stay available.
    const limit = Math.min(current, ...this.anchors.map((c) => c.next));
    const revision = limit - this.random.int(5);
    if (revision <= this.lastCompaction + 1) return;
    this.lastCompaction = revision;
    this.note(member, `compact at ${revision}`);
    void this.call(member, (b, o) => b.compact({ revision, physical: true }, o));
  }

  // ---- watches ---------------------------------------------------------------------------

  private startRoamingWatch(): void {
    const member = this.pickMember();
    if (member === undefined) return;
    const current = this.host.backend(member)?.header().revision ?? 1;
    const lo = Math.max(1, this.lastCompaction - 3);
    const start = lo + this.random.int(Math.max(1, current + 2 - lo));
    const [key, end] = this.random.chance(0.5) ? this.randomRange() : [this.pairKey(), ''];
    this.startWatch(key, end, start, undefined, member);
  }

  private startWatch(
    key: string,
    rangeEnd: string,
    startRevision: number,
    chain: AnchorChain | undefined,
    member = this.pickMember(),
    resumes?: number,
  ): void {
    if (member === undefined) {
      // Nobody is up: try again a little later (an anchor must not be lost).
      if (chain !== undefined || resumes !== undefined)
        this.later(this.o.sweepMs, 'client-watch', () =>
          this.startWatch(key, rangeEnd, startRevision, chain, undefined, resumes),
        );
      return;
    }
    const backend = this.host.backend(member)!;
    const record: WatchRecord = {
      id: this.nextWatchId++,
      client: 0,
      member,
      key,
      rangeEnd,
      startRevision,
      ...(resumes !== undefined ? { resumes } : {}),
      events: [],
      reached: startRevision - 1,
    };
    this.watchRecords.push(record);
    const lw: LiveWatch = {
      record,
      chain,
      backend,
      done: false,
      expiresAtMs: this.host.scheduler.nowMs + exponential(this.random, this.o.roamingLifeMeanMs),
    };
    this.live.add(lw);
    const req: P.WatchCreateRequest = {
      key: bytes(key),
      rangeEnd: bytes(rangeEnd),
      startRevision,
      progressNotify: false,
      filters: [],
      prevKv: false,
      watchId: 0,
      fragment: false,
    };
    const sink = {
      events: (events: readonly P.WatchEvent[], revision: number): void => {
        if (lw.done) return;
        for (const e of events) record.events.push({ type: e.type, kv: seenKv(e.kv) });
        record.reached = Math.max(record.reached, revision);
        if (chain !== undefined) chain.next = Math.max(chain.next, record.reached + 1);
      },
      ended: (error: Error): void => {
        if (lw.done) return;
        const compactRevision = (error as { compactRevision?: number }).compactRevision;
        if (codeOf(error) === ErrorCode.Compacted && compactRevision !== undefined) {
          lw.done = true;
          record.end = { kind: 'compacted', compactRevision, atMs: this.host.scheduler.nowMs };
          this.note(member, `watch #${record.id} canceled: compacted at ${compactRevision}`);
        } else this.lose(lw, `ended: ${codeOf(error) ?? error.message}`);
      },
    };
    this.note(member, `watch #${record.id} ${key} from ${startRevision}`);
    backend.watch(req, sink, {}).then(
      (handle) => {
        lw.handle = handle;
        if (lw.done) handle.cancel();
      },
      (error: unknown) => {
        if (lw.done) return;
        const compactRevision = (error as { compactRevision?: number } | null)?.compactRevision;
        if (codeOf(error) === ErrorCode.Compacted && compactRevision !== undefined) {
          lw.done = true;
          record.end = { kind: 'refused-compacted', compactRevision, atMs: this.host.scheduler.nowMs };
        } else this.lose(lw, `refused: ${codeOf(error) ?? String(error)}`);
      },
    );
  }

  /** The watch's member is gone (or ended it): re-create it from reached+1 elsewhere, as an SDK does. */
  private lose(w: LiveWatch, reason: string): void {
    if (w.done) return;
    w.done = true;
    w.handle?.cancel();
    w.record.end = { kind: 'lost', reason, atMs: this.host.scheduler.nowMs };
    const r = w.record;
    if (w.chain === undefined && !this.running) return;
    this.note(r.member, `watch #${r.id} lost (${reason}); resuming from ${r.reached + 1}`);
    this.later(this.o.sweepMs, 'client-watch', () =>
      this.startWatch(r.key, r.rangeEnd, r.reached + 1, w.chain, this.pickMember(r.member), r.id),
    );
  }

  private cancelWatch(w: LiveWatch): void {
    w.done = true;
    w.handle?.cancel();
    w.record.end = { kind: 'canceled', atMs: this.host.scheduler.nowMs };
  }
}

/** Runs every client checker on a recorded history; throws the first Violation. */
export function checkClientHistory(h: ClientHistory): SimClientsStats {
  const canonical = CanonicalHistory.build(h.watches, h.writes);
  const watches = checkWatches(h.watches, canonical);
  const reads = checkReads(h.reads, canonical);
  const leases = checkLeaseKeysGone(h.reads, h.leasesGone);
  const linearizable = checkRegistersLinearizable(h.registers);
  return {
    operations: h.registers.length,
    indeterminate: h.registers.filter((op) => op.outcome === Outcome.Indeterminate).length,
    writes: h.writes.length,
    linearizable,
    reads,
    watches,
    leases,
  };
}
