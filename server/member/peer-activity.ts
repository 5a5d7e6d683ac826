/**
 * Since when each peer has been reachable, as the transport's outbound streams report it: etcd's
 * `ActiveSince`, which its strict reconfiguration check reads (reconfig-check.ts). A peer whose
 * stream is down has no time.
 */
import type { Clock } from '../platform/clock.js';

export class PeerActivity {
  private readonly since = new Map<number, number>();

  constructor(private readonly clock: Clock) {}

  /** The stream to `peerId` is up; a peer already up keeps its earlier time. */
  connected(peerId: number): void {
    if (!this.since.has(peerId)) this.since.set(peerId, this.clock.nowMs());
  }

  disconnected(peerId: number): void {
    this.since.delete(peerId);
  }

  /** When the stream to `peerId` came up (clock ms), undefined while it is down. */
  activeSince(peerId: number): number | undefined {
    return this.since.get(peerId);
  }
}
