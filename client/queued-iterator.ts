/**
 * A single-consumer async iterator fed by `push`: the shape of every SDK stream (watch batches,
 * status). `stop(error?)` ends it (the loop throws `error` once the buffered items are consumed);
 * iterating twice throws; `break` in `for await` calls `return`, which runs `onReturn` (the owner
 * cancels on the server there).
 */
export class QueuedIterator<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private done = false;
  private error: unknown = undefined;
  private iterated = false;

  /**
   * `onTake` runs synchronously each time an item is handed to the consumer (from the buffer, or
   * straight from `push` to a waiting `next`), so an owner can account for its buffer without
   * wrapping `next` in another promise.
   */
  constructor(
    private readonly onReturn: () => void = () => undefined,
    private readonly onTake: (item: T) => void = () => undefined,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get isDone(): boolean {
    return this.done;
  }

  push(item: T): void {
    if (this.done) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      this.onTake(item);
      w.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** Ends the iterator; with an error, the consumer's loop throws it after the buffered items. */
  stop(error?: unknown): void {
    if (this.done) return;
    this.done = true;
    this.error = error;
    const w = this.waiter;
    this.waiter = undefined;
    if (w === undefined) return;
    if (error === undefined) w.resolve({ value: undefined, done: true });
    else {
      this.error = undefined;
      w.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    const item = this.items.shift();
    if (item !== undefined) {
      this.onTake(item);
      return Promise.resolve({ value: item, done: false });
    }
    if (this.done) {
      const error = this.error;
      this.error = undefined;
      return error === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.stop();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    if (this.iterated) throw new Error('this stream has a single consumer and is already being iterated');
    this.iterated = true;
    return this;
  }
}
