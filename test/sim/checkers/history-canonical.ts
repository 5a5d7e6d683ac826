/**
 * The canonical event history of a run: what happened to each key at each revision, assembled from
 * every watch's events and every acknowledged write. Two sources that speak of the same (revision,
 * key) must agree, so building it already checks that all watchers covering revision r agree on r's
 * changes and that no watch contradicts an acknowledged write.
 *
 * It also knows, per key, up to which revision the history is complete: the revisions `[1, C]` that
 * watches covering the key delivered without a gap (their `[start, reached]` intervals merged from
 * revision 1). Below C, replaying the events gives the key's exact state at any revision, which
 * the read checker (history-reads.ts) compares with what reads returned.
 */
import {
  describeRange,
  inRange,
  type AckedWrite,
  type Mutation,
  type SeenEvent,
  type WatchRecord,
} from '../clients/record.js';
import { Invariant, Violation } from './violation.js';

export interface CanonicalEvent {
  readonly revision: number;
  readonly key: string;
  readonly type: 'put' | 'delete';
  /** The value written ('' for a delete). */
  readonly value: string;
  readonly lease: number;
  /** Who told us first, for messages ("watch #3 on member 2", "put acknowledged to client 1"). */
  readonly source: string;
  readonly fromWatch: boolean;
}

export class CanonicalHistory {
  private readonly byRevision = new Map<number, Map<string, CanonicalEvent>>();
  private readonly byKey = new Map<string, CanonicalEvent[]>();
  private readonly completeTo = new Map<string, number>();
  private sortedRevisions: number[] | undefined;

  /**
   * Builds the history from the watches and the acknowledged writes, checking that they agree.
   * Throws a Violation (watch-delivers-history) on the first disagreement.
   */
  static build(watches: readonly WatchRecord[], writes: readonly AckedWrite[]): CanonicalHistory {
    const h = new CanonicalHistory();
    for (const w of writes) {
      for (const m of w.mutations) h.add(fromMutation(m, w));
    }
    for (const w of watches) {
      for (const e of w.events) h.add(fromEvent(e, w));
    }
    for (const list of h.byKey.values()) list.sort((a, b) => a.revision - b.revision);
    h.computeCoverage(watches);
    return h;
  }

  private add(e: CanonicalEvent): void {
    let at = this.byRevision.get(e.revision);
    if (at === undefined) this.byRevision.set(e.revision, (at = new Map()));
    const known = at.get(e.key);
    if (known === undefined) {
      at.set(e.key, e);
      let list = this.byKey.get(e.key);
      if (list === undefined) this.byKey.set(e.key, (list = []));
      list.push(e);
      this.sortedRevisions = undefined;
      return;
    }
    if (known.type !== e.type || known.value !== e.value || known.lease !== e.lease) {
      throw new Violation(
        known.fromWatch || e.fromWatch ? Invariant.WatchDelivery : Invariant.ReadsMatchHistory,
        `two accounts of revision ${e.revision} disagree on ${e.key}: ${describe(known)} (${known.source}) ` +
          `but ${describe(e)} (${e.source})`,
      );
    }
  }

  /** Per key, the end of the gap-free coverage from revision 1 by watches covering it. */
  private computeCoverage(watches: readonly WatchRecord[]): void {
    for (const key of this.byKey.keys()) {
      const intervals = watches
        .filter((w) => inRange(key, w.key, w.rangeEnd) && w.reached >= w.startRevision)
        .map((w) => [w.startRevision, w.reached] as const)
        .sort((a, b) => a[0] - b[0]);
      let to = 0;
      for (const [start, end] of intervals) {
        if (start > to + 1) break;
        to = Math.max(to, end);
      }
      this.completeTo.set(key, to);
    }
  }

  /** Every revision with at least one change, ascending. */
  revisions(): readonly number[] {
    this.sortedRevisions ??= [...this.byRevision.keys()].sort((a, b) => a - b);
    return this.sortedRevisions;
  }

  /** The changes at `revision` (key → event). */
  at(revision: number): ReadonlyMap<string, CanonicalEvent> {
    return this.byRevision.get(revision) ?? EMPTY;
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** Every known change of `key`, ascending by revision. */
  eventsOf(key: string): readonly CanonicalEvent[] {
    return this.byKey.get(key) ?? [];
  }

  /** The history of `key` is complete for revisions 1..completeTo(key) (0: not at all). */
  completeThrough(key: string): number {
    return this.completeTo.get(key) ?? 0;
  }

  /** The last known change of `key` at or before `revision`. */
  lastAtOrBefore(key: string, revision: number): CanonicalEvent | undefined {
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    let lo = 0;
    let hi = list.length; // first index with revision > `revision`
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : list[lo - 1];
  }

  /** The first known change of `key` in (after, upTo]. */
  firstBetween(key: string, after: number, upTo: number): CanonicalEvent | undefined {
    const last = this.lastAtOrBefore(key, upTo);
    return last !== undefined && last.revision > after ? this.firstAfter(key, after) : undefined;
  }

  private firstAfter(key: string, after: number): CanonicalEvent | undefined {
    return this.byKey.get(key)?.find((e) => e.revision > after);
  }
}

const EMPTY: ReadonlyMap<string, CanonicalEvent> = new Map();

export function describe(e: CanonicalEvent): string {
  return e.type === 'put'
    ? `put ${e.key}=${e.value}@${e.revision}${e.lease !== 0 ? ` lease ${e.lease}` : ''}`
    : `delete ${e.key}@${e.revision}`;
}

function fromMutation(m: Mutation, w: AckedWrite): CanonicalEvent {
  return {
    revision: w.revision,
    key: m.key,
    type: m.type,
    value: m.type === 'put' ? m.value : '',
    lease: m.type === 'put' ? m.lease : 0,
    source: `${m.type} acknowledged to client ${w.client} by member ${w.member} at ${w.atMs.toFixed(1)}ms`,
    fromWatch: false,
  };
}

function fromEvent(e: SeenEvent, w: WatchRecord): CanonicalEvent {
  return {
    revision: e.kv.modRevision,
    key: e.kv.key,
    type: e.type,
    value: e.type === 'put' ? e.kv.value : '',
    lease: e.type === 'put' ? e.kv.lease : 0,
    source: describeWatch(w),
    fromWatch: true,
  };
}

export function describeWatch(w: WatchRecord): string {
  return (
    `watch #${w.id} of client ${w.client} on member ${w.member} over ${describeRange(w.key, w.rangeEnd)} ` +
    `from ${w.startRevision}${w.resumes !== undefined ? ` (resuming #${w.resumes})` : ''}, reached ${w.reached}`
  );
}
