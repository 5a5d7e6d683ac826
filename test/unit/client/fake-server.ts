/**
 * A fake Concord cluster for the SDK's unit tests: members speaking the real client protocol (the
 * protocol codec on both sides) over an in-process transport, sharing one tiny MVCC store with a
 * full event history, so watches can be resumed on any member. Tests steer it: drop connections,
 * take members down, make a member a follower that answers NOT_LEADER, compact history, hold or
 * fail requests, split revisions into fragments.
 *
 * Everything is synchronous: a client frame is handled as soon as it is sent and the answers are
 * queued on the client's side of the connection, so tests are deterministic without any clock.
 */
import {
  decodeClientFrame,
  encodeFrame,
  DEFAULT_LIMITS,
  SUBPROTOCOL_JSON_V1,
  type ClientFrame,
  type ErrorBody,
  type KeyValue,
  type Method,
  type ProtocolLimits,
  type RangeRequest,
  type RequestFrame,
  type RequestOp,
  type ResponseHeader,
  type ResponseOp,
  type ServerFrame,
  type TxnRequest,
  type TxnResponse,
  type WatchCreateRequest,
  type WatchEvent,
} from '../../../client/protocol/index.js';
import {
  FrameQueue,
  type ClientTransport,
  type ConnectOptions,
  type TransportClose,
  type TransportConnection,
} from '../../../client/transport.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

export function inRange(key: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  if (end.length === 0) return compareBytes(key, start) === 0;
  const all = end.length === 1 && end[0] === 0;
  if (all) return (start.length === 1 && start[0] === 0) || compareBytes(key, start) >= 0;
  return compareBytes(key, start) >= 0 && compareBytes(key, end) < 0;
}

export interface HistoryEntry {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

interface Lease {
  ttlSec: number;
  readonly keys: Set<string>;
}

/** The shared state of the fake cluster: one MVCC store with its whole history. */
export class FakeStore {
  revision = 1;
  compactRevision = 0;
  readonly kvs = new Map<string, KeyValue>();
  readonly history: HistoryEntry[] = [];
  readonly leases = new Map<number, Lease>();
  private nextLeaseId = 1000;
  private pending: WatchEvent[] = [];
  private writing = false;
  readonly listeners = new Set<(entry: HistoryEntry) => void>();
  readonly leaseListeners = new Set<(id: number) => void>();

  range(req: RangeRequest): { kvs: KeyValue[]; count: number; more: boolean } {
    const all = [...this.kvs.values()]
      .filter((kv) => inRange(kv.key, req.key, req.rangeEnd))
      .sort((a, b) => compareBytes(a.key, b.key));
    if (req.sortOrder === 'descend') all.reverse();
    const limited = req.limit > 0 ? all.slice(0, req.limit) : all;
    const kvs = req.countOnly
      ? []
      : req.keysOnly
        ? limited.map((kv) => ({ ...kv, value: new Uint8Array() }))
        : limited;
    return { kvs, count: all.length, more: limited.length < all.length };
  }

  /** Runs `fn` as one write: every change shares one revision, published once. */
  write<T>(fn: (revision: number) => T): T {
    if (this.writing) return fn(this.revision + 1);
    this.writing = true;
    try {
      const result = fn(this.revision + 1);
      if (this.pending.length > 0) {
        this.revision++;
        const entry = { revision: this.revision, events: this.pending };
        this.pending = [];
        this.history.push(entry);
        for (const l of [...this.listeners]) l(entry);
      }
      return result;
    } finally {
      this.writing = false;
    }
  }

  put(key: Uint8Array, value: Uint8Array, lease = 0): KeyValue | undefined {
    return this.write((rev) => {
      const prev = this.kvs.get(hex(key));
      const kv: KeyValue = {
        key,
        value,
        lease,
        createRevision: prev?.createRevision ?? rev,
        modRevision: rev,
        version: (prev?.version ?? 0) + 1,
      };
      if (prev !== undefined && prev.lease !== 0) this.leases.get(prev.lease)?.keys.delete(hex(key));
      if (lease !== 0) this.leases.get(lease)?.keys.add(hex(key));
      this.kvs.set(hex(key), kv);
      this.pending.push(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
      return prev;
    });
  }

  deleteRange(key: Uint8Array, rangeEnd: Uint8Array): KeyValue[] {
    return this.write((rev) => {
      const gone = [...this.kvs.values()]
        .filter((kv) => inRange(kv.key, key, rangeEnd))
        .sort((a, b) => compareBytes(a.key, b.key));
      for (const kv of gone) {
        this.kvs.delete(hex(kv.key));
        if (kv.lease !== 0) this.leases.get(kv.lease)?.keys.delete(hex(kv.key));
        const tomb: KeyValue = {
          key: kv.key,
          value: new Uint8Array(),
          lease: 0,
          createRevision: 0,
          modRevision: rev,
          version: 0,
        };
        this.pending.push({ type: 'delete', kv: tomb, prevKv: kv });
      }
      return gone;
    });
  }

  grant(ttlSec: number, id: number): number {
    const leaseId = id === 0 ? this.nextLeaseId++ : id;
    this.leases.set(leaseId, { ttlSec, keys: new Set() });
    return leaseId;
  }

  revoke(id: number): boolean {
    const lease = this.leases.get(id);
    if (lease === undefined) return false;
    this.write(() => {
      for (const k of [...lease.keys]) {
        const kv = this.kvs.get(k);
        if (kv !== undefined) this.deleteRange(kv.key, new Uint8Array());
      }
    });
    this.leases.delete(id);
    for (const l of [...this.leaseListeners]) l(id);
    return true;
  }

  compact(revision: number): void {
    this.compactRevision = revision;
  }

  /** Every event with revision ≥ from, in order. */
  eventsFrom(from: number): HistoryEntry[] {
    return this.history.filter((h) => h.revision >= from);
  }

  /** The history of a key range, flattened: the expected output of a watcher. */
  eventsIn(key: Uint8Array, rangeEnd: Uint8Array, from = 1): WatchEvent[] {
    return this.history
      .filter((h) => h.revision >= from)
      .flatMap((h) => h.events.filter((e) => inRange(e.kv.key, key, rangeEnd)));
  }
}

/** What an interceptor may do with a request. */
export type Interception =
  | undefined
  | { readonly action: 'error'; readonly error: ErrorBody }
  | { readonly action: 'drop' }
  | { readonly action: 'apply-then-drop' }
  | { readonly action: 'hold' }
  /** Answer with this result instead of the fake's own (methods the fake does not serve). */
  | { readonly action: 'result'; readonly result: unknown };

interface ServerWatch {
  readonly req: WatchCreateRequest;
}

export class FakeSession {
  readonly received: ClientFrame[] = [];
  private helloSeen = false;
  readonly watches = new Map<number, ServerWatch>();
  readonly keepAlives = new Map<number, number>();
  private readonly held: (() => void)[] = [];
  private open = true;
  private readonly onEntry = (entry: HistoryEntry): void => this.deliver(entry);
  private readonly onLeaseGone = (id: number): void => {
    for (const [sid, leaseId] of this.keepAlives) {
      if (leaseId === id) {
        this.keepAlives.delete(sid);
        this.send({
          type: 'end',
          id: sid,
          error: { code: 'LEASE_NOT_FOUND', message: 'lease expired or revoked', details: {} },
        });
      }
    }
  };

  constructor(
    readonly member: FakeMember,
    private readonly toClient: FrameQueue,
    private readonly closeClient: (close: TransportClose) => void,
  ) {
    member.store.listeners.add(this.onEntry);
    member.store.leaseListeners.add(this.onLeaseGone);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Sends a leader_changed notice naming `leaderId` (and its client URLs, if given). */
  leaderChanged(leaderId: number, urls?: readonly string[]): void {
    this.send({
      type: 'notice',
      notice: {
        kind: 'leader_changed',
        header: this.header(),
        leaderId,
        ...(urls === undefined ? {} : { leaderClientUrls: urls }),
      },
    });
  }

  private header(): ResponseHeader {
    return { clusterId: 1, memberId: this.member.id, revision: this.member.store.revision, raftTerm: 1 };
  }

  private muted = false;

  send(frame: ServerFrame): void {
    if (this.open && !this.muted) this.toClient.push(encodeFrame(frame));
  }

  /** Closes the connection from the server side (1006: dropped without a close frame). */
  drop(code = 1006, reason = 'dropped'): void {
    if (!this.open) return;
    this.open = false;
    this.member.store.listeners.delete(this.onEntry);
    this.member.store.leaseListeners.delete(this.onLeaseGone);
    this.member.sessions.delete(this);
    this.toClient.end();
    this.closeClient({ code, reason });
  }

  /** Answers every held request now. */
  release(): void {
    for (const run of this.held.splice(0)) run();
  }

  get heldCount(): number {
    return this.held.length;
  }

  receive(text: string): void {
    if (!this.open) return;
    const frame = decodeClientFrame(text, this.member.limits);
    if (frame instanceof Error) {
      this.send({ type: 'error', error: frame.toErrorBody() });
      return;
    }
    this.received.push(frame);
    switch (frame.type) {
      case 'hello':
        if (this.member.refuseHello !== undefined) {
          this.send({ type: 'error', error: this.member.refuseHello });
          this.drop(1008, 'refused');
          return;
        }
        this.helloSeen = true;
        this.send({
          type: 'welcome',
          protocolVersion: 1,
          serverVersion: 'fake',
          header: this.header(),
          limits: this.member.limits,
          ...(this.member.names === undefined
            ? {}
            : { leaderId: this.member.names.leaderId, leaderClientUrls: this.member.names.urls }),
        });
        if (this.member.dropAfterWelcome) this.drop();
        return;
      case 'request':
        if (!this.helloSeen) return;
        this.onRequest(frame);
        return;
      case 'cancel':
        if (this.watches.delete(frame.id) || this.keepAlives.delete(frame.id))
          this.send({ type: 'end', id: frame.id });
        return;
      case 'renew':
        this.onRenew(frame.id);
        return;
    }
  }

  private onRenew(id: number): void {
    const leaseId = this.keepAlives.get(id);
    if (leaseId === undefined) return;
    const notLeader = this.member.notLeaderBody();
    if (notLeader !== undefined) {
      this.send({ type: 'keepalive', id, error: notLeader });
      return;
    }
    const lease = this.member.store.leases.get(leaseId);
    if (lease === undefined) return;
    this.send({
      type: 'keepalive',
      id,
      result: { header: this.header(), id: leaseId, ttlSec: lease.ttlSec },
    });
  }

  private respondError(frame: RequestFrame, error: ErrorBody): void {
    this.send({ type: 'response', id: frame.id, method: frame.method, error });
  }

  private onRequest(frame: RequestFrame): void {
    const interception = this.member.intercept?.(frame, this);
    if (interception !== undefined) {
      switch (interception.action) {
        case 'error':
          this.respondError(frame, interception.error);
          return;
        case 'drop':
          this.drop();
          return;
        case 'apply-then-drop':
          // Applied, but the answer is lost with the connection.
          this.muted = true;
          this.execute(frame);
          this.muted = false;
          this.drop();
          return;
        case 'hold':
          this.held.push(() => this.execute(frame));
          return;
        case 'result':
          this.send({
            type: 'response',
            id: frame.id,
            method: frame.method,
            result: interception.result,
          } as ServerFrame);
          return;
      }
    }
    this.execute(frame);
  }

  private static readonly WRITES: ReadonlySet<Method> = new Set<Method>([
    'kv.put',
    'kv.deleteRange',
    'kv.txn',
    'kv.compact',
    'lease.grant',
    'lease.revoke',
    'lease.keepAlive',
  ]);

  private execute(frame: RequestFrame): void {
    if (!this.open) return;
    const notLeader = FakeSession.WRITES.has(frame.method) ? this.member.notLeaderBody() : undefined;
    if (notLeader !== undefined) {
      this.respondError(frame, notLeader);
      return;
    }
    const store = this.member.store;
    const id = frame.id;
    const ok = (result: unknown): void =>
      this.send({ type: 'response', id, method: frame.method, result } as ServerFrame);
    switch (frame.method) {
      case 'kv.range': {
        const p = frame.params;
        if (p.revision !== 0 && p.revision < store.compactRevision) {
          this.respondError(frame, compacted(store.compactRevision));
          return;
        }
        ok({ header: this.header(), ...store.range(p) });
        return;
      }
      case 'kv.put': {
        const p = frame.params;
        if (p.lease !== 0 && !store.leases.has(p.lease)) {
          this.respondError(frame, { code: 'LEASE_NOT_FOUND', message: 'lease not found', details: {} });
          return;
        }
        const prev = store.put(p.key, p.value, p.lease);
        ok(
          p.prevKv && prev !== undefined
            ? { header: this.header(), prevKv: prev }
            : { header: this.header() },
        );
        return;
      }
      case 'kv.deleteRange': {
        const p = frame.params;
        const gone = store.deleteRange(p.key, p.rangeEnd);
        ok({ header: this.header(), deleted: gone.length, prevKvs: p.prevKv ? gone : [] });
        return;
      }
      case 'kv.txn':
        ok(store.write(() => this.txn(frame.params)));
        return;
      case 'kv.compact':
        store.compact(frame.params.revision);
        ok({ header: this.header() });
        return;
      case 'lease.grant': {
        const leaseId = store.grant(frame.params.ttlSec, frame.params.id);
        ok({ header: this.header(), id: leaseId, ttlSec: frame.params.ttlSec, error: '' });
        return;
      }
      case 'lease.revoke':
        if (!store.revoke(frame.params.id)) {
          this.respondError(frame, { code: 'LEASE_NOT_FOUND', message: 'lease not found', details: {} });
          return;
        }
        ok({ header: this.header() });
        return;
      case 'lease.timeToLive': {
        const lease = store.leases.get(frame.params.id);
        ok({
          header: this.header(),
          id: frame.params.id,
          ttlSec: lease === undefined ? -1 : lease.ttlSec,
          grantedTtlSec: lease?.ttlSec ?? 0,
          keys:
            lease === undefined || !frame.params.keys
              ? []
              : [...lease.keys].map((k) => Buffer.from(k, 'hex')),
        });
        return;
      }
      case 'lease.leases':
        ok({ header: this.header(), leases: [...store.leases.keys()].map((leaseId) => ({ id: leaseId })) });
        return;
      case 'lease.keepAlive': {
        const lease = store.leases.get(frame.params.id);
        if (lease === undefined) {
          this.respondError(frame, { code: 'LEASE_NOT_FOUND', message: 'lease not found', details: {} });
          return;
        }
        this.keepAlives.set(id, frame.params.id);
        ok({ header: this.header(), id: frame.params.id, ttlSec: lease.ttlSec });
        return;
      }
      case 'watch.create':
        this.createWatch(id, frame.params);
        return;
      case 'watch.cancel': {
        const wid = frame.params.watchId;
        if (!this.watches.delete(wid)) {
          this.respondError(frame, { code: 'WATCH_NOT_FOUND', message: 'no such watch', details: {} });
          return;
        }
        this.send({ type: 'end', id: wid });
        ok({ type: 'canceled', header: this.header(), watchId: wid, compactRevision: 0, cancelReason: '' });
        return;
      }
      case 'watch.progress':
        for (const wid of this.watches.keys()) {
          this.send({
            type: 'watch',
            id: wid,
            result: { type: 'progress', header: this.header(), watchId: wid },
          });
        }
        ok({ type: 'progress', header: this.header(), watchId: -1 });
        return;
      case 'maintenance.status':
        ok({
          header: this.header(),
          version: 'fake',
          dbSizeBytes: 0,
          leader: this.member.leaderUrls === undefined ? this.member.id : 0,
          raftIndex: 0,
          raftTerm: 1,
          raftAppliedIndex: 0,
          errors: [],
          dbSizeInUseBytes: 0,
          isLearner: false,
          storageVersion: '',
          dbSizeQuotaBytes: 0,
          concordVersion: 'fake',
        });
        return;
      case 'cluster.memberList':
        ok({
          header: this.header(),
          members: (this.member.memberList?.() ?? []).map((m) => ({
            id: m.id,
            name: `m${m.id}`,
            peerUrls: [],
            clientUrls: m.clientUrls,
            isLearner: false,
          })),
        });
        return;
      default:
        this.respondError(frame, { code: 'UNIMPLEMENTED', message: `fake: ${frame.method}`, details: {} });
    }
  }

  private txn(req: TxnRequest): TxnResponse {
    const store = this.member.store;
    const succeeded = req.compare.every((c) => {
      const kv = store.kvs.get(hex(c.key));
      const actual =
        c.target === 'value'
          ? undefined
          : c.target === 'version'
            ? (kv?.version ?? 0)
            : c.target === 'create'
              ? (kv?.createRevision ?? 0)
              : c.target === 'mod'
                ? (kv?.modRevision ?? 0)
                : (kv?.lease ?? 0);
      let cmp: number;
      if (c.target === 'value') {
        if (kv === undefined) return false;
        cmp = compareBytes(kv.value, c.value);
      } else cmp = (actual as number) - c.value;
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
    });
    const ops = succeeded ? req.success : req.failure;
    const responses = ops.map((op) => this.txnOp(op));
    return { header: this.header(), succeeded, responses };
  }

  private txnOp(op: RequestOp): ResponseOp {
    const store = this.member.store;
    const header = (): ResponseHeader => ({ ...this.header(), revision: store.revision + 1 });
    switch (op.type) {
      case 'range':
        return { type: 'range', response: { header: this.header(), ...store.range(op.request) } };
      case 'put': {
        const prev = store.put(op.request.key, op.request.value, op.request.lease);
        return {
          type: 'put',
          response:
            op.request.prevKv && prev !== undefined
              ? { header: header(), prevKv: prev }
              : { header: header() },
        };
      }
      case 'deleteRange': {
        const gone = store.deleteRange(op.request.key, op.request.rangeEnd);
        return {
          type: 'deleteRange',
          response: { header: header(), deleted: gone.length, prevKvs: op.request.prevKv ? gone : [] },
        };
      }
      case 'txn':
        return { type: 'txn', response: this.txn(op.request) };
    }
  }

  private createWatch(id: number, req: WatchCreateRequest): void {
    const store = this.member.store;
    if (req.startRevision !== 0 && req.startRevision < store.compactRevision) {
      this.send({ type: 'response', id, method: 'watch.create', error: compacted(store.compactRevision) });
      return;
    }
    this.watches.set(id, { req });
    this.send({
      type: 'response',
      id,
      method: 'watch.create',
      result: { type: 'created', header: this.header(), watchId: id },
    });
    const from = this.member.replayFrom ?? req.startRevision;
    if (from !== 0) for (const entry of store.eventsFrom(from)) this.deliverTo(id, req, entry);
  }

  /** Ends a watch from the server side with an error (compaction, slow watcher, ...). */
  endWatch(id: number, error: ErrorBody): void {
    if (this.watches.delete(id)) this.send({ type: 'end', id, error });
  }

  private deliver(entry: HistoryEntry): void {
    if (this.member.deliverEvents) for (const [id, w] of this.watches) this.deliverTo(id, w.req, entry);
  }

  private deliverTo(id: number, req: WatchCreateRequest, entry: HistoryEntry): void {
    const events = entry.events
      .filter((e) => inRange(e.kv.key, req.key, req.rangeEnd))
      .filter(
        (e) =>
          !(e.type === 'put' && req.filters.includes('noPut')) &&
          !(e.type === 'delete' && req.filters.includes('noDelete')),
      )
      .map((e): WatchEvent => (req.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
    if (events.length === 0) return;
    const size = req.fragment ? this.member.fragmentEvents : Number.MAX_SAFE_INTEGER;
    for (let i = 0; i < events.length; i += size) {
      const chunk = events.slice(i, i + size);
      const fragment = i + size < events.length;
      this.send({
        type: 'watch',
        id,
        result: { type: 'events', header: this.header(), watchId: id, events: chunk, fragment },
      });
      this.member.afterWatchFrame?.(this);
    }
  }
}

function compacted(compactRevision: number): ErrorBody {
  return {
    code: 'COMPACTED',
    message: 'etcdserver: mvcc: required revision has been compacted',
    details: { compactRevision },
  };
}

export class FakeMember {
  readonly sessions = new Set<FakeSession>();
  /** Set on a follower: writes and keep-alives answer NOT_LEADER naming these URLs. */
  leaderUrls: readonly string[] | undefined;
  /** The leader id a NOT_LEADER answer names (0: no leader known, an election). */
  leaderId = 1;
  /** Refuses connections. */
  down = false;
  /** Never answers a connection attempt (a blackholed address): it ends only when aborted. */
  silent = false;
  /** Answer the hello with this error and close. */
  refuseHello: ErrorBody | undefined;
  /** Push new events to watches (false: hold them back, as a partitioned member would). */
  deliverEvents = true;
  /** Events per frame for watches with fragment (a revision larger than this is split). */
  fragmentEvents = Number.MAX_SAFE_INTEGER;
  limits: ProtocolLimits = DEFAULT_LIMITS;
  intercept: ((frame: RequestFrame, session: FakeSession) => Interception) | undefined;
  /** Called after each events frame sent to a watch (to break a connection mid-revision). */
  afterWatchFrame: ((session: FakeSession) => void) | undefined;
  /** A buggy member: replays watches from this revision whatever start revision was asked. */
  replayFrom: number | undefined;
  /** Drops every connection right after its welcome (a flapping member). */
  dropAfterWelcome = false;
  /** Connections ever accepted. */
  accepted = 0;
  /** Set: the welcome names this leader (as a member of a leader-routing server does). */
  names: { leaderId: number; urls: readonly string[] } | undefined;
  /** What cluster.memberList answers (set by FakeCluster). */
  memberList: (() => readonly { id: number; clientUrls: readonly string[] }[]) | undefined;
  /** The client URLs this member published (what memberList shows for it). */
  clientUrls: readonly string[] = [];
  /** Called when the client drops a connection without the close handshake (`terminate`). */
  onTerminate: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly url: string,
    readonly store: FakeStore,
  ) {}

  notLeaderBody(): ErrorBody | undefined {
    if (this.leaderUrls === undefined) return undefined;
    return {
      code: 'NOT_LEADER',
      message: 'not the leader',
      details: { leaderId: this.leaderId, leaderClientUrls: this.leaderUrls },
    };
  }

  /** Drops every open connection. */
  dropAll(code = 1006): void {
    for (const s of [...this.sessions]) s.drop(code);
  }

  get session(): FakeSession {
    const s = [...this.sessions][0];
    if (s === undefined) throw new Error(`member ${this.id} has no connection`);
    return s;
  }
}

/** N members (ws://mN:2379/ws) over one store, and the transport the client dials them with. */
export class FakeCluster implements ClientTransport {
  readonly store = new FakeStore();
  readonly members: FakeMember[];

  constructor(size = 3) {
    this.members = Array.from(
      { length: size },
      (_, i) => new FakeMember(i + 1, `ws://m${i + 1}:2379/ws`, this.store),
    );
    for (const m of this.members) {
      m.clientUrls = [`http://m${m.id}:2379`];
      m.memberList = () => this.members.map((x) => ({ id: x.id, clientUrls: x.clientUrls }));
    }
  }

  member(n: number): FakeMember {
    const m = this.members[n - 1];
    if (m === undefined) throw new Error(`no member ${n}`);
    return m;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.url);
  }

  /** The member a client is currently connected to. */
  connectedMembers(): FakeMember[] {
    return this.members.filter((m) => m.sessions.size > 0);
  }

  connect(url: string, options: ConnectOptions): Promise<TransportConnection> {
    if (options.signal.aborted) return Promise.reject(options.signal.reason);
    const member = this.members.find((m) => m.url === url);
    if (member === undefined || member.down) return Promise.reject(new Error(`ECONNREFUSED ${url}`));
    if (member.silent) {
      const signal = options.signal;
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
      );
    }
    if (!options.subprotocols.includes(SUBPROTOCOL_JSON_V1))
      return Promise.reject(new Error('no common subprotocol'));
    member.accepted++;
    const queue = new FrameQueue();
    let resolveClosed: (c: TransportClose) => void = () => undefined;
    const closed = new Promise<TransportClose>((r) => (resolveClosed = r));
    const session = new FakeSession(member, queue, (c) => resolveClosed(c));
    member.sessions.add(session);
    const connection: TransportConnection = {
      protocol: SUBPROTOCOL_JSON_V1,
      send: (frame) => session.receive(frame),
      close: (code = 1000, reason = '') => session.drop(code, reason),
      terminate: () => {
        member.onTerminate?.();
        session.drop(1006, '');
      },
      closed: () => closed,
      [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
    };
    return Promise.resolve(connection);
  }
}

export { text as utf8 };
