/** What the gRPC door's handlers share: the backend, the limits, logging and metrics. */
import type { Metadata } from '@grpc/grpc-js';
import type { Logger } from '../../platform/logger.js';
import type { ApiMetrics } from '../api-metrics.js';
import type { ClientBackend } from '../backend.js';
import type { ApiLimits } from '../options.js';
import type { LeaseForwarder } from './lease-forward.js';
import { noLeaderStatus } from './status.js';

export interface GrpcContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  /** Sends keep-alives a follower cannot serve to the leader (absent: answer NOT_LEADER). */
  readonly forwarder?: LeaseForwarder;
}

/**
 * etcd's `hasleader` rule: a call whose metadata carries `hasleader: true` (clientv3's
 * WithRequireLeader, which etcdctl's watch uses) fails with UNAVAILABLE "etcdserver: no leader"
 * while the member knows no leader, instead of waiting on a partitioned member.
 */
export function leaderRequirementFailed(
  ctx: GrpcContext,
  metadata: Metadata,
): ReturnType<typeof noLeaderStatus> | undefined {
  const wanted = metadata.get('hasleader');
  if (wanted.length === 0 || String(wanted[0]) !== 'true') return undefined;
  return ctx.backend.health().leaderId === 0 ? noLeaderStatus() : undefined;
}
