/**
 * Watches as async iterators that survive reconnects and failovers.
 *
 * Invariant (exactly once, in order): `nextRevision` is one past the revision of the last event
 * handed to the consumer's queue (or past the last progress notification). Every (re)creation of
 * the server-side watch starts at `nextRevision`, and any event below it is dropped, so across any
 * number of connection losses, member failovers and pauses the consumer sees each event once, in
 * revision order. A revision split into fragments counts only once its last fragment arrived;
 * partial fragments are discarded when the stream breaks, and the revision is fetched again.
 *
 * Example: events up to revision 41 were queued (nextRevision 42); the member dies; on the new
 * connection the SDK sends watch.create with start_revision 42. If 42 was compacted meanwhile the
 * member answers COMPACTED and the iterator throws CompactedError (compactRevision = the oldest
 * revision still available): re-read the state, then watch again from there.
 *
 * Backpressure: the SDK queues batches for a slow consumer up to `watchBufferEvents`; beyond that it
 * cancels the server-side watch and re-creates it from `nextRevision` once the consumer has drained
 * half of the queue. Nothing is lost and memory stays bounded.
 */
import {
  type ErrorBody,
  type KeepAliveFrame,
  type ResponseHeader,
  type SnapshotFrame,
  type WatchCreateRequest,
  type WatchEvent,
  type WatchFilter,
  type WatchFrame,
} from './protocol/index.js';
import type { Connection, StreamHandler } from './connection.js';
import { ConnectionLostError } from './connection.js';
import type { ClientCore, ResumableStream } from './core.js';
import {
  ClientError,
  CompactedError,
  errorFromBody,
  InvalidArgumentError,
  NotLeaderError,
} from './errors.js';
import { spacePrefixRange, type Abortable } from './kv.js';
import type { KeySpace } from './namespace.js';
import { QueuedIterator } from './queued-iterator.js';
import { isStaleTokenError, reopenAfterRenewal } from './token-renewal.js';
import { backoffDelayMs, deferred, onAbort, toBytes, type Bytes } from './util.js';

export interface WatchOptions extends Abortable {
  /** Watch this one key (or [key, rangeEnd) with `rangeEnd`). Exactly one of key and prefix. */
  readonly key?: Bytes;
  readonly rangeEnd?: Bytes;
  /** Watch every key starting with this prefix. */
  readonly prefix?: Bytes;
  /** First revision to deliver (0/absent: changes after the watch is created). */
  readonly startRevision?: number;
  /** Attach the previous key-value to each event (absent if compacted). */
  readonly prevKv?: boolean;
  /** Drop these event types. */
  readonly filters?: readonly WatchFilter[];
  /** Ask the member for periodic progress notifications while idle. */
  readonly progressNotify?: boolean;
}

/**
 * What the iterator yields. `events` batches hold one or more whole revisions, in order;
 * `progress` says every event up to `revision` has been delivered (its `events` is empty).
 */
export type WatchBatch =
  | {
      readonly type: 'events';
      readonly revision: number;
      readonly header: ResponseHeader;
      readonly events: readonly WatchEvent[];
    }
  | {
      readonly type: 'progress';
      readonly revision: number;
      readonly header: ResponseHeader;
      readonly events: readonly [];
    };

export interface Watch extends AsyncIterableIterator<WatchBatch>, AsyncDisposable {
  /** The revision of the next event to deliver (0 until the watch is first created with no startRevision). */
  readonly nextRevision: number;
  /** Resolves with the start revision once the member has created the watch the first time. */
  ready(): Promise<number>;
  /** Asks every watch of the connection for a progress notification. */
  requestProgress(options?: Abortable): Promise<void>;
  /** Cancels the watch; the iterator ends. Idempotent. */
  close(): Promise<void>;
}

type Phase = 'idle' | 'opening' | 'open' | 'paused' | 'done';

export class WatchImpl implements Watch, ResumableStream {
  private next_ = 0;
  private phase: Phase = 'idle';
  private conn: Connection | undefined;
  private serverId = 0;
  private generation = 0;
  private fragments: WatchEvent[] = [];
  private bufferedEvents = 0;
  private readonly queue: QueuedIterator<WatchBatch>;
  private readonly readyDeferred = deferred<number>();
  private readonly unregister: () => void;
  private retryAttempt = 0;
  /** The connection on which a stale-token refusal was already retried once. */
  private authRetriedOn: Connection | undefined;
  /** The pending re-creation after a retryable failure; cleared when the watch ends. */
  private retryTimer: object | undefined;
  private readonly request: Omit<WatchCreateRequest, 'startRevision'>;
  private readonly unsubscribeAbort: (() => void) | undefined;

  constructor(
    private readonly core: ClientCore,
    private readonly space: KeySpace,
    private readonly options: WatchOptions,
  ) {
    this.request = WatchImpl.buildRequest(space, options);
    this.next_ = options.startRevision ?? 0;
    if (!Number.isSafeInteger(this.next_) || this.next_ < 0) {
      throw new InvalidArgumentError('startRevision must be a non-negative integer', {
        details: { field: 'startRevision' },
      });
    }
    this.queue = new QueuedIterator<WatchBatch>(
      () => void this.close(),
      (batch) => this.onTaken(batch),
    );
    this.readyDeferred.promise.catch(() => undefined);
    const signal = options.signal;
    signal?.throwIfAborted();
    if (signal !== undefined) this.unsubscribeAbort = onAbort(signal, () => this.finish(signal.reason));
    this.unregister = core.register(this);
  }

  private static buildRequest(space: KeySpace, o: WatchOptions): Omit<WatchCreateRequest, 'startRevision'> {
    if ((o.key === undefined) === (o.prefix === undefined)) {
      throw new InvalidArgumentError('watch needs exactly one of key and prefix', {
        details: { field: 'key' },
      });
    }
    const range =
      o.prefix !== undefined
        ? spacePrefixRange(space, o.prefix)
        : { key: toBytes(o.key ?? ''), rangeEnd: toBytes(o.rangeEnd ?? '') };
    if (range.key.length === 0)
      throw new InvalidArgumentError('watch key must not be empty', { details: { field: 'key' } });
    return {
      ...space.range(range.key, range.rangeEnd),
      progressNotify: o.progressNotify ?? false,
      filters: o.filters ?? [],
      prevKv: o.prevKv ?? false,
      watchId: 0,
      fragment: true,
    };
  }

  get nextRevision(): number {
    return this.next_;
  }

  ready(): Promise<number> {
    return this.readyDeferred.promise;
  }

  async requestProgress(options: Abortable = {}): Promise<void> {
    await this.core.call('watch.progress', {}, options);
  }

  // ---- iteration ----------------------------------------------------------------------------

  next(): Promise<IteratorResult<WatchBatch>> {
    return this.queue.next();
  }

  /** A batch left the queue for the consumer: resume a paused watch once half drained. */
  private onTaken(batch: WatchBatch): void {
    this.bufferedEvents -= batch.events.length;
    if (this.phase === 'paused' && this.bufferedEvents <= this.core.options.watchBufferEvents / 2) {
      this.phase = 'idle';
      const current = this.core.current();
      if (current !== undefined) this.open(current);
    }
  }

  async return(): Promise<IteratorResult<WatchBatch>> {
    await this.close();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator](): this {
    this.queue[Symbol.asyncIterator]();
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.finish(undefined);
    return Promise.resolve();
  }

  // ---- stream lifecycle ---------------------------------------------------------------------

  attach(conn: Connection): void {
    if (this.phase === 'done' || this.phase === 'paused') {
      if (this.phase === 'paused') this.conn = conn;
      return;
    }
    if (this.conn === conn && (this.phase === 'opening' || this.phase === 'open')) return;
    this.detachServer();
    this.open(conn);
  }

  clientClosed(): void {
    this.finish(new ClientError('UNAVAILABLE', 'the client was closed'));
  }

  private detachServer(): void {
    if (this.conn !== undefined && this.serverId !== 0 && !this.conn.isClosed)
      this.conn.detachStream(this.serverId);
    this.serverId = 0;
    this.fragments = [];
    this.generation++;
  }

  private open(conn: Connection): void {
    this.conn = conn;
    this.phase = 'opening';
    const generation = ++this.generation;
    const live = (): boolean => generation === this.generation && this.phase !== 'done';
    const handler: StreamHandler = {
      onFrame: (frame) => {
        if (live()) this.onFrame(frame);
      },
      onEnd: (error) => {
        if (live()) this.onEnd(error);
      },
      onLost: () => {
        if (!live()) return;
        this.phase = 'idle';
        this.fragments = [];
      },
    };
    const authGeneration = conn.auth?.generation;
    conn
      .request(
        'watch.create',
        { ...this.request, startRevision: this.next_ },
        {
          stream: handler,
          onId: (id) => (this.serverId = id),
          signal: this.core.closeSignal,
        },
      )
      .then((created) => {
        if (!live()) return;
        this.phase = 'open';
        this.retryAttempt = 0;
        this.authRetriedOn = undefined;
        if (this.next_ === 0) this.next_ = created.header.revision + 1;
        this.readyDeferred.resolve(this.next_);
      })
      .catch((e: unknown) => {
        if (!live()) return;
        this.phase = 'idle';
        if (authGeneration !== undefined && isStaleTokenError(e) && this.authRetriedOn !== conn) {
          this.reopenAfterRenewal(conn, authGeneration, e);
          return;
        }
        this.onFailure(e);
      });
  }

  /** Refused for a stale token: renew the socket's token and open once more (token-renewal.ts). */
  private reopenAfterRenewal(conn: Connection, authGeneration: number, refusal: unknown): void {
    this.authRetriedOn = conn;
    const generation = this.generation;
    reopenAfterRenewal(conn, authGeneration, this.core.closeSignal, refusal, {
      stillWanted: () => generation === this.generation && this.phase === 'idle',
      reopen: () => this.open(conn),
      fail: (e) => this.onFailure(e),
    });
  }

  private onFailure(e: unknown): void {
    if (e instanceof ConnectionLostError) return; // re-attached on the next connection
    if (e instanceof NotLeaderError) this.core.onNotLeader(e, 'watch: NOT_LEADER');
    if (e instanceof ClientError && e.retryable) {
      this.retryLater();
      return;
    }
    this.finish(e);
  }

  private retryLater(): void {
    const o = this.core.options;
    const ms = backoffDelayMs(++this.retryAttempt, o.initialDelayMs, o.maxDelayMs, o.random);
    const generation = this.generation;
    if (this.retryTimer !== undefined) o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (generation !== this.generation || this.phase !== 'idle') return;
      const current = this.core.current();
      if (current !== undefined) this.open(current);
    }, ms);
  }

  private onFrame(frame: WatchFrame | KeepAliveFrame | SnapshotFrame): void {
    if (frame.type !== 'watch') return;
    const r = frame.result;
    if (r.type === 'progress') {
      if (this.fragments.length > 0) return;
      this.next_ = Math.max(this.next_, r.header.revision + 1);
      this.queue.push({ type: 'progress', revision: r.header.revision, header: r.header, events: [] });
      return;
    }
    if (r.fragment) {
      this.fragments.push(...r.events);
      return;
    }
    const all = this.fragments.length === 0 ? r.events : [...this.fragments, ...r.events];
    this.fragments = [];
    // Events come in revision order: usually all are new (no copy); after a re-creation a prefix
    // may already have been delivered.
    const next = this.next_;
    const fresh =
      (all[0]?.kv.modRevision ?? next) >= next ? all : all.filter((e) => e.kv.modRevision >= next);
    const last = fresh[fresh.length - 1];
    if (last === undefined) return;
    this.next_ = last.kv.modRevision + 1;
    this.bufferedEvents += fresh.length;
    this.queue.push({
      type: 'events',
      revision: r.header.revision,
      header: r.header,
      events: this.space.isRoot ? fresh : fresh.map((e) => this.space.event(e)),
    });
    if (this.bufferedEvents > this.core.options.watchBufferEvents && this.phase === 'open') {
      this.detachServer();
      this.phase = 'paused';
    }
  }

  private onEnd(error: ErrorBody | undefined): void {
    this.phase = 'idle';
    this.serverId = 0;
    this.fragments = [];
    if (error === undefined) {
      this.retryLater(); // ended without being asked: create it again
      return;
    }
    this.onFailure(errorFromBody(error, 'watch'));
  }

  /** Ends the watch: the iterator throws `error` after the queued batches, or just ends. */
  private finish(error: unknown): void {
    if (this.phase === 'done') return;
    this.detachServer();
    this.phase = 'done';
    if (this.retryTimer !== undefined) this.core.options.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.unregister();
    this.unsubscribeAbort?.();
    const reason =
      error instanceof CompactedError || error !== undefined
        ? error
        : new ClientError('UNAVAILABLE', 'watch closed');
    this.readyDeferred.reject(reason);
    this.queue.stop(error);
  }
}
