/**
 * Leaving gracefully: a leader hands leadership to its most up-to-date voter first, so the
 * cluster does not wait an election timeout to notice it is gone (etcd does the same on stop).
 */
import type { Replica } from '../replica/index.js';

export async function transferLeadershipAway<R>(
  replica: Replica<R>,
  timeoutMs: number,
): Promise<number | undefined> {
  if (!replica.isLeader()) return undefined;
  const status = replica.status().raft;
  const voters = new Set(status.confState.voters);
  let best: { id: number; match: number } | undefined;
  for (const [id, pr] of status.progress ?? []) {
    if (id === replica.id || !voters.has(id) || !pr.recentActive) continue;
    if (best === undefined || pr.match > best.match) best = { id, match: pr.match };
  }
  if (best === undefined) return undefined;
  try {
    await replica.transferLeadership(best.id, { timeoutMs });
    return best.id;
  } catch {
    return undefined;
  }
}
