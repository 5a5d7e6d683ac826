/**
 * One watch stream, whatever door carries it (WebSocket, the gateway's `/v3/watch`, gRPC's
 * `Watch`): the watches it holds, their queues, and when each may send what. A door only turns
 * what this core hands it into its own frames and tells it when it can take more.
 *
 * Invariants:
 * - Ids: a create names its watch (`id`), or asks for an automatic one (the lowest id not yet used
 *   on the stream, from 0, as etcd numbers a stream's watches). An id already open is refused
 *   (INVALID_ARGUMENT, etcd's duplicate-id text); so is a watch past `maxWatches`
 *   (TOO_MANY_STREAMS). A watch is registered as soon as its create starts, so it counts at once.
 * - Created-gating: the door answers a create (`answerCreate`) before anything else of that watch
 *   leaves; events the backend produces meanwhile queue. A create the backend refuses (COMPACTED
 *   with `compactRevision`, or anything else) is answered with the error and leaves nothing behind.
 * - A watch's items (events, progress, end) leave in the order they were queued, and its end is its
 *   last item. `cancel` ends a created watch at once (its queue is dropped).
 * - A frame holds whole revisions up to `frameBudgetBytes`. A revision that does not fit alone is
 *   split over several frames with `fragment` (all but the last `fragment: true`, each at least one
 *   event); without `fragment`, a revision up to `maxUnsplitBytes` goes whole, a larger one ends the
 *   watch with RESPONSE_TOO_LARGE. Event sizes are estimated from above.
 * - Progress: `requestProgressAll` resolves once every watch has been sent everything queued before
 *   it, with the lowest revision the watches reported; `progressTick` (the door's or the core's own
 *   timer) queues a progress notification for every idle created watch with `progressNotify`.
 * - The slow-consumer rule: while the door is congested nothing is sent and events queue. The
 *   queued bytes of the stream are bounded (`maxQueuedBytes`): the watch whose events would cross
 *   the bound ends with SLOW_WATCHER and its queue is dropped (the client re-creates it from the
 *   last revision it received + 1: nothing is lost, only re-read from history).
 */
import {
  ErrorCode,
  type ErrorBody,
  type WatchCreateRequest,
  type WatchEvent,
} from '../../client/protocol/index.js';
import type { CallOptions, ClientBackend, WatchHandle } from './backend.js';
import { toErrorBody } from './errors.js';
import { cutFrame, eventSizeBytes, type QueueItem } from './watch-frame-cut.js';

export { eventSizeBytes };

/** etcd's cancel reason for a create with a `watch_id` already open on the stream. */
export const DUPLICATE_WATCH_ID_REASON = 'mvcc: duplicate watch ID provided on the WatchStream';

/** One watch's next events frame, as the core hands it to the door. */
export interface DueEvents {
  readonly watchId: number;
  readonly events: readonly WatchEvent[];
  /** More events of the same revision follow in the watch's next frame. */
  readonly fragment: boolean;
  /** The store revision the last of these events was taken at (≥ their mod revisions). */
  readonly revision: number;
  /** Upper bound of the events' bytes (≤ frameBudgetBytes unless one revision goes whole). */
  readonly bytes: number;
}

/** What a door does for the core: its frames and its back-pressure. */
export interface WatchDoor {
  /** The create of watch `id` is answered: created (no error) or refused with `error`. */
  answerCreate(id: number, error: ErrorBody | undefined): void;
  /** A watch's next events frame (a flush round hands at most one per watch). */
  sendEvents(frame: DueEvents): void;
  /** The flush round is over (a door that holds frames back to group them sends them now). */
  roundEnded?(): void;
  /** A progress notification of watch `id`: everything up to `revision` has been sent. */
  sendProgress(id: number, revision: number): void;
  /** Watch `id` ended: by the client (no error) or by the server (with the error). Its last frame. */
  sendEnd(id: number, error: ErrorBody | undefined): void;
  /** True while the door cannot take more frames; the door calls `flush()` once it can. */
  isCongested(): boolean;
  /** Runs `fn`, coalescing the frames it sends into as few writes as possible. */
  corked(fn: () => void): void;
  /** A watch left the stream (ended, refused or dropped). */
  watchEnded(id: number): void;
  logDebug(msg: string, fields: Record<string, unknown>): void;
}

export interface WatchStreamLimits {
  /** Most events bytes in one frame; fragments are cut to it. */
  readonly frameBudgetBytes: number;
  /** Most bytes of one revision sent whole without `fragment` (more: RESPONSE_TOO_LARGE). */
  readonly maxUnsplitBytes: number;
  /** Most bytes queued on the stream (the slow-consumer rule). */
  readonly maxQueuedBytes: number;
  readonly maxWatches: number;
  /** Given: the core runs its own progress timer; absent: the door calls `progressTick`. */
  readonly progressIntervalMs?: number;
}

interface WatchState {
  readonly id: number;
  readonly fragment: boolean;
  readonly progressNotify: boolean;
  handle: WatchHandle | undefined;
  created: boolean;
  ended: boolean;
  /** Why it ended while its create was in flight (the create answers with it). */
  endedBeforeCreated: ErrorBody | undefined;
  queue: QueueItem[];
  queuedBytes: number;
  /** Items ever queued / ever sent (or dropped), for progress barriers. */
  enqueued: number;
  sent: number;
  /** A frame was sent since the last progress tick. */
  active: boolean;
}

interface Barrier {
  readonly marks: Map<number, number>;
  readonly resolve: () => void;
}

export class WatchStreamCore {
  private readonly watches = new Map<number, WatchState>();
  private nextAutoId = 0;
  private queuedBytes = 0;
  private flushScheduled = false;
  private closed = false;
  private barriers: Barrier[] = [];
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backend: ClientBackend,
    private readonly door: WatchDoor,
    private readonly limits: WatchStreamLimits,
  ) {
    if (limits.progressIntervalMs !== undefined) {
      this.timer = setInterval(() => this.progressTick(), limits.progressIntervalMs);
      this.timer.unref();
    }
  }

  /** Open watches, those whose create is in flight included. */
  get size(): number {
    return this.watches.size;
  }

  has(id: number): boolean {
    return this.watches.has(id);
  }

  /**
   * Creates a watch named `id` (or the next automatic id) and answers it through the door before
   * any of its frames; resolves once answered. Never rejects: failures are answers.
   */
  async create(req: WatchCreateRequest, id: number | 'auto', options: CallOptions): Promise<void> {
    const refusal = this.refusal(id);
    if (refusal !== undefined) {
      this.door.answerCreate(id === 'auto' ? -1 : id, refusal);
      return;
    }
    const watchId = id === 'auto' ? this.autoId() : id;
    const state: WatchState = {
      id: watchId,
      fragment: req.fragment,
      progressNotify: req.progressNotify,
      handle: undefined,
      created: false,
      ended: false,
      endedBeforeCreated: undefined,
      queue: [],
      queuedBytes: 0,
      enqueued: 0,
      sent: 0,
      active: false,
    };
    this.watches.set(watchId, state);
    let handle: WatchHandle;
    try {
      handle = await this.backend.watch(
        { ...req, watchId },
        {
          events: (events, revision) => this.onEvents(state, events, revision),
          ended: (error) => this.onBackendEnded(state, error),
        },
        options,
      );
    } catch (err) {
      this.forget(state);
      this.door.answerCreate(watchId, toErrorBody(err));
      return;
    }
    if (this.closed || state.ended) {
      // The stream or the watch went away while the backend registered it.
      handle.cancel();
      this.forget(state);
      this.door.answerCreate(watchId, state.endedBeforeCreated ?? goneError());
      return;
    }
    // A backend that ended the watch already queued its end: the handle is spent.
    if (!state.queue.some((item) => item.kind === 'end')) state.handle = handle;
    this.door.answerCreate(watchId, undefined);
    state.created = true;
    this.scheduleFlush();
  }

  /** Ends created watch `id` at once (client cancel: no error). False if no such watch is open. */
  cancel(id: number, error?: ErrorBody): boolean {
    const state = this.watches.get(id);
    if (state === undefined || state.ended || !state.created) return false;
    this.finish(state, error, true);
    return true;
  }

  /**
   * Ends every watch (the stream closes): with `sendFrames`, each created watch gets its end frame
   * with `error`. No create in flight is answered after this.
   */
  close(error: ErrorBody | undefined, sendFrames: boolean): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.door.corked(() => {
      for (const state of [...this.watches.values()]) if (!state.ended) this.finish(state, error, sendFrames);
    });
    for (const b of this.barriers) b.resolve();
    this.barriers = [];
  }

  /** Sends queued frames as far as the door allows. Doors call it when they drain. */
  flush(): void {
    this.flushScheduled = false;
    if (this.closed) return;
    this.door.corked(() => {
      while (this.flushRound());
    });
    this.checkBarriers();
  }

  /**
   * Asks every watch for progress; resolves with the lowest revision R reported once every watch
   * has been *sent* everything up to its R. With no watch (or none answering): undefined.
   */
  async requestProgressAll(): Promise<number | undefined> {
    const states = [...this.watches.values()].filter((s) => !s.ended && s.handle !== undefined);
    if (states.length === 0) return undefined;
    const revisions = await Promise.all(
      states.map((s) => (s.handle as WatchHandle).requestProgress().catch(() => undefined)),
    );
    const marks = new Map<number, number>();
    for (const s of states) marks.set(s.id, s.enqueued);
    await new Promise<void>((resolve) => {
      this.barriers.push({ marks, resolve });
      this.checkBarriers();
    });
    const known = revisions.filter((r): r is number => r !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  }

  /** Each created watch with progress_notify that sent nothing since the last tick gets a notification. */
  progressTick(): void {
    for (const state of this.watches.values()) {
      const idle = !state.active && state.queue.length === 0;
      state.active = false;
      const handle = state.handle;
      if (!state.progressNotify || !state.created || state.ended || !idle || handle === undefined) continue;
      handle.requestProgress().then(
        (revision) => {
          if (!state.ended) this.enqueue(state, { kind: 'progress', revision }, 0);
        },
        () => undefined,
      );
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private refusal(id: number | 'auto'): ErrorBody | undefined {
    if (this.closed) return goneError();
    if (id !== 'auto' && this.watches.has(id)) {
      return { code: ErrorCode.InvalidArgument, message: DUPLICATE_WATCH_ID_REASON, details: {} };
    }
    const max = this.limits.maxWatches;
    if (this.watches.size >= max) {
      return {
        code: ErrorCode.TooManyStreams,
        message: `the stream has its maximum of ${max} watches`,
        details: { limit: max },
      };
    }
    return undefined;
  }

  private autoId(): number {
    while (this.watches.has(this.nextAutoId)) this.nextAutoId++;
    return this.nextAutoId++;
  }

  private onEvents(state: WatchState, events: readonly WatchEvent[], revision: number): void {
    if (state.ended || events.length === 0) return;
    for (const event of events) {
      const bytes = eventSizeBytes(event);
      if (this.queuedBytes + bytes > this.limits.maxQueuedBytes) {
        this.door.logDebug('slow watcher ended', { watchId: state.id, queuedBytes: this.queuedBytes });
        this.finish(state, slowWatcherError(this.limits.maxQueuedBytes), true);
        return;
      }
      this.enqueue(state, { kind: 'event', event, bytes, revision }, bytes);
    }
  }

  private onBackendEnded(state: WatchState, error: Error): void {
    if (state.ended) return;
    state.handle = undefined; // the backend has already stopped it
    // Events already queued are valid; the end follows them.
    this.enqueue(state, { kind: 'end', error: toErrorBody(error) }, 0);
  }

  private enqueue(state: WatchState, item: QueueItem, bytes: number): void {
    state.queue.push(item);
    state.queuedBytes += bytes;
    state.enqueued++;
    this.queuedBytes += bytes;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  private take(state: WatchState, count: number): void {
    for (let i = 0; i < count; i++) {
      const item = state.queue[i];
      if (item !== undefined && item.kind === 'event') {
        state.queuedBytes -= item.bytes;
        this.queuedBytes -= item.bytes;
      }
    }
    state.queue.splice(0, count);
    state.sent += count;
  }

  private dropQueue(state: WatchState): void {
    this.queuedBytes -= state.queuedBytes;
    state.sent += state.queue.length;
    state.queue = [];
    state.queuedBytes = 0;
  }

  /** Removes a watch that was never created (refused, or its stream went away). */
  private forget(state: WatchState): void {
    state.ended = true;
    this.dropQueue(state);
    if (this.watches.get(state.id) === state) this.watches.delete(state.id);
    this.door.watchEnded(state.id);
  }

  private finish(state: WatchState, error: ErrorBody | undefined, sendFrame: boolean): void {
    state.ended = true;
    state.handle?.cancel();
    state.handle = undefined;
    this.dropQueue(state);
    if (!state.created) {
      // Its create, still in flight, sees `ended`, forgets it and answers with the error.
      state.endedBeforeCreated = error;
      return;
    }
    this.watches.delete(state.id);
    if (sendFrame) this.door.sendEnd(state.id, error);
    this.door.watchEnded(state.id);
    this.checkBarriers();
  }

  /**
   * One round: every watch with something to send sends its progress and end frames and takes at
   * most one events frame. True if another round may send more.
   */
  private flushRound(): boolean {
    let more = false;
    for (const state of [...this.watches.values()]) {
      if (this.door.isCongested()) {
        more = false;
        break;
      }
      const frame = this.nextFrame(state);
      if (frame === undefined) continue;
      if (state.queue.length > 0) more = true;
      this.door.sendEvents(frame);
    }
    this.door.roundEnded?.();
    return more && !this.door.isCongested();
  }

  /**
   * Sends the watch's progress and end frames at the head of its queue, then takes its next events
   * frame (whole revisions up to the frame budget, or a fragment) and returns it, if any.
   */
  private nextFrame(state: WatchState): DueEvents | undefined {
    while (state.created && !state.ended && state.queue.length > 0) {
      const head = state.queue[0] as QueueItem;
      if (head.kind === 'end') {
        this.take(state, 1);
        this.finish(state, head.error, true);
        return undefined;
      }
      if (head.kind === 'progress') {
        this.take(state, 1);
        state.active = true;
        this.door.sendProgress(state.id, head.revision);
        continue;
      }
      return this.takeEvents(state);
    }
    return undefined;
  }

  /** Takes one frame of events from the head of the queue; undefined if the watch ended instead. */
  private takeEvents(state: WatchState): DueEvents | undefined {
    const cut = cutFrame(state.queue, state.fragment, this.limits);
    if ('tooLarge' in cut) {
      this.finish(state, cut.tooLarge, true);
      return undefined;
    }
    this.take(state, cut.taken);
    state.active = true;
    return {
      watchId: state.id,
      events: cut.events,
      fragment: cut.fragment,
      revision: cut.revision,
      bytes: cut.bytes,
    };
  }

  private checkBarriers(): void {
    if (this.barriers.length === 0) return;
    this.barriers = this.barriers.filter((b) => {
      for (const [id, mark] of b.marks) {
        const s = this.watches.get(id);
        if (s !== undefined && s.sent < mark) return true;
      }
      b.resolve();
      return false;
    });
  }
}

function goneError(): ErrorBody {
  return { code: ErrorCode.Unavailable, message: 'the watch stream is closing', details: {} };
}

function slowWatcherError(limit: number): ErrorBody {
  return {
    code: ErrorCode.SlowWatcher,
    message:
      'watch could not keep up: the client did not read its events; re-create it from the last revision received',
    details: { limit },
  };
}
