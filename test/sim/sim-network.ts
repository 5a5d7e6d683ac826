/**
 * The simulated network between members. Every message gets its own one-way latency
 * (min + exponential), may be lost or (except proposals) duplicated. Each link is FIFO by default, as the TCP/WebSocket
 * peer connections are: a message never arrives before one sent earlier on the same link. A share
 * of messages (`reorderRate`) is exempt and held back by up to `reorderDelayMs`, so later ones
 * overtake it (what a reconnect and resend looks like). Links can be cut in one direction (asymmetric partitions) or both;
 * a link cut while a message is in flight drops the message at delivery, as a reset TCP connection
 * would. All choices come from the network's own PRNG stream, so a seed replays exactly.
 */
import type { SeededRandom } from '../../server/platform/random.js';
import type { Message } from '../../server/raft/index.js';
import { exponential } from './options.js';
import type { Scheduler } from './scheduler.js';

export interface NetworkConditions {
  readonly latencyMinMs: number;
  readonly latencyMeanMs: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  readonly reorderDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = {
  latencyMinMs: 0.5,
  latencyMeanMs: 1,
  lossRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMs: 0,
};

export interface NetworkStats {
  sent: number;
  delivered: number;
  lost: number;
  /** Dropped because the link was cut at send or delivery time. */
  cut: number;
  duplicated: number;
  reordered: number;
}

const MAX_NODE_ID = 1 << 16;

export class SimNetwork {
  private readonly blocked = new Set<number>();
  /** Links down because their connection flapped (fault-driver.ts); partitions do not heal these. */
  private readonly flapped = new Set<number>();
  /** Per link: the latest delivery time scheduled for an in-order message. */
  private readonly lastDeliveryMs = new Map<number, number>();
  readonly stats: NetworkStats = { sent: 0, delivered: 0, lost: 0, cut: 0, duplicated: 0, reordered: 0 };
  /** Messages sent, by type (coverage: did this run exercise snapshots, transfers, reads?). */
  readonly sentByType = new Map<Message['type'], number>();

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: SeededRandom,
    private conditions: NetworkConditions,
    private readonly deliver: (m: Message) => void,
  ) {}

  setConditions(conditions: NetworkConditions): void {
    this.conditions = conditions;
  }

  send(m: Message): void {
    this.stats.sent++;
    this.sentByType.set(m.type, (this.sentByType.get(m.type) ?? 0) + 1);
    if (this.isBlocked(m.from, m.to)) {
      this.stats.cut++;
      return;
    }
    const c = this.conditions;
    if (c.lossRate > 0 && this.random.chance(c.lossRate)) {
      this.stats.lost++;
      return;
    }
    this.schedule(m);
    // A forwarded proposal is never duplicated: the peer transport is a stream that drops what a
    // lost connection had queued and never resends (server/transport/outbound.ts), so a proposal
    // arrives at most once; a duplicate would be a second client write, not a network fault Raft
    // must absorb. Every other message may arrive twice, which Raft must tolerate.
    if (m.type !== 'MsgProp' && c.duplicateRate > 0 && this.random.chance(c.duplicateRate)) {
      this.stats.duplicated++;
      this.schedule(m);
    }
  }

  isBlocked(from: number, to: number): boolean {
    const link = from * MAX_NODE_ID + to;
    return (
      (this.blocked.size > 0 && this.blocked.has(link)) || (this.flapped.size > 0 && this.flapped.has(link))
    );
  }

  /** A connection flap takes the link from → to down (or brings it back). */
  setFlapped(from: number, to: number, down: boolean): void {
    if (down) this.flapped.add(from * MAX_NODE_ID + to);
    else this.flapped.delete(from * MAX_NODE_ID + to);
  }

  /**
   * Runs `fn` when news sent now from `from` reaches `to` (a FIN or reset, then a failed redial:
   * `legs` one-way latencies), after every message already in flight on that link (TCP delivers the
   * close after the data), and not at all if the link is cut then: a partition is silent.
   */
  afterLink(from: number, to: number, legs: number, fn: () => void): void {
    const c = this.conditions;
    let delayMs = 0;
    for (let i = 0; i < legs; i++) delayMs += c.latencyMinMs + exponential(this.random, c.latencyMeanMs);
    const now = this.scheduler.nowMs;
    const atMs = Math.max(now + delayMs, this.lastDeliveryMs.get(from * MAX_NODE_ID + to) ?? 0);
    this.scheduler.after(atMs - now, 'connection', to, `from ${from}`, () => {
      if (!this.isBlocked(from, to)) fn();
    });
  }

  /** Cut the link from → to only (the other direction keeps working). */
  cut(from: number, to: number): void {
    if (from !== to) this.blocked.add(from * MAX_NODE_ID + to);
  }

  restore(from: number, to: number): void {
    this.blocked.delete(from * MAX_NODE_ID + to);
  }

  /** Symmetric partition: nothing crosses between the two groups in either direction. */
  partition(groupA: readonly number[], groupB: readonly number[]): void {
    for (const a of groupA) {
      for (const b of groupB) {
        this.cut(a, b);
        this.cut(b, a);
      }
    }
  }

  healAll(): void {
    this.blocked.clear();
  }

  get cutLinks(): number {
    return this.blocked.size;
  }

  /** One line naming the cut links, e.g. "1→2 3↔4". */
  describeCuts(): string {
    const pairs: string[] = [];
    const keys = [...this.blocked].sort((a, b) => a - b);
    for (const key of keys) {
      const from = Math.floor(key / MAX_NODE_ID);
      const to = key % MAX_NODE_ID;
      const reverse = this.blocked.has(to * MAX_NODE_ID + from);
      if (reverse && from > to) continue;
      pairs.push(reverse ? `${from}↔${to}` : `${from}→${to}`);
    }
    return pairs.length === 0 ? 'none' : pairs.join(' ');
  }

  private schedule(m: Message): void {
    const c = this.conditions;
    let delayMs = c.latencyMinMs + exponential(this.random, c.latencyMeanMs);
    if (c.reorderRate > 0 && this.random.chance(c.reorderRate)) {
      this.stats.reordered++;
      delayMs += this.random.float() * c.reorderDelayMs;
    } else {
      const link = m.from * MAX_NODE_ID + m.to;
      const now = this.scheduler.nowMs;
      const fifoMs = Math.max(now + delayMs, this.lastDeliveryMs.get(link) ?? 0);
      this.lastDeliveryMs.set(link, fifoMs);
      delayMs = fifoMs - now;
    }
    this.scheduler.after(delayMs, 'deliver', m.to, m, () => {
      if (this.isBlocked(m.from, m.to)) {
        this.stats.cut++;
        return;
      }
      this.stats.delivered++;
      this.deliver(m);
    });
  }
}
