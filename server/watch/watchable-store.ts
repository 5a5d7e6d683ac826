/**
 * The watchable store (etcd's `watchable_store.go`), pure and pull-based.
 *
 * Watchers live in one of three groups:
 * - **synced**: caught up with the store. Each committed revision is offered to them at once
 *   (`notify`, called by the MVCC store's commit listener), with all events of the revision in one
 *   response, in sub-revision order.
 * - **unsynced**: behind (started in the past, or fell behind). `sync()` catches up to
 *   `maxWatchersPerSync` of them with one scan of at most `maxRevisionsPerSync` revisions; a
 *   watcher that reaches the current revision joins the synced group. No write can happen inside
 *   `sync()` (it is synchronous), so the switch has no gap and no duplicate.
 * - **victims**: synced watchers whose buffer was full when a revision came; they hold that one
 *   revision's batch. `sync()` delivers it once there is room, then the watcher goes back to synced
 *   (or to unsynced if more revisions came meanwhile). With `slowWatcherPolicy: 'cancel'` such a
 *   watcher is cancelled with SLOW_WATCHER instead.
 *
 * A watcher that needs history below the compaction point is cancelled with COMPACTED and the
 * compaction revision. Nothing here blocks the store: a slow reader only ever costs its own bounded
 * buffer plus one held batch.
 *
 * Delivery is pulled: `take(watchId)` returns queued responses; an optional `WatchSink` is told
 * synchronously when a watcher has something to take. Time (for idle progress) is passed in.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { assert } from '../assert.js';
import {
  InvalidArgumentError,
  InvalidConfigError,
  StateMachineError,
  toKeyRange,
  type MvccEvent,
  type RevisionChanges,
} from '../mvcc/index.js';
import { Watcher } from './watcher.js';
import { WatcherGroup } from './watcher-group.js';
import type { WatchEvent, WatchRequest, WatchResponse, WatchSink, WatchSource } from './watch-types.js';

export interface WatchableStoreOptions {
  /** Most watchers at once (default 100,000). */
  readonly maxWatchers?: number;
  /** Events a watcher may hold untaken before it counts as slow (default 10,000). */
  readonly maxBufferedEvents?: number;
  /** Events merged into one response (default 1,000; one revision is never split). */
  readonly maxEventsPerResponse?: number;
  /** Revisions one watcher catches up per `sync()` (default 1,000, etcd's watchBatchMaxRevs). */
  readonly maxRevisionsPerSync?: number;
  /** Unsynced watchers handled per `sync()` (default 512, etcd's maxWatchersPerSync). */
  readonly maxWatchersPerSync?: number;
  /** Idle time after which a `progressNotify` watcher gets a progress response (default 10 min). */
  readonly progressIntervalMs?: number;
  /** What to do with a watcher whose buffer is full: hold and catch up later, or cancel it. */
  readonly slowWatcherPolicy?: 'catchUp' | 'cancel';
}

export const WATCH_DEFAULTS = {
  maxWatchers: 100_000,
  maxBufferedEvents: 10_000,
  maxEventsPerResponse: 1000,
  maxRevisionsPerSync: 1000,
  maxWatchersPerSync: 512,
  progressIntervalMs: 10 * 60 * 1000,
  slowWatcherPolicy: 'catchUp',
} as const;

type Resolved = Omit<{ readonly [K in keyof typeof WATCH_DEFAULTS]: number }, 'slowWatcherPolicy'> & {
  readonly slowWatcherPolicy: 'catchUp' | 'cancel';
};

export class TooManyWatchersError extends StateMachineError {
  override readonly name = 'TooManyWatchersError';
  constructor(max: number) {
    super(ErrorCode.Unavailable, `watch: too many watchers (max ${max})`, true);
  }
}

export class WatchableStore {
  readonly options: Resolved;
  private readonly watchers = new Map<number, Watcher>();
  private readonly synced = new WatcherGroup();
  private readonly unsynced = new Set<Watcher>();
  private readonly victims = new Set<Watcher>();
  private readonly withResponses = new Set<number>();
  private nextId = 1;
  private nowMs = 0;
  /** The last revision offered to synced watchers. */
  private seenRevision: number;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: WatchSource,
    options: WatchableStoreOptions = {},
    private readonly sink?: WatchSink,
  ) {
    const o = { ...WATCH_DEFAULTS, ...options };
    for (const [name, v] of Object.entries(o)) {
      if (name !== 'slowWatcherPolicy' && (!Number.isSafeInteger(v) || (v as number) < 1)) {
        throw new InvalidConfigError(`watch: ${name} must be a positive integer`);
      }
    }
    if (o.slowWatcherPolicy !== 'catchUp' && o.slowWatcherPolicy !== 'cancel') {
      throw new InvalidConfigError('watch: slowWatcherPolicy must be catchUp or cancel');
    }
    this.options = o;
    this.seenRevision = source.currentRevision;
    this.unsubscribe = source.subscribe((changes) => this.notify(changes));
  }

  get watcherCount(): number {
    return this.watchers.size;
  }

  /** Sizes of the groups, for metrics and tests. */
  groupSizes(): { synced: number; unsynced: number; victims: number } {
    return { synced: this.synced.size, unsynced: this.unsynced.size, victims: this.victims.size };
  }

  /** Creates a watcher; its first response is `created`. Returns its id. */
  watch(req: WatchRequest): number {
    if (req.key.length === 0) throw new InvalidArgumentError('watch: key is not provided');
    const start = req.startRevision ?? 0;
    if (!Number.isSafeInteger(start) || start < 0)
      throw new InvalidArgumentError('watch: startRevision must be ≥ 0');
    if (this.watchers.size >= this.options.maxWatchers)
      throw new TooManyWatchersError(this.options.maxWatchers);
    const current = this.source.currentRevision;
    const id = this.nextId++;
    const w = new Watcher(
      id,
      toKeyRange(req.key, req.rangeEnd),
      start === 0 ? current + 1 : start,
      req.prevKv === true,
      req.noPut === true,
      req.noDelete === true,
      req.progressNotify === true,
      this.options.maxBufferedEvents,
      this.options.maxEventsPerResponse,
    );
    this.watchers.set(id, w);
    this.queue(w, { type: 'created', watchId: id, revision: current });
    if (w.minRevision < this.source.compactRevision) {
      this.cancelCompacted(w);
    } else if (w.minRevision > current) {
      this.moveTo(w, 'synced');
    } else {
      this.moveTo(w, 'unsynced');
    }
    return id;
  }

  /** Removes a watcher and whatever it had queued; returns whether it existed. */
  cancel(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined) return false;
    this.leaveGroup(w);
    this.watchers.delete(watchId);
    this.withResponses.delete(watchId);
    return true;
  }

  /** Takes up to `max` queued responses of a watcher (a cancelled watcher is forgotten once drained). */
  take(watchId: number, max = Infinity): WatchResponse[] {
    const w = this.watchers.get(watchId);
    if (w === undefined) return [];
    const out = w.take(max);
    if (!w.hasResponses) {
      this.withResponses.delete(watchId);
      if (w.group === 'canceled') this.watchers.delete(watchId);
    }
    return out;
  }

  /** Ids of watchers with responses to take, in id order. */
  pendingWatchIds(): number[] {
    return [...this.withResponses].sort((a, b) => a - b);
  }

  /**
   * Asks for a progress response: the revision up to which the watcher has been sent everything.
   * Queued at once (after anything already queued) for a synced watcher, else when it catches up.
   */
  requestProgress(watchId: number): boolean {
    const w = this.watchers.get(watchId);
    if (w === undefined || w.group === 'canceled') return false;
    if (w.group === 'synced') this.queue(w, { type: 'progress', watchId, revision: this.seenRevision });
    else w.progressRequested = true;
    return true;
  }

  /** Queues progress responses for idle synced watchers that asked for them. */
  progressTick(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
    for (const w of this.synced) {
      if (
        w.progressNotify &&
        !w.hasResponses &&
        this.nowMs - w.lastSentMs >= this.options.progressIntervalMs
      ) {
        this.queue(w, { type: 'progress', watchId: w.id, revision: this.seenRevision });
      }
    }
  }

  /** Offers one committed revision to the synced watchers (the store's commit listener). */
  notify(changes: RevisionChanges): void {
    assert(
      changes.revision === this.seenRevision + 1,
      () => `watch: notify @${changes.revision} after @${this.seenRevision}`,
    );
    this.seenRevision = changes.revision;
    if (this.synced.size === 0) return;
    const perWatcher = new Map<Watcher, WatchEvent[]>();
    for (let i = 0; i < changes.events.length; i++) {
      const event = changes.events[i] as MvccEvent;
      const key = changes.keys[i] as string;
      // One event object per kind, shared by every watcher it goes to (they are read-only), so
      // fanning a revision out to many watchers allocates and looks up prev_kv once.
      let plain: WatchEvent | undefined;
      let withPrev: WatchEvent | undefined;
      this.synced.matching(key, (w) => {
        // A watcher created with a future start revision sits in the synced group until then.
        if (!w.accepts(event.type) || changes.revision < w.minRevision) return;
        let list = perWatcher.get(w);
        if (list === undefined) perWatcher.set(w, (list = []));
        list.push(
          w.prevKv
            ? (withPrev ??= this.toWatchEvent(w, key, event.type, event.kv, changes.revision))
            : (plain ??= { type: event.type, kv: event.kv }),
        );
      });
    }
    for (const [w, events] of perWatcher) {
      if (w.hasRoomFor(events.length)) {
        w.pushEvents(changes.revision, events, this.nowMs);
        this.markPending(w);
      } else if (this.options.slowWatcherPolicy === 'cancel') {
        this.cancelWith(
          w,
          ErrorCode.SlowWatcher,
          'watch: watcher is too slow (buffer full)',
          changes.revision - 1,
        );
      } else {
        w.victimBatch = { revision: changes.revision, events };
        this.moveTo(w, 'victim');
      }
    }
  }

  /**
   * Delivers victims' held batches where there is room now, then catches unsynced watchers up from
   * the history. Returns how many watchers are still behind (call again to continue).
   */
  sync(): number {
    for (const w of [...this.victims]) this.retryVictim(w);
    const batch: Watcher[] = [];
    for (const w of [...this.unsynced]) {
      if (batch.length >= this.options.maxWatchersPerSync) break;
      if (w.minRevision < this.source.compactRevision) this.cancelCompacted(w);
      else if (w.hasRoomFor(1)) batch.push(w);
    }
    if (batch.length > 0) this.catchUp(batch);
    return this.unsynced.size + this.victims.size;
  }

  /**
   * After the MVCC store was replaced by a snapshot: every watcher is behind from where it stood,
   * and catches up (or is cancelled with COMPACTED) on the next `sync()`.
   */
  resync(): void {
    for (const w of [...this.synced]) {
      // A watch that starts beyond what this member had seen waits for its own start revision.
      w.minRevision = Math.max(w.minRevision, this.seenRevision + 1);
      this.moveTo(w, 'unsynced');
    }
    for (const w of [...this.victims]) {
      w.minRevision = (w.victimBatch as { revision: number }).revision;
      w.victimBatch = undefined;
      this.moveTo(w, 'unsynced');
    }
    this.seenRevision = this.source.currentRevision;
  }

  /** Stops listening to the store. */
  close(): void {
    this.unsubscribe();
  }

  private retryVictim(w: Watcher): void {
    const batch = w.victimBatch;
    assert(batch !== undefined, 'watch: victim without a batch');
    if (!w.hasRoomFor(batch.events.length)) return;
    w.pushEvents(batch.revision, batch.events, this.nowMs);
    this.markPending(w);
    w.victimBatch = undefined;
    w.minRevision = batch.revision + 1;
    if (w.minRevision > this.seenRevision) this.joinSynced(w);
    else this.moveTo(w, 'unsynced');
  }

  /**
   * Catches a batch of unsynced watchers up from the history: one scan of at most
   * `maxRevisionsPerSync` revisions from the lowest revision the batch needs, each event offered to
   * the watchers that want it (as etcd's syncWatchers). A watcher whose buffer fills stops at that
   * revision and resumes there next time. Watchers still behind go to the back of the queue.
   */
  private catchUp(batch: readonly Watcher[]): void {
    const group = new WatcherGroup();
    let from = Infinity;
    for (const w of batch) {
      group.add(w);
      from = Math.min(from, w.minRevision);
    }
    const to = Math.min(this.seenRevision, from + this.options.maxRevisionsPerSync - 1);
    const stopped = new Set<Watcher>();
    for (let rev = from; rev <= to; rev++) {
      const changes = this.source.changesAt(rev);
      assert(changes !== undefined, () => `watch: history misses @${rev}`);
      const perWatcher = new Map<Watcher, WatchEvent[]>();
      for (let i = 0; i < changes.events.length; i++) {
        const event = changes.events[i] as MvccEvent;
        const key = changes.keys[i] as string;
        group.matching(key, (w) => {
          if (w.minRevision > rev || stopped.has(w) || !w.accepts(event.type)) return;
          let list = perWatcher.get(w);
          if (list === undefined) perWatcher.set(w, (list = []));
          list.push(this.toWatchEvent(w, key, event.type, event.kv, rev));
        });
      }
      for (const [w, events] of perWatcher) {
        if (w.hasRoomFor(events.length)) {
          w.pushEvents(rev, events, this.nowMs);
          this.markPending(w);
        } else {
          w.minRevision = rev;
          stopped.add(w);
        }
      }
    }
    for (const w of batch) {
      if (!stopped.has(w) && w.minRevision <= to) w.minRevision = to + 1;
      if (w.minRevision > this.seenRevision) {
        this.joinSynced(w);
      } else {
        this.unsynced.delete(w);
        this.unsynced.add(w);
      }
    }
  }

  /** A caught-up watcher joins the live stream and gets the progress it asked for meanwhile. */
  private joinSynced(w: Watcher): void {
    this.moveTo(w, 'synced');
    if (w.progressRequested) {
      w.progressRequested = false;
      this.queue(w, { type: 'progress', watchId: w.id, revision: this.seenRevision });
    }
  }

  private toWatchEvent(
    w: Watcher,
    key: string,
    type: 'put' | 'delete',
    kv: WatchEvent['kv'],
    rev: number,
  ): WatchEvent {
    if (!w.prevKv) return { type, kv };
    const prevKv = this.source.getAt(key, rev - 1);
    return prevKv === undefined ? { type, kv } : { type, kv, prevKv };
  }

  private cancelCompacted(w: Watcher): void {
    const compactRevision = this.source.compactRevision;
    this.cancelWith(
      w,
      ErrorCode.Compacted,
      `watch: required revision ${w.minRevision} has been compacted`,
      w.minRevision - 1,
      compactRevision,
    );
  }

  private cancelWith(
    w: Watcher,
    code: ErrorCode,
    reason: string,
    revision: number,
    compactRevision?: number,
  ): void {
    this.leaveGroup(w);
    w.group = 'canceled';
    const base = { type: 'canceled' as const, watchId: w.id, revision: Math.max(0, revision), code, reason };
    this.queue(w, compactRevision === undefined ? base : { ...base, compactRevision });
  }

  private queue(w: Watcher, response: WatchResponse): void {
    w.push(response, this.nowMs);
    this.markPending(w);
  }

  private markPending(w: Watcher): void {
    if (this.withResponses.has(w.id)) return;
    this.withResponses.add(w.id);
    this.sink?.pending(w.id);
  }

  private moveTo(w: Watcher, group: 'synced' | 'unsynced' | 'victim'): void {
    this.leaveGroup(w);
    w.group = group;
    if (group === 'synced') this.synced.add(w);
    else if (group === 'unsynced') this.unsynced.add(w);
    else this.victims.add(w);
  }

  private leaveGroup(w: Watcher): void {
    if (w.group === 'synced') this.synced.remove(w);
    else if (w.group === 'unsynced') this.unsynced.delete(w);
    else if (w.group === 'victim') this.victims.delete(w);
  }
}
