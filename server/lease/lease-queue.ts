/**
 * A binary min-heap of (atMs, leaseId) deadlines, used for expiry and for checkpoints. Entries are
 * never updated in place: a new deadline is pushed and the old entry becomes stale, which the
 * lessor recognizes on pop (the lease is gone or its deadline differs). Ties pop by lease id, so
 * the order is deterministic.
 *
 * The heap is two parallel Float64Arrays (16 bytes an entry) rather than an array of objects
 * (~60 bytes an entry with its slot, bench/memory.ts): a primary holds two entries per lease, more
 * while keep-alives leave stale ones behind. `Deadline` objects exist only at the API.
 */

export interface Deadline {
  readonly atMs: number;
  readonly id: number;
}

const INITIAL_CAPACITY = 16;

export class LeaseQueue {
  private at = new Float64Array(INITIAL_CAPACITY);
  private ids = new Float64Array(INITIAL_CAPACITY);
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(item: Deadline): void {
    if (this.n === this.at.length) this.grow();
    const at = this.at;
    const ids = this.ids;
    // Sift up: move parents down until the slot for the new item is found.
    let i = this.n++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(item.atMs, item.id, at[parent] as number, ids[parent] as number)) break;
      at[i] = at[parent] as number;
      ids[i] = ids[parent] as number;
      i = parent;
    }
    at[i] = item.atMs;
    ids[i] = item.id;
  }

  peek(): Deadline | undefined {
    return this.n === 0 ? undefined : { atMs: this.at[0] as number, id: this.ids[0] as number };
  }

  pop(): Deadline | undefined {
    const top = this.peek();
    if (top === undefined) return undefined;
    const n = --this.n;
    if (n === 0) return top;
    const at = this.at;
    const ids = this.ids;
    // Sift the last entry down from the root.
    const lastAt = at[n] as number;
    const lastId = ids[n] as number;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && less(at[r] as number, ids[r] as number, at[l] as number, ids[l] as number)) m = r;
      if (!less(at[m] as number, ids[m] as number, lastAt, lastId)) break;
      at[i] = at[m] as number;
      ids[i] = ids[m] as number;
      i = m;
    }
    at[i] = lastAt;
    ids[i] = lastId;
    return top;
  }

  clear(): void {
    this.at = new Float64Array(INITIAL_CAPACITY);
    this.ids = new Float64Array(INITIAL_CAPACITY);
    this.n = 0;
  }

  private grow(): void {
    const at = new Float64Array(this.at.length * 2);
    const ids = new Float64Array(this.ids.length * 2);
    at.set(this.at);
    ids.set(this.ids);
    this.at = at;
    this.ids = ids;
  }
}

function less(aAt: number, aId: number, bAt: number, bId: number): boolean {
  return aAt !== bAt ? aAt < bAt : aId < bId;
}
