/**
 * The change history keyed by main revision: for each write transaction, its events in sub-revision
 * order. Every write transaction has at least one change, so main revisions are dense and a lookup
 * is an array index. Compaction drops a prefix.
 *
 * A brand-new store's history holds one revision, `INITIAL_REVISION` (1), with no changes: the
 * store's state before any write, as in etcd. A watch or a read may start there like at any other
 * revision, until a compaction above it drops it.
 *
 * Invariants: `revisions[i].revision === first + i`; only `INITIAL_REVISION` may have no changes;
 * the last held revision is the store's current revision (or the history is empty).
 */
import { assert } from '../assert.js';
import type { RevisionChanges } from './kv-types.js';
import { INITIAL_REVISION } from './revision.js';

export class History {
  private revisions: RevisionChanges[] = [];
  private head = 0;
  /** The main revision of `revisions[head]` when not empty. */
  private first: number;

  constructor(firstRevision: number) {
    this.first = firstRevision;
  }

  /** The history of a brand-new store: the initial revision, without changes. */
  static initial(): History {
    const h = new History(INITIAL_REVISION);
    h.revisions.push({ revision: INITIAL_REVISION, events: [], keys: [] });
    return h;
  }

  /** The oldest revision held (or the next to be appended when empty). */
  get firstRevision(): number {
    return this.first;
  }

  get length(): number {
    return this.revisions.length - this.head;
  }

  append(changes: RevisionChanges): void {
    assert(
      changes.revision === this.first + this.length,
      () => `history: append @${changes.revision}, expected @${this.first + this.length}`,
    );
    assert(changes.events.length > 0, 'history: a revision without changes');
    this.revisions.push(changes);
  }

  at(revision: number): RevisionChanges | undefined {
    if (revision < this.first) return undefined;
    return this.revisions[this.head + revision - this.first];
  }

  /** Removes every revision below `revision`, handing each to `dropped` first. */
  dropBelow(revision: number, dropped: (changes: RevisionChanges) => void): void {
    while (this.first < revision && this.head < this.revisions.length) {
      dropped(this.revisions[this.head] as RevisionChanges);
      this.head++;
      this.first++;
    }
    if (this.head === this.revisions.length) {
      this.revisions = [];
      this.head = 0;
      this.first = Math.max(this.first, revision);
    } else if (this.head > 1024 && this.head * 2 > this.revisions.length) {
      this.revisions = this.revisions.slice(this.head);
      this.head = 0;
    }
  }
}
