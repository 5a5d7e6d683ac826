/**
 * Compaction now and then (exponential intervals) at a past revision, never past what an anchor
 * watch chain still needs (the anchors keep the complete history the read checker replays), so
 * only roaming watches are canceled by it. Some compactions race a watch started just before on
 * the same member from the oldest revision kept (`compactionRaceChance`): on a member that catches
 * up slowly (slow-catch-up.ts) the compaction applies first and the member must cancel the watch
 * with COMPACTED.
 */
import { exponential } from '../options.js';
import type { ClientContext } from './client-context.js';
import type { Watches } from './watches.js';

export class Compactor {
  /** The highest revision compacted so far (asked for: the request may not have been applied). */
  private last = 0;

  constructor(
    private readonly cx: ClientContext,
    private readonly watches: Watches,
  ) {}

  get lastCompaction(): number {
    return this.last;
  }

  start(): void {
    const cx = this.cx;
    if (cx.o.compactMeanMs > 0)
      cx.later(exponential(cx.random, cx.o.compactMeanMs), 'compact', () => this.compactNow());
  }

  private compactNow(): void {
    const cx = this.cx;
    if (!cx.running) return;
    cx.later(exponential(cx.random, cx.o.compactMeanMs), 'compact', () => this.compactNow());

    const member = cx.pickMember();
    if (member === undefined) return;
    const current = cx.revisionAt(member) ?? 0;
    // Anchors waiting to resume count too: their next revision must stay available.
    const limit = Math.min(current, this.watches.anchorsNeed());
    const revision = limit - cx.random.int(5);
    if (revision <= this.last + 1) return;
    if (cx.random.chance(cx.o.compactionRaceChance)) this.watches.startBehind(member, this.last + 1);
    this.last = revision;
    cx.note(member, `compact at ${revision}`);
    cx.record.compaction({ revision, member, atMs: cx.nowMs });
    void cx.calls.call(member, (b, o) => b.compact({ revision, physical: true }, o));
  }
}
