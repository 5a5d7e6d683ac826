/**
 * Member and cluster ids, derived rather than stored: every member computes the same ids from the
 * cluster token and the advertised peer URLs, so `--initial-cluster` alone names the whole cluster
 * (as etcd derives its ids). A module of its own so that the request path (backend.ts, which
 * gives a member added at run time its id) does not load the member's configuration.
 */
import { createHash } from 'node:crypto';

/**
 * The member id of a member advertising `peerUrls` in the cluster made with `token`: what every
 * member computes from its initial cluster, and what memberAdd gives a new member.
 */
export function memberIdOf(token: string, peerUrls: readonly string[]): number {
  return stableId(token, ...[...peerUrls].sort());
}

/** The cluster id: derived from the token and the ids of the members the cluster was created with. */
export function clusterIdOf(token: string, memberIds: readonly number[]): number {
  return stableId(token, ...[...memberIds].sort((a, b) => a - b).map(String));
}

/** A stable 48-bit id (fits a JS number exactly, never 0) from a hash of the given parts. */
export function stableId(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}
