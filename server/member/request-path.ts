/**
 * A member's request path on ports alone: the client API's backend (`MemberBackend`) and the
 * member's services (watch pump, lease driver, auto-compaction) wired to a replica that the caller
 * built and runs. No socket, no disk, no Node timer: time is the given clock and timers. The
 * simulator runs simulated clients through it on virtual time; tests drive it on a manual clock.
 *
 * What needs a network is absent: a follower answers membership changes with NOT_LEADER (the
 * leader's id) instead of forwarding them, and no peer metrics are registered.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type { ApplyResult, StateMachine } from '../apply/index.js';
import { DEFAULT_QUOTA_BYTES, type AutoCompactionOptions } from '../mvcc/index.js';
import type { Clock } from '../platform/clock.js';
import { noopLogger, type Logger } from '../platform/logger.js';
import type { Timers } from '../platform/timers.js';
import type { Replica } from '../replica/index.js';
import { MemberBackend } from './backend.js';
import { startMemberServices, type MemberServices } from './member-services.js';
import type { StateMachinePort } from './state-machine-port.js';
import { deferOn } from './watch-pump.js';

export interface RequestPathPorts {
  /** The member's replica; the caller starts, steps and stops it. */
  readonly replica: Replica<ApplyResult>;
  /** The apply state machine behind the replica's port. */
  readonly machine: StateMachine;
  /** The replica's state machine port (it reports applied lease revokes). */
  readonly port: Pick<StateMachinePort, 'onLeaseRevoked'>;
  readonly clock: Clock;
  /** Watch catch-up rounds are deferred as zero-delay timers on these. */
  readonly timers: Timers;
  /** Default: discards everything. */
  readonly logger?: Logger;
  readonly clusterId: number;
  readonly memberId: number;
  /** A new leader's grace for every lease (etcd: the election timeout). */
  readonly electionTimeoutMs: number;
  /** Undefined (the default): no auto-compaction. */
  readonly autoCompaction?: AutoCompactionOptions;
  /** Reported by status and metrics; the state machine enforces its own. Default: 2 GiB. */
  readonly quotaBackendBytes?: number;
  /** Seeds the ids of added members. Default: 'concord-cluster'. */
  readonly initialClusterToken?: string;
}

export interface RequestPath {
  /** The client API's backend (server/api's `ClientBackend`). */
  readonly backend: MemberBackend;
  readonly services: MemberServices;
  /**
   * The member stops (or crashes): detaches the services from the replica and ends every open
   * watch with UNAVAILABLE, as a client sees its member go away. Idempotent.
   */
  close(): void;
}

/** Wires the request path to `ports.replica`; call before `replica.start()` or after, either works. */
export function assembleRequestPath(ports: RequestPathPorts): RequestPath {
  const logger = ports.logger ?? noopLogger;
  const services = startMemberServices({
    replica: ports.replica,
    machine: ports.machine,
    clock: ports.clock,
    defer: deferOn(ports.timers),
    logger,
    memberId: ports.memberId,
    electionTimeoutMs: ports.electionTimeoutMs,
    autoCompaction: ports.autoCompaction,
  });
  const backend = new MemberBackend({
    config: {
      clusterId: ports.clusterId,
      memberId: ports.memberId,
      quotaBackendBytes: ports.quotaBackendBytes ?? DEFAULT_QUOTA_BYTES,
      initialClusterToken: ports.initialClusterToken ?? 'concord-cluster',
    },
    logger,
    replica: ports.replica,
    machine: ports.machine,
    port: ports.port,
    pump: services.pump,
    defer: deferOn(ports.timers),
    clock: ports.clock,
  });
  return {
    backend,
    services,
    close: () => services.close({ code: ErrorCode.Unavailable, reason: 'the member stopped' }),
  };
}
