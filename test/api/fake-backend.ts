/**
 * An in-memory ClientBackend for the API tests: a map-based KV with revisions and history, a
 * trivial lessor (expiry only when a test says so), watches fed synchronously by writes, and knobs
 * for what a real member does to clients (no leader, NOT_LEADER for keep-alives, held requests,
 * watches ended by compaction).
 */
import {
  ErrorCode,
  type AlarmRequest,
  type AlarmResponse,
  type AlarmType,
  type Compare,
  type CompactionRequest,
  type CompactionResponse,
  type DefragmentResponse,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type HashKVRequest,
  type HashKVResponse,
  type HashResponse,
  type KeyValue,
  type LeaseGrantRequest,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type LeaseLeasesResponse,
  type LeaseRevokeRequest,
  type LeaseRevokeResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
  type Member,
  type MemberAddRequest,
  type MemberAddResponse,
  type MemberListRequest,
  type MemberListResponse,
  type MemberPromoteRequest,
  type MemberPromoteResponse,
  type MemberRemoveRequest,
  type MemberRemoveResponse,
  type MemberUpdateRequest,
  type MemberUpdateResponse,
  type MoveLeaderRequest,
  type MoveLeaderResponse,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type RequestOp,
  type ResponseHeader,
  type ResponseOp,
  type StatusResponse,
  type TxnRequest,
  type TxnResponse,
  type WatchCreateRequest,
  type WatchEvent,
} from '../../client/protocol/index.js';
import {
  NotLeaderError,
  type BackendHealth,
  type BackendSnapshot,
  type CallOptions,
  type ClientBackend,
  type WatchHandle,
  type WatchSink,
} from '../../server/api/backend.js';
import { ServerError } from '../../server/errors.js';

export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    Object.assign(this, extra);
  }
}

const compacted = (compactRevision: number): CodedError =>
  new CodedError(
    ErrorCode.Compacted,
    `mvcc: required revision has been compacted (compacted at ${compactRevision})`,
    {
      compactRevision,
    },
  );

function k(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function inRange(key: string, from: Uint8Array, end: Uint8Array): boolean {
  const start = k(from);
  if (end.length === 0) return key === start;
  if (end.length === 1 && end[0] === 0) return key >= start;
  return key >= start && key < k(end);
}

interface Watcher {
  readonly req: WatchCreateRequest;
  readonly sink: WatchSink;
}

interface Lease {
  readonly id: number;
  readonly grantedTtlSec: number;
  readonly keys: Set<string>;
}

export class FakeBackend implements ClientBackend {
  readonly clusterId = 11;
  readonly memberId = 22;
  raftTerm = 3;
  revision = 1;
  compactRevision = 0;
  leaderId = 22;
  alarms: AlarmType[] = [];
  /** What health() reports as `ready` (a joining member before it published itself: false). */
  ready: boolean | undefined = undefined;
  /** When set, keep-alives fail with NOT_LEADER naming this leader. */
  notLeader: { readonly leaderId: number; readonly urls: readonly string[] } | undefined;
  snapshotBytes: Uint8Array = new Uint8Array(0);
  /** Calls currently inside the backend, and the most ever at once. */
  active = 0;
  maxActive = 0;
  calls = 0;

  /** The cluster's members; membership methods change it (ids: 1000 + position of the add). */
  members: Member[] = [
    {
      id: 22,
      name: 'm1',
      peerUrls: ['http://127.0.0.1:2380'],
      clientUrls: ['http://127.0.0.1:2379'],
      isLearner: false,
    },
  ];
  private nextMemberId = 1000;

  private kvs = new Map<string, KeyValue>();
  private readonly history: { revision: number; events: WatchEvent[] }[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly leases = new Map<number, Lease>();
  private nextLeaseId = 1000;
  private readonly revokeListeners = new Set<(id: number) => void>();
  private readonly leaderListeners = new Set<(id: number) => void>();
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private gateWaiters: (() => void)[] = [];

  // ---- test knobs -------------------------------------------------------------------------------

  /** Holds every call at its start until the returned function is called. */
  hold(): () => void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
    return () => {
      this.gate = undefined;
      this.openGate?.();
    };
  }

  /** Resolves once `n` calls are waiting at the gate (or running). */
  whenActive(n: number): Promise<void> {
    if (this.active >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.active >= n) resolve();
        else this.gateWaiters.push(check);
      };
      this.gateWaiters.push(check);
    });
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Ends every watch from the backend side (as a compaction past a lagging watcher would). */
  endWatches(error: Error): void {
    for (const w of [...this.watchers]) {
      this.watchers.delete(w);
      w.sink.ended(error);
    }
  }

  /** Expires a lease (as the leader's lessor would). */
  expire(id: number): void {
    this.revokeLease(id);
  }

  setLeader(id: number): void {
    this.leaderId = id;
    for (const l of this.leaderListeners) l(id);
  }

  // ---- ClientBackend -------------------------------------------------------------------------

  header(): ResponseHeader {
    return {
      clusterId: this.clusterId,
      memberId: this.memberId,
      revision: this.revision,
      raftTerm: this.raftTerm,
    };
  }

  async range(req: RangeRequest, options: CallOptions): Promise<RangeResponse> {
    return this.call(options, () => this.doRange(req));
  }

  async put(req: PutRequest, options: CallOptions): Promise<PutResponse> {
    return this.call(options, () => this.write((w) => this.doPut(req, w)));
  }

  async deleteRange(req: DeleteRangeRequest, options: CallOptions): Promise<DeleteRangeResponse> {
    return this.call(options, () => this.write((w) => this.doDelete(req, w)));
  }

  async txn(req: TxnRequest, options: CallOptions): Promise<TxnResponse> {
    return this.call(options, () => this.write((w) => this.doTxn(req, w)));
  }

  async compact(req: CompactionRequest, options: CallOptions): Promise<CompactionResponse> {
    return this.call(options, () => {
      if (req.revision > this.revision) {
        throw new CodedError(ErrorCode.FutureRevision, 'mvcc: required revision is a future revision', {
          current: this.revision,
        });
      }
      if (req.revision <= this.compactRevision) throw compacted(this.compactRevision);
      this.compactRevision = req.revision;
      return { header: this.header() };
    });
  }

  async leaseGrant(req: LeaseGrantRequest, options: CallOptions): Promise<LeaseGrantResponse> {
    return this.call(options, () => {
      const id = req.id === 0 ? this.nextLeaseId++ : req.id;
      if (this.leases.has(id)) throw new CodedError(ErrorCode.LeaseExists, 'lease: lease already exists');
      const ttl = Math.max(req.ttlSec, 5);
      this.leases.set(id, { id, grantedTtlSec: ttl, keys: new Set() });
      return { header: this.header(), id, ttlSec: ttl, error: '' };
    });
  }

  async leaseRevoke(req: LeaseRevokeRequest, options: CallOptions): Promise<LeaseRevokeResponse> {
    return this.call(options, () => {
      if (!this.leases.has(req.id)) throw this.leaseNotFound(req.id);
      this.revokeLease(req.id);
      return { header: this.header() };
    });
  }

  async leaseKeepAlive(id: number, options: CallOptions): Promise<LeaseKeepAliveResponse> {
    return this.call(options, () => {
      if (this.notLeader !== undefined)
        throw new NotLeaderError(this.notLeader.leaderId, this.notLeader.urls);
      const lease = this.leases.get(id);
      if (lease === undefined) throw this.leaseNotFound(id);
      return { header: this.header(), id, ttlSec: lease.grantedTtlSec };
    });
  }

  async leaseTimeToLive(req: LeaseTimeToLiveRequest, options: CallOptions): Promise<LeaseTimeToLiveResponse> {
    return this.call(options, () => {
      const lease = this.leases.get(req.id);
      if (lease === undefined)
        return { header: this.header(), id: req.id, ttlSec: -1, grantedTtlSec: 0, keys: [] };
      const keys = req.keys
        ? [...lease.keys].sort().map((s) => new Uint8Array(Buffer.from(s, 'latin1')))
        : [];
      return {
        header: this.header(),
        id: req.id,
        ttlSec: lease.grantedTtlSec,
        grantedTtlSec: lease.grantedTtlSec,
        keys,
      };
    });
  }

  async leaseLeases(options: CallOptions): Promise<LeaseLeasesResponse> {
    return this.call(options, () => ({
      header: this.header(),
      leases: [...this.leases.keys()].map((id) => ({ id })),
    }));
  }

  onLeaseRevoked(listener: (leaseId: number) => void): () => void {
    this.revokeListeners.add(listener);
    return () => this.revokeListeners.delete(listener);
  }

  onLeaderChange(listener: (leaderId: number) => void): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  async watch(req: WatchCreateRequest, sink: WatchSink, options: CallOptions): Promise<WatchHandle> {
    return this.call(options, () => {
      if (req.startRevision > 0 && req.startRevision < this.compactRevision)
        throw compacted(this.compactRevision);
      const watcher: Watcher = { req, sink };
      if (req.startRevision > 0) {
        for (const h of this.history) {
          if (h.revision < req.startRevision) continue;
          const events = this.matching(watcher, h.events);
          if (events.length > 0) sink.events(events, this.revision);
        }
      }
      this.watchers.add(watcher);
      return {
        cancel: () => this.watchers.delete(watcher),
        requestProgress: () => Promise.resolve(this.revision),
      };
    });
  }

  async memberList(_req: MemberListRequest, options: CallOptions): Promise<MemberListResponse> {
    return this.call(options, () => ({ header: this.header(), members: [...this.members] }));
  }

  async memberAdd(req: MemberAddRequest, options: CallOptions): Promise<MemberAddResponse> {
    return this.call(options, () => {
      if (this.members.some((m) => m.peerUrls.some((u) => req.peerUrls.includes(u))))
        throw new CodedError(ErrorCode.MemberExists, 'a member already has one of these peer URLs');
      const member: Member = {
        id: this.nextMemberId++,
        name: '',
        peerUrls: [...req.peerUrls],
        clientUrls: [],
        isLearner: req.isLearner,
      };
      this.members = [...this.members, member];
      return { header: this.header(), member, members: [...this.members] };
    });
  }

  async memberRemove(req: MemberRemoveRequest, options: CallOptions): Promise<MemberRemoveResponse> {
    return this.call(options, () => {
      if (!this.members.some((m) => m.id === req.id))
        throw new CodedError(ErrorCode.MemberNotFound, `member ${req.id} not found`);
      this.members = this.members.filter((m) => m.id !== req.id);
      return { header: this.header(), members: [...this.members] };
    });
  }

  async memberPromote(req: MemberPromoteRequest, options: CallOptions): Promise<MemberPromoteResponse> {
    return this.call(options, () => {
      const m = this.members.find((x) => x.id === req.id);
      if (m === undefined) throw new CodedError(ErrorCode.MemberNotFound, `member ${req.id} not found`);
      if (!m.isLearner) throw new CodedError(ErrorCode.MemberNotLearner, `member ${req.id} is a voter`);
      this.members = this.members.map((x) => (x.id === req.id ? { ...x, isLearner: false } : x));
      return { header: this.header(), members: [...this.members] };
    });
  }

  async status(options: CallOptions): Promise<StatusResponse> {
    return this.call(options, () => ({
      header: this.header(),
      version: '0.1.0',
      dbSizeBytes: 4096,
      leader: this.leaderId,
      raftIndex: this.revision + 10,
      raftTerm: this.raftTerm,
      raftAppliedIndex: this.revision + 10,
      errors: this.alarms.map((a) => `alarm ${a}`),
      dbSizeInUseBytes: 2048,
      isLearner: false,
      storageVersion: '1',
      dbSizeQuotaBytes: 1 << 30,
      concordVersion: '9.9.9-test',
    }));
  }

  async alarm(req: AlarmRequest, options: CallOptions): Promise<AlarmResponse> {
    return this.call(options, () => {
      if (req.action === 'activate' && req.alarm !== 'none' && !this.alarms.includes(req.alarm))
        this.alarms.push(req.alarm);
      if (req.action === 'deactivate') this.alarms = this.alarms.filter((a) => a !== req.alarm);
      return {
        header: this.header(),
        alarms: this.alarms.map((alarm) => ({ memberId: this.memberId, alarm })),
      };
    });
  }

  async snapshot(options: CallOptions): Promise<BackendSnapshot> {
    return this.call(options, () => {
      const bytes = this.snapshotBytes;
      const chunks = async function* (): AsyncIterable<Uint8Array> {
        // Uneven pieces, so the API's re-chunking is exercised.
        for (let off = 0; off < bytes.length; off += 700_000) yield bytes.subarray(off, off + 700_000);
      };
      return { header: this.header(), sizeBytes: bytes.length, version: '1', chunks: chunks() };
    });
  }

  health(): BackendHealth {
    return {
      leaderId: this.leaderId,
      alarms: this.alarms,
      ...(this.ready === undefined ? {} : { ready: this.ready }),
    };
  }

  // ---- maintenance and membership operations ---------------------------------------------

  /** Defragment calls served (the API tests check they reach the backend). */
  defragments = 0;

  async hash(options: CallOptions): Promise<HashResponse> {
    return this.call(options, () => ({ header: this.header(), hash: (this.revision * 2654435761) >>> 0 }));
  }

  async hashKV(req: HashKVRequest, options: CallOptions): Promise<HashKVResponse> {
    return this.call(options, () => {
      const revision = req.revision === 0 ? this.revision : req.revision;
      if (revision > this.revision)
        throw new CodedError(ErrorCode.FutureRevision, 'mvcc: required revision is a future revision', {
          currentRevision: this.revision,
        });
      if (revision < this.compactRevision) throw compacted(this.compactRevision);
      return {
        header: this.header(),
        hash: (revision * 40503 + this.kvs.size) >>> 0,
        compactRevision: this.compactRevision,
        hashRevision: revision,
      };
    });
  }

  async defragment(options: CallOptions): Promise<DefragmentResponse> {
    return this.call(options, () => {
      this.defragments++;
      return { header: this.header() };
    });
  }

  async moveLeader(req: MoveLeaderRequest, options: CallOptions): Promise<MoveLeaderResponse> {
    return this.call(options, () => {
      if (this.leaderId !== this.memberId)
        throw new CodedError(ErrorCode.NotLeader, `not leader (leader is ${this.leaderId})`);
      const m = this.members.find((x) => x.id === req.targetId);
      if (m === undefined || m.isLearner)
        throw new CodedError(ErrorCode.BadLeaderTransferee, `member ${req.targetId} cannot lead`);
      this.leaderId = req.targetId;
      return { header: this.header() };
    });
  }

  async memberUpdate(req: MemberUpdateRequest, options: CallOptions): Promise<MemberUpdateResponse> {
    return this.call(options, () => {
      if (!this.members.some((m) => m.id === req.id))
        throw new CodedError(ErrorCode.MemberNotFound, `member ${req.id} not found`);
      this.members = this.members.map((m) => (m.id === req.id ? { ...m, peerUrls: [...req.peerUrls] } : m));
      return { header: this.header(), members: [...this.members] };
    });
  }

  // ---- internals ----------------------------------------------------------------------------

  private async call<T>(options: CallOptions, body: () => T): Promise<T> {
    this.calls++;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    for (const w of this.gateWaiters.splice(0)) w();
    try {
      options.signal?.throwIfAborted();
      while (this.gate !== undefined) {
        const gate = this.gate;
        const aborted = new Promise<never>((_, reject) => {
          options.signal?.addEventListener('abort', () => reject(options.signal?.reason as Error), {
            once: true,
          });
        });
        aborted.catch(() => undefined);
        await Promise.race([gate, aborted]);
      }
      await Promise.resolve();
      return body();
    } finally {
      this.active--;
    }
  }

  private leaseNotFound(id: number): CodedError {
    return new CodedError(ErrorCode.LeaseNotFound, `lease: lease ${id} not found`, { leaseId: id });
  }

  private revokeLease(id: number): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    this.write((w) => {
      for (const key of lease.keys) {
        const kv = this.kvs.get(key);
        if (kv !== undefined) w.del(kv);
      }
    });
    this.leases.delete(id);
    for (const l of this.revokeListeners) l(id);
  }

  private stateAt(revision: number): Map<string, KeyValue> {
    if (revision === 0 || revision === this.revision) return this.kvs;
    if (revision < this.compactRevision) throw compacted(this.compactRevision);
    if (revision > this.revision) {
      throw new CodedError(ErrorCode.FutureRevision, 'mvcc: required revision is a future revision', {
        current: this.revision,
      });
    }
    const state = new Map<string, KeyValue>();
    for (const h of this.history) {
      if (h.revision > revision) break;
      for (const e of h.events) {
        if (e.type === 'put') state.set(k(e.kv.key), e.kv);
        else state.delete(k(e.kv.key));
      }
    }
    return state;
  }

  private doRange(req: RangeRequest): RangeResponse {
    const state = this.stateAt(req.revision);
    let kvs = [...state.entries()].filter(([key]) => inRange(key, req.key, req.rangeEnd)).map(([, kv]) => kv);
    kvs.sort((a, b) => Buffer.compare(a.key, b.key));
    if (req.sortOrder === 'descend') kvs.reverse();
    const count = kvs.length;
    let more = false;
    if (req.limit > 0 && kvs.length > req.limit) {
      kvs = kvs.slice(0, req.limit);
      more = true;
    }
    if (req.countOnly) kvs = [];
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: new Uint8Array(0) }));
    return { header: this.header(), kvs, more, count };
  }

  private write<T>(body: (w: Writer) => T): T {
    const events: WatchEvent[] = [];
    const next = this.revision + 1;
    const w: Writer = {
      revision: next,
      wrote: () => events.length > 0,
      put: (kv) => {
        const prev = this.kvs.get(k(kv.key));
        this.kvs.set(k(kv.key), kv);
        events.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
      },
      del: (prev) => {
        this.kvs.delete(k(prev.key));
        for (const lease of this.leases.values()) lease.keys.delete(k(prev.key));
        const tomb: KeyValue = {
          key: prev.key,
          createRevision: 0,
          modRevision: next,
          version: 0,
          value: new Uint8Array(0),
          lease: 0,
        };
        events.push({ type: 'delete', kv: tomb, prevKv: prev });
      },
    };
    const result = body(w);
    if (events.length > 0) {
      this.revision = next;
      this.history.push({ revision: next, events });
      for (const watcher of this.watchers) {
        const matched = this.matching(watcher, events);
        if (matched.length > 0) watcher.sink.events(matched, this.revision);
      }
    }
    return result;
  }

  private matching(watcher: Watcher, events: readonly WatchEvent[]): WatchEvent[] {
    const req = watcher.req;
    return events
      .filter((e) => inRange(k(e.kv.key), req.key, req.rangeEnd))
      .filter(
        (e) =>
          !(e.type === 'put' && req.filters.includes('noPut')) &&
          !(e.type === 'delete' && req.filters.includes('noDelete')),
      )
      .map((e) => (req.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
  }

  private doPut(req: PutRequest, w: Writer): PutResponse {
    const prev = this.kvs.get(k(req.key));
    if ((req.ignoreValue || req.ignoreLease) && prev === undefined)
      throw new CodedError(ErrorCode.KeyNotFound, 'mvcc: key not found');
    const lease = req.ignoreLease ? (prev?.lease ?? 0) : req.lease;
    if (lease !== 0 && !this.leases.has(lease)) throw this.leaseNotFound(lease);
    const kv: KeyValue = {
      key: req.key,
      value: req.ignoreValue ? (prev?.value ?? new Uint8Array(0)) : req.value,
      createRevision: prev?.createRevision ?? w.revision,
      modRevision: w.revision,
      version: (prev?.version ?? 0) + 1,
      lease,
    };
    if (prev !== undefined && prev.lease !== 0) this.leases.get(prev.lease)?.keys.delete(k(req.key));
    if (lease !== 0) this.leases.get(lease)?.keys.add(k(req.key));
    w.put(kv);
    const header = { ...this.header(), revision: w.revision };
    return req.prevKv && prev !== undefined ? { header, prevKv: prev } : { header };
  }

  private doDelete(req: DeleteRangeRequest, w: Writer): DeleteRangeResponse {
    const victims = [...this.kvs.entries()]
      .filter(([key]) => inRange(key, req.key, req.rangeEnd))
      .map(([, kv]) => kv);
    for (const kv of victims) w.del(kv);
    const revision = victims.length > 0 ? w.revision : this.revision;
    return {
      header: { ...this.header(), revision },
      deleted: victims.length,
      prevKvs: req.prevKv ? victims : [],
    };
  }

  private compare(c: Compare): boolean {
    const kv = this.kvs.get(k(c.key));
    let cmp: number;
    if (c.target === 'value') {
      if (kv === undefined) return false;
      cmp = Buffer.compare(kv.value, c.value);
    } else {
      const actual =
        kv === undefined
          ? 0
          : c.target === 'version'
            ? kv.version
            : c.target === 'create'
              ? kv.createRevision
              : c.target === 'mod'
                ? kv.modRevision
                : kv.lease;
      cmp = Math.sign(actual - c.value);
    }
    switch (c.result) {
      case 'equal':
        return cmp === 0;
      case 'notEqual':
        return cmp !== 0;
      case 'greater':
        return cmp > 0;
      case 'less':
        return cmp < 0;
    }
  }

  private doTxn(req: TxnRequest, w: Writer): TxnResponse {
    const succeeded = req.compare.every((c) => this.compare(c));
    const ops = succeeded ? req.success : req.failure;
    const responses = ops.map((op) => this.doOp(op, w));
    // A txn that wrote answers with its own revision (the store moves to it after the body).
    return {
      header: { ...this.header(), revision: w.wrote() ? w.revision : this.revision },
      succeeded,
      responses,
    };
  }

  private doOp(op: RequestOp, w: Writer): ResponseOp {
    switch (op.type) {
      case 'range':
        return { type: 'range', response: this.doRange(op.request) };
      case 'put':
        return { type: 'put', response: this.doPut(op.request, w) };
      case 'deleteRange':
        return { type: 'deleteRange', response: this.doDelete(op.request, w) };
      case 'txn':
        return { type: 'txn', response: this.doTxn(op.request, w) };
    }
  }
}

interface Writer {
  readonly revision: number;
  wrote(): boolean;
  put(kv: KeyValue): void;
  del(prev: KeyValue): void;
}

/** A ServerError as the replica would throw when it has no leader. */
export const noLeader = (): ServerError =>
  new ServerError(ErrorCode.Unavailable, 'etcdserver: no leader', true);
