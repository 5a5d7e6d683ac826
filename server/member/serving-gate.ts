/**
 * Holds the client API's requests until the member may serve them: `concord serve
 * --experimental-initial-corrupt-check` opens the client port first (the peers' own checks ask
 * it for HashKV) but must not answer clients from data it has not compared with its peers yet.
 * Until `open()`, every request waits (bounded by its own signal); after `refuse(err)`, they fail
 * with UNAVAILABLE. What the check itself and the peers' checks need passes at once: HashKV, the
 * member list, status and health.
 *
 * The same gate, holding status and health too (`holdStatus`), keeps a member that joins from
 * answering clients before it has published its name and client URLs (start-member.ts), as etcd's
 * member publishes itself before it serves; then each request waits at most `maxWaitMs`.
 */
import type * as P from '../../client/protocol/index.js';
import type {
  BackendHealth,
  BackendLeader,
  BackendSnapshot,
  CallOptions,
  ClientBackend,
  WatchHandle,
  WatchSink,
} from '../api/backend.js';
import type { MetricsRegistry } from '../api/metrics.js';
import { unavailable } from '../errors.js';

export interface ServingGateOptions {
  /** Hold status as well, and report health not ready until open. */
  readonly holdStatus?: boolean;
  /** How long a held request waits before it fails with UNAVAILABLE (default: its own signal). */
  readonly maxWaitMs?: number;
}

export class ServingGate implements ClientBackend {
  private state: 'waiting' | 'open' | 'refused' = 'waiting';
  private reason: Error | undefined;
  private readonly waiters = new Set<() => void>();

  /** The auth methods of the backend behind the gate (access control checks its own requests). */
  readonly auth?: NonNullable<ClientBackend['auth']>;

  constructor(
    private readonly inner: ClientBackend,
    private readonly options: ServingGateOptions = {},
  ) {
    if (inner.auth !== undefined) this.auth = inner.auth;
  }

  /** Lets every held and later request through. */
  open(): void {
    this.settle('open');
  }

  /** Fails every held and later request with UNAVAILABLE naming `reason`. */
  refuse(reason: Error): void {
    this.reason = reason;
    this.settle('refused');
  }

  private settle(state: 'open' | 'refused'): void {
    if (this.state !== 'waiting') return;
    this.state = state;
    for (const w of [...this.waiters]) w();
    this.waiters.clear();
  }

  /** Resolves once open; rejects once refused or when the call's signal aborts. */
  private pass(options: CallOptions): Promise<void> {
    if (this.state === 'open') return Promise.resolve();
    if (this.state === 'refused') return Promise.reject(this.refusal());
    return new Promise<void>((resolve, reject) => {
      const signal = options.signal;
      const { maxWaitMs } = this.options;
      const timer =
        maxWaitMs === undefined
          ? undefined
          : setTimeout(() => {
              signal?.removeEventListener('abort', onAbort);
              this.waiters.delete(wake);
              reject(
                unavailable('this member is not ready to serve yet (it has not published itself); retry'),
              );
            }, maxWaitMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        reject(signal?.reason instanceof Error ? signal.reason : unavailable('request aborted'));
      };
      const wake = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.state === 'open') resolve();
        else reject(this.refusal());
      };
      if (signal?.aborted === true) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(wake);
    });
  }

  private refusal(): Error {
    return unavailable(`this member does not serve: ${this.reason?.message ?? 'refused'}`, this.reason);
  }

  private async gated<T>(options: CallOptions, call: () => Promise<T>): Promise<T> {
    await this.pass(options);
    return call();
  }

  // ---- passed at once: what the corruption checks and monitoring need ----------------------

  header(): P.ResponseHeader {
    return this.inner.header();
  }
  hashKV(req: P.HashKVRequest, options: CallOptions): Promise<P.HashKVResponse> {
    return this.inner.hashKV(req, options);
  }
  memberList(req: P.MemberListRequest, options: CallOptions): Promise<P.MemberListResponse> {
    return this.inner.memberList(req, options);
  }
  status(options: CallOptions): Promise<P.StatusResponse> {
    if (this.options.holdStatus === true) return this.gated(options, () => this.inner.status(options));
    return this.inner.status(options);
  }
  health(): BackendHealth {
    const h = this.inner.health();
    return this.options.holdStatus === true && this.state !== 'open' ? { ...h, ready: false } : h;
  }
  onLeaseRevoked(listener: (leaseId: number) => void): () => void {
    return this.inner.onLeaseRevoked(listener);
  }
  leader(): BackendLeader {
    return this.inner.leader?.() ?? { id: 0, clientUrls: [] };
  }
  onLeaderChange(listener: (leaderId: number) => void): () => void {
    return this.inner.onLeaderChange?.(listener) ?? (() => undefined);
  }
  registerMetrics(registry: MetricsRegistry): void {
    this.inner.registerMetrics?.(registry);
  }

  // ---- held until open -----------------------------------------------------------------------

  range(req: P.RangeRequest, o: CallOptions): Promise<P.RangeResponse> {
    return this.gated(o, () => this.inner.range(req, o));
  }
  put(req: P.PutRequest, o: CallOptions): Promise<P.PutResponse> {
    return this.gated(o, () => this.inner.put(req, o));
  }
  deleteRange(req: P.DeleteRangeRequest, o: CallOptions): Promise<P.DeleteRangeResponse> {
    return this.gated(o, () => this.inner.deleteRange(req, o));
  }
  txn(req: P.TxnRequest, o: CallOptions): Promise<P.TxnResponse> {
    return this.gated(o, () => this.inner.txn(req, o));
  }
  compact(req: P.CompactionRequest, o: CallOptions): Promise<P.CompactionResponse> {
    return this.gated(o, () => this.inner.compact(req, o));
  }
  leaseGrant(req: P.LeaseGrantRequest, o: CallOptions): Promise<P.LeaseGrantResponse> {
    return this.gated(o, () => this.inner.leaseGrant(req, o));
  }
  leaseRevoke(req: P.LeaseRevokeRequest, o: CallOptions): Promise<P.LeaseRevokeResponse> {
    return this.gated(o, () => this.inner.leaseRevoke(req, o));
  }
  leaseKeepAlive(id: number, o: CallOptions): Promise<P.LeaseKeepAliveResponse> {
    return this.gated(o, () => this.inner.leaseKeepAlive(id, o));
  }
  leaseTimeToLive(req: P.LeaseTimeToLiveRequest, o: CallOptions): Promise<P.LeaseTimeToLiveResponse> {
    return this.gated(o, () => this.inner.leaseTimeToLive(req, o));
  }
  leaseLeases(o: CallOptions): Promise<P.LeaseLeasesResponse> {
    return this.gated(o, () => this.inner.leaseLeases(o));
  }
  watch(req: P.WatchCreateRequest, sink: WatchSink, o: CallOptions): Promise<WatchHandle> {
    return this.gated(o, () => this.inner.watch(req, sink, o));
  }
  memberAdd(req: P.MemberAddRequest, o: CallOptions): Promise<P.MemberAddResponse> {
    return this.gated(o, () => this.inner.memberAdd(req, o));
  }
  memberRemove(req: P.MemberRemoveRequest, o: CallOptions): Promise<P.MemberRemoveResponse> {
    return this.gated(o, () => this.inner.memberRemove(req, o));
  }
  memberPromote(req: P.MemberPromoteRequest, o: CallOptions): Promise<P.MemberPromoteResponse> {
    return this.gated(o, () => this.inner.memberPromote(req, o));
  }
  memberUpdate(req: P.MemberUpdateRequest, o: CallOptions): Promise<P.MemberUpdateResponse> {
    return this.gated(o, () => this.inner.memberUpdate(req, o));
  }
  alarm(req: P.AlarmRequest, o: CallOptions): Promise<P.AlarmResponse> {
    return this.gated(o, () => this.inner.alarm(req, o));
  }
  snapshot(o: CallOptions): Promise<BackendSnapshot> {
    return this.gated(o, () => this.inner.snapshot(o));
  }
  hash(o: CallOptions): Promise<P.HashResponse> {
    return this.gated(o, () => this.inner.hash(o));
  }
  defragment(o: CallOptions): Promise<P.DefragmentResponse> {
    return this.gated(o, () => this.inner.defragment(o));
  }
  moveLeader(req: P.MoveLeaderRequest, o: CallOptions): Promise<P.MoveLeaderResponse> {
    return this.gated(o, () => this.inner.moveLeader(req, o));
  }
}
