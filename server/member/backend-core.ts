/**
 * What `MemberBackend` (backend.ts) needs of a member, as ports: the replica, the apply state
 * machine, the watch pump, a clock and a few config values. A real member (`MemberCore`) adds its
 * network (`BackendNetwork`); a backend without one (the simulator's, a test's) runs the same
 * request path with no socket and no disk, and the few requests that need the network answer a
 * typed error instead.
 */
import type { ApplyResult, StateMachine } from '../apply/index.js';
import type { Method, MethodParams, MethodResult } from '../../client/protocol/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Replica } from '../replica/index.js';
import type { MemberAuthOptions } from './auth-handlers.js';
import type { StateMachinePort } from './state-machine-port.js';
import type { Defer, WatchPump } from './watch-pump.js';

/** The config values the request path reads (a `MemberConfig` has them all). */
export interface BackendConfig {
  readonly clusterId: number;
  readonly memberId: number;
  /** The space quota, reported by status and metrics (the state machine enforces it). */
  readonly quotaBackendBytes: number;
  /** Seeds the ids of added members (etcd derives a member id from its peer URLs and the token). */
  readonly initialClusterToken: string;
  /** Refuse membership changes that could cost the quorum (reconfig-check.ts); needs a network. */
  readonly strictReconfigCheck?: boolean;
}

/**
 * The methods a member sends to another member's client port (leader-forward.ts): the membership
 * changes a follower forwards to its leader, and the HashKV the corruption checks ask peers for.
 */
export type ForwardedMethod = Extract<
  Method,
  | 'cluster.memberAdd'
  | 'cluster.memberRemove'
  | 'cluster.memberPromote'
  | 'cluster.memberUpdate'
  | 'maintenance.hashKV'
>;

/** What only a member with sockets has. */
export interface BackendNetwork {
  /**
   * Sends a membership change to the first of the leader's client URLs that answers; resolves
   * with the leader's result, rejects with its error or UNAVAILABLE (LeaderForwarder.call).
   */
  forwardToLeader<M extends ForwardedMethod>(
    method: M,
    params: MethodParams<M>,
    leaderUrls: readonly string[],
    signal?: AbortSignal,
    /** The caller's auth token, passed on so the leader checks the change as the caller's. */
    token?: string,
  ): Promise<MethodResult<M>>;
  /** Peer messages dropped so far (a metric). */
  droppedPeerMessages(): number;
  /** Peer streams closed whose immediate redial failed (the early pre-vote's signal), and established. */
  peerConnectionsLost(): number;
  peerConnectionsEstablished(): number;
  /** Inbound peer connections refused (TLS handshake, certificate name check, peer handshake, limits). */
  peerConnectionsRefused(): number;
  /** When the stream to a peer came up (core clock ms), undefined while it is down (PeerActivity). */
  peerActiveSince(peerId: number): number | undefined;
}

export interface BackendCore {
  readonly config: BackendConfig;
  readonly logger: Logger;
  readonly replica: Replica<ApplyResult>;
  readonly machine: StateMachine;
  /** Tells of applied lease revokes (keep-alive streams of a revoked lease end at once). */
  readonly port: Pick<StateMachinePort, 'onLeaseRevoked'>;
  readonly pump: WatchPump;
  /** Lease ids are seeded from it; the leader's lessor renews against it. */
  readonly clock: Clock;
  /** One turn of the event loop (a real member: `setImmediate`): long work yields through it. */
  readonly defer: Defer;
  /**
   * Absent on a member without sockets: a follower then answers membership changes with
   * NOT_LEADER (the leader's id and known client URLs) instead of forwarding them.
   */
  readonly network?: BackendNetwork;
  /** Token mode, password hashing and rate limits of access control (default: simple tokens). */
  readonly auth?: MemberAuthOptions;
  /**
   * Absent where there is no heap to tidy (the simulator): a full, compacting garbage collection,
   * with the heap's used bytes before and after (defragment).
   */
  readonly reclaimMemory?: () => { readonly before: number; readonly after: number };
}
