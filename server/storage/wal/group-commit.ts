/**
 * Group commit: one flush (write + fdatasync) at a time; everything submitted while a flush runs
 * waits and goes into the next one, together. Callers get a promise that resolves only after the
 * flush containing their items returned, i.e. after their items are durable. Throughput comes
 * from batching, never from skipping the fsync.
 *
 * Submissions made in the same tick are gathered before the first flush starts (one microtask
 * hop), so N concurrent callers cost one fsync, not two.
 *
 * After a flush fails, the committer is failed for good: the failed batch, everything queued and
 * every later submission reject with the same error. (After a failed fsync the page cache state
 * is unknown — PostgreSQL's "fsyncgate" — so retrying could acknowledge data that is not on disk.)
 */
export interface GroupCommitStats {
  batches: number;
  items: number;
}

interface Waiter<T> {
  readonly items: readonly T[];
  readonly bytes: number;
  /** false: the caller only needs its items written in order, not yet on stable storage. */
  readonly sync: boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class GroupCommitter<T> {
  private queue: Waiter<T>[] = [];
  private running: Promise<void> | undefined;
  private error: Error | undefined;
  readonly stats: GroupCommitStats = { batches: 0, items: 0 };

  constructor(
    /** Writes `items` in order; fdatasyncs them too when `sync`. */
    private readonly flush: (items: readonly T[], sync: boolean) => Promise<void>,
    private readonly sizeOf: (item: T) => number,
    private readonly maxBatchBytes: number,
    /** Whether items were written without an fsync since the last synced flush. */
    private readonly hasUnsyncedWrites: () => boolean = () => false,
  ) {}

  /** The error that failed the committer, if any. */
  get failure(): Error | undefined {
    return this.error;
  }

  /**
   * Resolves once `items` (and everything submitted before them) are durable. An empty submission
   * is a barrier: it resolves once everything submitted before it is durable.
   *
   * With `sync` false the items are written in order but the promise resolves without an fsync
   * of their own (they become durable with the next synced batch); a batch is synced when any of
   * its submissions asked for it.
   */
  submit(items: readonly T[], sync = true): Promise<void> {
    if (this.error !== undefined) return Promise.reject(this.error);
    const idle = this.queue.length === 0 && this.running === undefined;
    if (items.length === 0 && idle && !(sync && this.hasUnsyncedWrites())) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let bytes = 0;
      for (const item of items) bytes += this.sizeOf(item);
      this.queue.push({ items, bytes, sync, resolve, reject });
      this.running ??= this.loop();
    });
  }

  /** Fails every later submission with `error` and resolves when the running flush (if any) ended. */
  async close(error: Error): Promise<void> {
    const running = this.running;
    if (running !== undefined) await running;
    this.error ??= error;
  }

  private async loop(): Promise<void> {
    await Promise.resolve();
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        const items = batch.flatMap((w) => w.items);
        try {
          await this.flush(
            items,
            batch.some((w) => w.sync),
          );
        } catch (err) {
          this.error = err instanceof Error ? err : new Error(String(err));
          for (const w of batch.concat(this.queue.splice(0))) w.reject(this.error);
          return;
        }
        this.stats.batches++;
        this.stats.items += items.length;
        for (const w of batch) w.resolve();
      }
    } finally {
      this.running = undefined;
    }
  }

  private take(): Waiter<T>[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const next = this.queue[n] as Waiter<T>;
      if (n > 0 && bytes + next.bytes > this.maxBatchBytes) break;
      bytes += next.bytes;
      n++;
    }
    return this.queue.splice(0, n);
  }
}
