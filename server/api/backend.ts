/**
 * What the client API needs from the member: the one interface `server/api/` consumes (defined
 * here, by its consumer, and kept narrow). The composition root implements it on top of the
 * replica; the API tests implement it in memory (test/api/fake-backend.ts).
 *
 * Types are the domain types of `client/protocol` (already decoded and validated at the edge), so
 * a backend never sees JSON. Every async operation takes an AbortSignal: the API aborts it when the
 * client goes away or the member shuts down, and the backend then rejects (with the signal's reason
 * or an UNAVAILABLE/TIMEOUT error) as soon as it can.
 *
 * Errors. A backend rejects with errors that carry a stable `code` (client/protocol ErrorCode):
 * `ServerError` (server/errors.ts), the state machine's typed errors (`CompactedError` with
 * `compactRevision`, `FutureRevisionError` with `current`, `LeaseNotFoundError`, …) or
 * `NotLeaderError` below. The API maps them with `toErrorBody` (errors.ts), reading these optional
 * properties into the wire details: `compactRevision`, `currentRevision` (or `current`), `leaderId`,
 * `leaderClientUrls`, `retryAfterMs`, `limit`, `field`. Anything without a known code is answered
 * INTERNAL and logged.
 */
import type {
  AlarmRequest,
  AlarmResponse,
  AlarmType,
  CompactionRequest,
  CompactionResponse,
  DefragmentResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  HashKVRequest,
  HashKVResponse,
  HashResponse,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  StatusResponse,
  TxnRequest,
  TxnResponse,
  WatchCreateRequest,
  WatchEvent,
} from '../../client/protocol/index.js';
import { ErrorCode } from '../../client/protocol/index.js';
import type { AuthBackend } from './auth-call.js';
import type { MetricsRegistry } from './metrics.js';

/** Options of every async backend call. */
export interface CallOptions {
  readonly signal?: AbortSignal;
  /**
   * The caller's auth token, as its door received it (the WebSocket hello or `auth.authenticate`,
   * the gateway's `Authorization` header, gRPC's `token` metadata). Absent: no token, which a
   * member with auth on refuses (docs/auth.md).
   */
  readonly token?: string;
  /**
   * The user named by the CN of the caller's verified TLS client certificate (`--client-cert-auth`),
   * used when no token is sent, as etcd does (cert-user.ts).
   */
  readonly certUser?: string;
  /** Who is calling (the remote address), for per-client limits such as authentication attempts. */
  readonly peer?: string;
}

/**
 * Receives what one watch produces, in order. The backend calls it synchronously from wherever it
 * learns of the events (typically the apply loop); the API only queues, so calls are cheap.
 */
export interface WatchSink {
  /**
   * Events of one or more **whole** revisions, in revision order, each revision's events in the
   * order of the write, never twice and with no gap since the watch's start revision. `revision` is
   * the store revision the batch was taken at (≥ the last event's mod revision).
   */
  events(events: readonly WatchEvent[], revision: number): void;
  /**
   * The backend ended the watch (its history was compacted past it: a COMPACTED error with
   * `compactRevision`; it fell too far behind: SLOW_WATCHER; the member stops: UNAVAILABLE). The
   * error carries a `code` as above. No call follows; the API does not call `cancel()` after it.
   */
  ended(error: Error): void;
}

export interface WatchHandle {
  /** Stops the watch; idempotent; no sink call follows. */
  cancel(): void;
  /**
   * Resolves with a revision R such that every event of this watch with mod revision ≤ R has been
   * passed to the sink before the promise resolves (for a watch that is synced: the current
   * revision). The API turns it into progress notifications: on request (`watch.progress`) and, for
   * watches created with `progressNotify`, when they have been idle for the progress interval. The
   * backend itself never sends progress.
   */
  requestProgress(): Promise<number>;
}

/** A point-in-time snapshot of the member's state, streamed to a client in chunks. */
export interface BackendSnapshot {
  /** The header at the snapshot's point in time. */
  readonly header: ResponseHeader;
  /** Total bytes `chunks` will yield (the client checks it). */
  readonly sizeBytes: number;
  /** Version of the snapshot format (SnapshotResponse.version). */
  readonly version: string;
  /** The snapshot file's bytes, in order; the API re-chunks them. Breaking out releases resources. */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/** What /health reports (etcd's rule: healthy = a leader is known and no alarm is raised). */
export interface BackendHealth {
  /** The leader this member knows of, 0 for none. */
  readonly leaderId: number;
  /** Alarms raised anywhere in the cluster (etcd reports them all). */
  readonly alarms: readonly AlarmType[];
  /**
   * False while the member does not serve clients yet (a joining member that has not published
   * its name and client URLs): /health answers 503, gRPC health NOT_SERVING. Absent: ready.
   */
  readonly ready?: boolean;
}

/** The leader as a member knows it (see `ClientBackend.leader`). */
export interface BackendLeader {
  readonly id: number;
  readonly clientUrls: readonly string[];
}

export interface ClientBackend {
  /** The current header: cluster id, this member's id, its applied store revision, Raft term. */
  header(): ResponseHeader;

  /** Linearizable (ReadIndex) unless `req.serializable`. */
  range(req: RangeRequest, options: CallOptions): Promise<RangeResponse>;
  put(req: PutRequest, options: CallOptions): Promise<PutResponse>;
  deleteRange(req: DeleteRangeRequest, options: CallOptions): Promise<DeleteRangeResponse>;
  txn(req: TxnRequest, options: CallOptions): Promise<TxnResponse>;
  compact(req: CompactionRequest, options: CallOptions): Promise<CompactionResponse>;

  leaseGrant(req: LeaseGrantRequest, options: CallOptions): Promise<LeaseGrantResponse>;
  leaseRevoke(req: LeaseRevokeRequest, options: CallOptions): Promise<LeaseRevokeResponse>;
  /**
   * Renews lease `id` once, **on the leader** (only the leader's lessor tracks expiry). A follower
   * throws `NotLeaderError` (code NOT_LEADER) carrying the leader's id and client URLs: the API puts
   * them in the error's details (`leader_id`, `leader_client_urls`) so the SDK can move its
   * keep-alive stream to the leader. A lease that does not exist: LEASE_NOT_FOUND.
   */
  leaseKeepAlive(id: number, options: CallOptions): Promise<LeaseKeepAliveResponse>;
  leaseTimeToLive(req: LeaseTimeToLiveRequest, options: CallOptions): Promise<LeaseTimeToLiveResponse>;
  leaseLeases(options: CallOptions): Promise<LeaseLeasesResponse>;
  /**
   * Calls `listener` when a lease is revoked or expires (as applied on this member), so open
   * keep-alive streams of that lease end at once with LEASE_NOT_FOUND. Returns an unsubscribe.
   */
  onLeaseRevoked(listener: (leaseId: number) => void): () => void;

  /**
   * Starts a watch. Resolves once the watcher is registered; events from `req.startRevision` (0:
   * the next revision) then flow into `sink` (they may start before the promise resolves). Rejects
   * with COMPACTED (`compactRevision`) if the start revision is already compacted. `req.watchId` is
   * the API's id for logs only; the backend need not use it.
   */
  watch(req: WatchCreateRequest, sink: WatchSink, options: CallOptions): Promise<WatchHandle>;

  memberList(req: MemberListRequest, options: CallOptions): Promise<MemberListResponse>;
  /**
   * Membership changes (etcd's MemberAdd / MemberRemove / MemberPromote). Each resolves once the
   * change is applied on this member, with the member list after it. One change at a time:
   * MEMBERSHIP_CHANGE_PENDING while another is not applied. Errors: MEMBER_EXISTS (add),
   * MEMBER_NOT_FOUND (remove, promote), MEMBER_NOT_LEARNER and LEARNER_NOT_READY (promote); a
   * backend that can only decide on the leader answers NOT_LEADER with the leader's client URLs.
   */
  memberAdd(req: MemberAddRequest, options: CallOptions): Promise<MemberAddResponse>;
  memberRemove(req: MemberRemoveRequest, options: CallOptions): Promise<MemberRemoveResponse>;
  memberPromote(req: MemberPromoteRequest, options: CallOptions): Promise<MemberPromoteResponse>;
  status(options: CallOptions): Promise<StatusResponse>;
  alarm(req: AlarmRequest, options: CallOptions): Promise<AlarmResponse>;
  snapshot(options: CallOptions): Promise<BackendSnapshot>;
  health(): BackendHealth;

  // ---- Maintenance and membership operations (etcd's Hash, HashKV, Defragment, MoveLeader,
  // MemberUpdate). Each is answered by the member it reaches, except memberUpdate (decided on the
  // leader, like the other membership changes) and moveLeader (the leader hands over: a follower
  // answers NOT_LEADER, as etcd's "etcdserver: not leader").
  /** A hash of this member's whole replicated state (etcd: of its whole database file). */
  hash(options: CallOptions): Promise<HashResponse>;
  /**
   * A hash of the MVCC key-values from the compaction point up to `req.revision` (0: current):
   * equal on every member at the same revision and compaction point. COMPACTED below the
   * compaction point, FUTURE_REVISION past the current revision.
   */
  hashKV(req: HashKVRequest, options: CallOptions): Promise<HashKVResponse>;
  /** Compacts this member's in-memory structures and returns what it can to the allocator. */
  defragment(options: CallOptions): Promise<DefragmentResponse>;
  /**
   * Hands Raft leadership to `req.targetId` (a voter); resolves once this member sees it lead.
   * NOT_LEADER on a follower; MEMBER_NOT_FOUND / MEMBER_NOT_LEARNER-like INVALID_ARGUMENT when the
   * target is unknown or a learner (etcd's texts: errors.ts).
   */
  moveLeader(req: MoveLeaderRequest, options: CallOptions): Promise<MoveLeaderResponse>;
  /** Changes a member's advertised peer URLs (MEMBER_NOT_FOUND, MEMBER_EXISTS for a taken URL). */
  memberUpdate(req: MemberUpdateRequest, options: CallOptions): Promise<MemberUpdateResponse>;

  /**
   * Optional: the leader this member knows (id 0: none) and the client URLs it published (empty:
   * not yet). Sent in the welcome and the leader_changed notices, so the SDK can talk to the leader.
   */
  leader?(): BackendLeader;
  /** Optional: told when this member sees a new leader (0: none); sent to clients as a notice. */
  onLeaderChange?(listener: (leaderId: number) => void): () => void;
  /** Optional: called once at start so the backend can add its families or collectors. */
  registerMetrics?(registry: MetricsRegistry): void;
  /** Optional: the auth methods (absent: they answer UNIMPLEMENTED). */
  readonly auth?: AuthBackend;
}

/**
 * This member cannot serve the request (a keep-alive on a follower): retry on the leader. The API
 * passes `leaderId` and `leaderClientUrls` to the client in the error details.
 */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
  readonly code = ErrorCode.NotLeader;
  readonly retryable = true;
  constructor(
    readonly leaderId: number,
    readonly leaderClientUrls: readonly string[],
    message = leaderId === 0
      ? 'etcdserver: not leader (no leader known)'
      : `etcdserver: not leader (leader is ${leaderId})`,
  ) {
    super(message);
  }
}
