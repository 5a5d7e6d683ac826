/**
 * A binary min-heap of (atMs, leaseId) deadlines, used for expiry and for checkpoints. Entries are
 * never updated in place: a new deadline is pushed and the old entry becomes stale, which the
 * lessor recognizes on pop (the lease is gone or its deadline differs). Ties pop by lease id, so
 * the order is deterministic.
 */

export interface Deadline {
  readonly atMs: number;
  readonly id: number;
}

export class LeaseQueue {
  private heap: Deadline[] = [];

  get length(): number {
    return this.heap.length;
  }

  push(item: Deadline): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(h[i] as Deadline, h[parent] as Deadline)) break;
      swap(h, i, parent);
      i = parent;
    }
  }

  peek(): Deadline | undefined {
    return this.heap[0];
  }

  pop(): Deadline | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l] as Deadline, h[m] as Deadline)) m = l;
      if (r < h.length && less(h[r] as Deadline, h[m] as Deadline)) m = r;
      if (m === i) return top;
      swap(h, i, m);
      i = m;
    }
  }

  clear(): void {
    this.heap = [];
  }
}

function less(a: Deadline, b: Deadline): boolean {
  return a.atMs !== b.atMs ? a.atMs < b.atMs : a.id < b.id;
}

function swap(h: Deadline[], i: number, j: number): void {
  const t = h[i] as Deadline;
  h[i] = h[j] as Deadline;
  h[j] = t;
}
