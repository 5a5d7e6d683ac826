/**
 * The member's own metric families (docs/operations.md): the replica, store, watch pump and peer
 * network counters, copied from their totals at scrape time. Split from backend.ts, which
 * registers them for the client API's /metrics.
 */
import type * as P from '../../client/protocol/index.js';
import type { MetricsRegistry } from '../api/metrics.js';
import type { BackendCore } from './backend-core.js';
import { WIRE_ALARM } from './maintenance-backend.js';

export function registerMemberMetrics(
  registry: MetricsRegistry,
  core: BackendCore,
  activeAlarms: () => readonly P.AlarmType[],
): void {
  const { replica, machine, pump, network } = core;
  // The replica and transport count by themselves; these families copy their totals at scrape
  // time (counters only grow during the process' life, as Prometheus expects).
  const c = (name: string, help: string) => registry.counter(name, help);
  const g = (name: string, help: string) => registry.gauge(name, help);
  const applied = c('concord_server_proposals_applied_total', 'Proposals applied on this member.');
  const failed = c('concord_server_proposals_failed_total', 'Proposals that failed or timed out.');
  const pending = g('concord_server_proposals_pending', 'Proposals waiting to be applied.');
  const commitIndex = g('concord_raft_commit_index', 'The Raft commit index this member knows.');
  const appliedIndex = g('concord_raft_applied_index', 'The last Raft index applied on this member.');
  const leaderChanges = c('concord_server_leader_changes_seen_total', 'Leader changes seen.');
  const hasLeader = g('concord_server_has_leader', '1 if a leader is known.');
  const isLeader = g('concord_server_is_leader', '1 if this member is the leader.');
  const term = g('concord_raft_term', 'Current Raft term.');
  const dbSize = g(
    'concord_mvcc_db_size_bytes',
    'Bytes of keys, values and history counted against the quota.',
  );
  const quota = g('concord_mvcc_quota_bytes', 'The space quota (--quota-backend-bytes).');
  const revision = g('concord_mvcc_current_revision', 'Current store revision.');
  const watchers = g('concord_watch_watchers', 'Watchers on this member.');
  const alarms = g('concord_server_alarms', 'Alarms raised in the cluster, by type (1 while raised).');
  const snapshots = c('concord_server_snapshots_taken_total', 'Snapshots taken.');
  const restored = c(
    'concord_server_snapshots_restored_total',
    'Snapshots received from a leader and installed.',
  );
  const applySeconds = c('concord_server_apply_seconds_total', 'Seconds spent applying entries.');
  // Only a member with a network has peer messages to drop.
  const peerDrops =
    network !== undefined
      ? c('concord_network_peer_dropped_messages_total', 'Peer messages dropped.')
      : undefined;
  const peerLost =
    network !== undefined
      ? c(
          'concord_network_peer_connections_lost_total',
          'Peer streams that closed and could not be redialled at once.',
        )
      : undefined;
  const peerEstablished =
    network !== undefined
      ? c('concord_network_peer_connections_established_total', 'Peer streams established.')
      : undefined;
  const peerRefused =
    network !== undefined
      ? c(
          'concord_network_peer_connections_refused_total',
          'Inbound peer connections refused: failed TLS handshakes (revoked or untrusted certificates), certificates of a name not allowed, bad peer handshakes, too many connections.',
        )
      : undefined;
  const campaigns = c('concord_raft_campaigns_total', 'Campaigns this member started, by reason.');
  const lastCampaign = g(
    'concord_raft_last_campaign_reason',
    'The reason of the latest campaign this member started (1 for that reason, 0 for the others).',
  );
  registry.addCollector(() => {
    const s = replica.stats();
    const st = replica.status();
    applied.setTotal(s.proposalsApplied);
    failed.setTotal(s.proposalsFailed);
    pending.set(s.proposalsPending);
    commitIndex.set(st.raft.commit);
    appliedIndex.set(st.appliedIndex);
    leaderChanges.setTotal(s.leaderChanges);
    hasLeader.set(st.raft.lead !== 0 ? 1 : 0);
    isLeader.set(replica.isLeader() ? 1 : 0);
    term.set(st.raft.term);
    dbSize.set(machine.store.sizeBytes);
    quota.set(core.config.quotaBackendBytes);
    revision.set(machine.store.currentRevision);
    watchers.set(pump.watcherCount);
    const raised = activeAlarms();
    for (const type of ['noSpace', 'corrupt'] as const)
      alarms.set(raised.includes(type) ? 1 : 0, { alarm: WIRE_ALARM[type] });
    snapshots.setTotal(s.snapshotsTaken);
    restored.setTotal(s.snapshotsRestored);
    applySeconds.setTotal(s.applyMsTotal / 1000);
    if (network !== undefined) peerDrops?.setTotal(network.droppedPeerMessages());
    if (network !== undefined) peerLost?.setTotal(network.peerConnectionsLost());
    if (network !== undefined) peerEstablished?.setTotal(network.peerConnectionsEstablished());
    if (network !== undefined) peerRefused?.setTotal(network.peerConnectionsRefused());
    for (const [reason, n] of Object.entries(st.raft.campaigns)) {
      campaigns.setTotal(n, { reason });
      lastCampaign.set(st.raft.campaignReason === reason ? 1 : 0, { reason });
    }
  });
}
