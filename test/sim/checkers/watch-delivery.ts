/**
 * Every watch delivers the events of its range in revision order, each exactly once, with no gap,
 * judged against the canonical history (history-canonical.ts) built from every watch and every
 * acknowledged write:
 * - order and uniqueness: mod revisions never go back, no (revision, key) twice, every event in the
 *   watch's range, at or after its start revision;
 * - no gap: for every revision r in [start, reached] (reached: the highest revision the member said
 *   the watch was complete to), the watch delivered exactly the canonical changes of its range at r.
 *   A change another watcher saw, or an acknowledged write, that this watch skipped is caught here;
 *   this is what catches a txn whose second write emits no event;
 * - compaction: a watch canceled for compaction was really behind it (the next revision it needed,
 *   reached+1, is below compactRevision); a create refused as compacted started below it; and the
 *   compactRevision either names is one a client asked to compact at (given the requests).
 * Resumed watches (re-created from reached+1 after their member crashed) are checked each on its own
 * interval, so a chain of them is gap-free across crashes and snapshot installs.
 */
import { describeEvent, inRange, type WatchRecord } from '../clients/record.js';
import { describe, describeWatch, type CanonicalHistory } from './history-canonical.js';
import { Invariant, Violation } from './violation.js';

export interface WatchStats {
  readonly watches: number;
  readonly events: number;
  readonly compacted: number;
  readonly refusedCompacted: number;
  readonly resumed: number;
}

/**
 * `compactedAt`: every revision a compaction was asked at; without it a compact revision is not
 * checked against the requests.
 */
export function checkWatches(
  watches: readonly WatchRecord[],
  history: CanonicalHistory,
  compactedAt?: ReadonlySet<number>,
): WatchStats {
  let events = 0;
  for (const w of watches) {
    checkOrder(w);
    checkComplete(w, history);
    checkEnd(w, compactedAt);
    events += w.events.length;
  }
  return {
    watches: watches.length,
    events,
    compacted: watches.filter((w) => w.end?.kind === 'compacted').length,
    refusedCompacted: watches.filter((w) => w.end?.kind === 'refused-compacted').length,
    resumed: watches.filter((w) => w.resumes !== undefined).length,
  };
}

function fail(w: WatchRecord, what: string): never {
  throw new Violation(Invariant.WatchDelivery, `${describeWatch(w)}: ${what}`);
}

function checkOrder(w: WatchRecord): void {
  let last = 0;
  const seen = new Set<string>();
  for (const e of w.events) {
    const rev = e.kv.modRevision;
    if (rev < last) fail(w, `delivered ${describeEvent(e)} after an event of revision ${last}`);
    if (rev < w.startRevision) fail(w, `delivered ${describeEvent(e)}, before its start revision`);
    if (rev > w.reached) fail(w, `delivered ${describeEvent(e)} in a batch taken at an earlier revision`);
    if (!inRange(e.kv.key, w.key, w.rangeEnd)) fail(w, `delivered ${describeEvent(e)}, outside its range`);
    const id = `${rev}\u0000${e.kv.key}`;
    if (seen.has(id)) fail(w, `delivered ${describeEvent(e)} twice`);
    seen.add(id);
    last = rev;
  }
}

function checkComplete(w: WatchRecord, history: CanonicalHistory): void {
  const own = new Map<number, Set<string>>();
  for (const e of w.events) {
    let keys = own.get(e.kv.modRevision);
    if (keys === undefined) own.set(e.kv.modRevision, (keys = new Set()));
    keys.add(e.kv.key);
  }
  const revisions = history.revisions();
  for (let i = lowerBound(revisions, w.startRevision); i < revisions.length; i++) {
    const r = revisions[i]!;
    if (r > w.reached) break;
    const delivered = own.get(r);
    for (const [key, e] of history.at(r)) {
      if (!inRange(key, w.key, w.rangeEnd)) continue;
      if (delivered?.has(key) !== true)
        fail(w, `skipped ${describe(e)} (known from ${e.source}) though it delivered up to ${w.reached}`);
    }
  }
}

function checkEnd(w: WatchRecord, compactedAt: ReadonlySet<number> | undefined): void {
  const end = w.end;
  if (
    (end?.kind === 'compacted' || end?.kind === 'refused-compacted') &&
    compactedAt !== undefined &&
    !compactedAt.has(end.compactRevision)
  )
    fail(w, `ended as compacted at ${end.compactRevision}, a revision no client compacted at`);
  if (end?.kind === 'compacted' && w.reached + 1 >= end.compactRevision)
    fail(
      w,
      `canceled as compacted at ${end.compactRevision}, but it needed nothing below it (next revision ${w.reached + 1})`,
    );
  if (end?.kind === 'refused-compacted' && w.startRevision >= end.compactRevision)
    fail(w, `refused as compacted at ${end.compactRevision}, but it starts at ${w.startRevision}`);
}

/** The first index of `sorted` with a value ≥ `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
