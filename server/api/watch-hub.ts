/**
 * The watches of one WebSocket connection: what the backend's sinks produce is queued per watch
 * and turned into `watch` frames when the connection can take them.
 *
 * Invariants:
 * - A watch's frames leave in the order its sink received the events, after the `watch.create`
 *   response (nothing is flushed before `markCreated`), and its `end` frame is its last frame.
 * - A frame holds whole revisions, unless one revision does not fit in `frameBudgetBytes`: then,
 *   with `fragment`, the revision is split over several frames, all but the last `fragment: true`;
 *   without it the watch ends with RESPONSE_TOO_LARGE. Event sizes are estimated from above, so a
 *   frame never exceeds maxFrameBytes.
 * - With `groupFrames` (the client announced feature `watch_group`), watches that are due the same
 *   frame content in one flush round (the same events, typically one revision fanned out to many
 *   watches of one prefix) get one `watch_group` frame listing their ids instead of one frame each.
 *   Each watch takes at most one events frame per round, so its own frames stay in order.
 * - Event texts are encoded once per key-value (client/protocol/watch-text.ts) and one flush is one
 *   corked socket write.
 * - While the connection is congested nothing is flushed; events queue. The queued bytes of the
 *   connection are bounded (`maxQueuedWatchBytes`): the watch whose events would cross the bound
 *   ends with SLOW_WATCHER and its queue is dropped (the client re-creates it from the last revision
 *   it received + 1, so nothing is lost, only re-read from history).
 */
import {
  ErrorCode,
  encodeFrame,
  headerText,
  watchEventsFrameText,
  watchEventsText,
  watchGroupFrameText,
  type ErrorBody,
  type ResponseHeader,
  type WatchCreateRequest,
  type WatchEvent,
} from '../../client/protocol/index.js';
import type { WatchHandle, WatchSink } from './backend.js';
import { toErrorBody } from './errors.js';

/** Room in a frame for the envelope and header around the events. */
const FRAME_SLACK_BYTES = 4096;
/**
 * Characters of the `ids` list of a watch_group frame that always fit (inside the slack above);
 * a group may use, in addition, what its events leave unused of the frame budget.
 */
const GROUP_IDS_CHARS = 2048;
/** Upper bound of the JSON around one event's keys and values (field names, numbers, braces). */
const EVENT_OVERHEAD_BYTES = 400;

function base64Bytes(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** An upper bound of the bytes one event takes in a frame. */
export function eventSizeBytes(e: WatchEvent): number {
  let raw = e.kv.key.length + e.kv.value.length;
  if (e.prevKv !== undefined) raw += e.prevKv.key.length + e.prevKv.value.length;
  return base64Bytes(raw) + 4 + EVENT_OVERHEAD_BYTES;
}

type QueueItem =
  | { readonly kind: 'event'; readonly event: WatchEvent; readonly bytes: number }
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'end'; readonly error: ErrorBody };

interface WatchState {
  readonly id: number;
  readonly fragment: boolean;
  readonly progressNotify: boolean;
  handle: WatchHandle | undefined;
  created: boolean;
  ended: boolean;
  queue: QueueItem[];
  queuedBytes: number;
  /** Items ever queued / ever sent (or dropped), for progress barriers. */
  enqueued: number;
  sent: number;
  /** A frame was sent since the last progress tick. */
  active: boolean;
}

export interface WatchHubHost {
  /** Sends one frame's text; false if the connection is gone. */
  send(text: string): boolean;
  isCongested(): boolean;
  header(): ResponseHeader;
  /** A watch ended (its end frame was sent or the connection is gone). */
  watchEnded(id: number): void;
  /** Runs `fn`, coalescing the frames it sends into as few socket writes as possible. */
  corked(fn: () => void): void;
  logDebug(msg: string, fields: Record<string, unknown>): void;
}

/** The events frame one watch is due in a flush round. */
interface DueFrame {
  readonly eventsText: string;
  readonly fragment: boolean;
  /** Upper bound of the events' bytes in the frame (≤ frameBudgetBytes). */
  readonly bytes: number;
}

/** Watches due identical frames in one round. */
interface Group {
  readonly eventsText: string;
  readonly fragment: boolean;
  /** Most characters `ids` may take so that the frame stays within maxFrameBytes. */
  readonly maxIdsChars: number;
  ids: number[];
  idsChars: number;
}

export class WatchHub {
  /** Send `watch_group` frames (the client announced the feature). */
  groupFrames = false;
  private readonly watches = new Map<number, WatchState>();
  private queuedBytes = 0;
  private flushScheduled = false;
  private barriers: { readonly marks: Map<number, number>; readonly resolve: () => void }[] = [];

  constructor(
    private readonly host: WatchHubHost,
    private readonly frameBudgetBytes: number,
    private readonly maxQueuedBytes: number,
  ) {}

  get size(): number {
    return this.watches.size;
  }

  has(id: number): boolean {
    return this.watches.has(id);
  }

  /** Registers watch `id` (not yet created) and returns the sink to give the backend. */
  open(id: number, req: WatchCreateRequest): WatchSink {
    const state: WatchState = {
      id,
      fragment: req.fragment,
      progressNotify: req.progressNotify,
      handle: undefined,
      created: false,
      ended: false,
      queue: [],
      queuedBytes: 0,
      enqueued: 0,
      sent: 0,
      active: false,
    };
    this.watches.set(id, state);
    return {
      events: (events) => this.onEvents(state, events),
      ended: (error) => this.onBackendEnded(state, error),
    };
  }

  /** The backend accepted the watch: keep its handle (cancel it at once if the watch is gone). */
  attach(id: number, handle: WatchHandle): boolean {
    const state = this.watches.get(id);
    if (state === undefined || state.ended) {
      handle.cancel();
      return false;
    }
    state.handle = handle;
    return true;
  }

  /** The backend refused the watch: forget it without an end frame (the response carries the error). */
  discard(id: number): void {
    const state = this.watches.get(id);
    if (state === undefined) return;
    state.ended = true;
    this.dropQueue(state);
    this.watches.delete(id);
  }

  /** The `watch.create` response has been sent: frames may flow. */
  markCreated(id: number): void {
    const state = this.watches.get(id);
    if (state === undefined) return;
    state.created = true;
    this.scheduleFlush();
  }

  /**
   * Ends watch `id` now (client cancel: no error; server: with error). False if there is no open
   * watch `id` (a watch whose create is still in flight is not open yet).
   */
  end(id: number, error?: ErrorBody): boolean {
    const state = this.watches.get(id);
    if (state === undefined || state.ended || !state.created) return false;
    this.finish(state, error, true);
    return true;
  }

  /** Ends every watch with `error` (shutdown), or silently when the connection is gone. */
  endAll(error: ErrorBody | undefined, sendFrames: boolean): void {
    for (const state of [...this.watches.values()]) {
      if (!state.ended) this.finish(state, error, sendFrames);
    }
    for (const b of this.barriers) b.resolve();
    this.barriers = [];
  }

  /** Flushes queues as far as the connection allows. Called after drains and new events. */
  flush(): void {
    this.flushScheduled = false;
    this.host.corked(() => {
      while (this.flushRound());
    });
    this.checkBarriers();
  }

  /**
   * Asks every watch for progress; resolves with the lowest revision R reported once every watch
   * has been *sent* everything up to its R (`watch.progress`). With no watch: undefined.
   */
  async requestProgressAll(): Promise<number | undefined> {
    const states = [...this.watches.values()].filter((s) => !s.ended && s.handle !== undefined);
    if (states.length === 0) return undefined;
    const revisions = await Promise.all(
      states.map((s) =>
        (s.handle as WatchHandle).requestProgress().then(
          (r) => r,
          () => undefined,
        ),
      ),
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

  /**
   * The progress timer: each created watch with progress_notify that sent nothing since the last
   * tick gets a progress notification.
   */
  progressTick(): void {
    for (const state of this.watches.values()) {
      const idle = !state.active && state.queue.length === 0;
      state.active = false;
      if (!state.progressNotify || !state.created || state.ended || !idle || state.handle === undefined)
        continue;
      state.handle.requestProgress().then(
        (revision) => {
          if (state.ended) return;
          this.enqueue(state, { kind: 'progress', revision }, 0);
        },
        () => undefined,
      );
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private onEvents(state: WatchState, events: readonly WatchEvent[]): void {
    if (state.ended || events.length === 0) return;
    for (const event of events) {
      const bytes = eventSizeBytes(event);
      if (this.queuedBytes + bytes > this.maxQueuedBytes) {
        this.host.logDebug('slow watcher ended', { watchId: state.id, queuedBytes: this.queuedBytes });
        this.finish(
          state,
          {
            code: ErrorCode.SlowWatcher,
            message:
              'watch could not keep up: the connection did not read its events; re-create it from the last revision received',
            details: { limit: this.maxQueuedBytes },
          },
          true,
        );
        return;
      }
      this.enqueue(state, { kind: 'event', event, bytes }, bytes);
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

  private finish(state: WatchState, error: ErrorBody | undefined, sendFrame: boolean): void {
    state.ended = true;
    state.handle?.cancel();
    state.handle = undefined;
    this.dropQueue(state);
    this.watches.delete(state.id);
    // A watch whose create response has not been sent has no stream to end yet.
    if (sendFrame && state.created) {
      this.host.send(
        encodeFrame(
          error === undefined ? { type: 'end', id: state.id } : { type: 'end', id: state.id, error },
        ),
      );
    }
    this.host.watchEnded(state.id);
    this.checkBarriers();
  }

  /**
   * One round: every watch with something to send sends its progress and end frames and takes at
   * most one events frame; identical events frames are grouped. True if another round may send more.
   */
  private flushRound(): boolean {
    let headerJson: string | undefined;
    const header = (): string => (headerJson ??= headerText(this.host.header()));
    const groups = new Map<string, Group>();
    let more = false;
    for (const state of this.watches.values()) {
      if (this.host.isCongested()) {
        more = false;
        break;
      }
      const due = this.nextFrame(state);
      if (due === undefined) continue;
      if (state.queue.length > 0) more = true;
      if (!this.groupFrames) {
        this.host.send(watchEventsFrameText(state.id, header(), due.eventsText, due.fragment));
        continue;
      }
      const key = due.fragment ? `F${due.eventsText}` : due.eventsText;
      let group = groups.get(key);
      const idChars = String(state.id).length + 1;
      if (group !== undefined && group.idsChars + idChars > group.maxIdsChars) {
        this.sendGroup(group, header());
        group = undefined;
      }
      if (group === undefined) {
        group = {
          eventsText: due.eventsText,
          fragment: due.fragment,
          maxIdsChars: GROUP_IDS_CHARS + Math.max(0, this.frameBudgetBytes - due.bytes),
          ids: [],
          idsChars: 0,
        };
        groups.set(key, group);
      }
      group.ids.push(state.id);
      group.idsChars += idChars;
    }
    for (const group of groups.values()) if (group.ids.length > 0) this.sendGroup(group, header());
    return more && !this.host.isCongested();
  }

  private sendGroup(group: Group, headerJson: string): void {
    const ids = group.ids;
    group.ids = [];
    group.idsChars = 0;
    this.host.send(
      ids.length === 1
        ? watchEventsFrameText(ids[0] as number, headerJson, group.eventsText, group.fragment)
        : watchGroupFrameText(ids, headerJson, group.eventsText, group.fragment),
    );
  }

  /**
   * Sends the watch's progress and end frames at the head of its queue, then takes its next events
   * frame (whole revisions up to the frame budget, or a fragment) and returns it, if any.
   */
  private nextFrame(state: WatchState): DueFrame | undefined {
    while (state.created && !state.ended && state.queue.length > 0) {
      const head = state.queue[0] as QueueItem;
      if (head.kind === 'end') {
        this.take(state, 1);
        this.finish(state, head.error, true);
        return undefined;
      }
      if (head.kind === 'progress') {
        this.take(state, 1);
        const header = { ...this.host.header(), revision: head.revision };
        state.active = true;
        this.host.send(
          encodeFrame({
            type: 'watch',
            id: state.id,
            result: { type: 'progress', header, watchId: state.id },
          }),
        );
        continue;
      }
      return this.takeEvents(state);
    }
    return undefined;
  }

  /** Takes one frame of events from the head of the queue; undefined if the watch ended instead. */
  private takeEvents(state: WatchState): DueFrame | undefined {
    const events: WatchEvent[] = [];
    let bytes = 0;
    let i = 0;
    let fragment = false;
    const q = state.queue;
    while (i < q.length) {
      const first = q[i] as QueueItem;
      if (first.kind !== 'event') break;
      // The revision group starting at i.
      const revision = first.event.kv.modRevision;
      let j = i;
      let groupBytes = 0;
      while (j < q.length) {
        const item = q[j] as QueueItem;
        if (item.kind !== 'event' || item.event.kv.modRevision !== revision) break;
        groupBytes += item.bytes;
        j++;
      }
      if (bytes + groupBytes <= this.frameBudgetBytes) {
        for (let k = i; k < j; k++) events.push((q[k] as { event: WatchEvent }).event);
        bytes += groupBytes;
        i = j;
        continue;
      }
      if (events.length > 0) break; // send the whole revisions collected so far
      // One revision alone does not fit.
      if (!state.fragment || first.bytes > this.frameBudgetBytes) {
        this.finish(
          state,
          {
            code: ErrorCode.ResponseTooLarge,
            message: state.fragment
              ? `an event of revision ${revision} does not fit in a frame`
              : `revision ${revision} does not fit in a frame; create the watch with fragment`,
            details: { limit: this.frameBudgetBytes },
          },
          true,
        );
        return undefined;
      }
      while (i < j) {
        const item = q[i] as { event: WatchEvent; bytes: number };
        if (bytes + item.bytes > this.frameBudgetBytes) break;
        events.push(item.event);
        bytes += item.bytes;
        i++;
      }
      fragment = i < j;
      break;
    }
    this.take(state, i);
    state.active = true;
    return { eventsText: watchEventsText(events), fragment, bytes };
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

/** Frame budget for events: what is left of a frame after the envelope. */
export function frameBudgetFor(maxFrameBytes: number): number {
  return Math.max(1024, maxFrameBytes - FRAME_SLACK_BYTES);
}
