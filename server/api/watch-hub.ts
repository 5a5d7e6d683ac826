/**
 * The WebSocket door of the watch stream: the watches of one connection, served by the shared core
 * (watch-stream-core.ts: ids, created-gating, progress, fragments, the slow-consumer rule), turned
 * into WebSocket frames here.
 *
 * What is the WebSocket's own:
 * - A watch's id is its `watch.create` request's id; creates are answered by a `response` frame
 *   (an error response for a refused one, COMPACTED included), ends by an `end` frame.
 * - With `groupFrames` (the client announced feature `watch_group`), watches due the same frame
 *   content in one flush round (the same events, typically one revision fanned out to many watches
 *   of one prefix) get one `watch_group` frame listing their ids instead of one frame each. Each
 *   watch takes at most one events frame per round, so its own frames stay in order.
 * - Event texts are encoded once per key-value (client/protocol/watch-text.ts) and one flush is one
 *   corked socket write. The frame budget leaves room for the envelope, so a frame never exceeds
 *   maxFrameBytes; a revision larger than the budget is fragmented or refused (never sent whole).
 * - Back-pressure: the connection's outbox is congested while ws's bufferedAmount is above its
 *   bound; the session calls `flush()` when it drains.
 */
import {
  encodeFrame,
  ErrorCode,
  headerText,
  ProtocolError,
  watchEventsFrameText,
  watchEventsText,
  watchGroupFrameText,
  type ErrorBody,
  type Method,
  type MethodResult,
  type RequestFrame,
  type ResponseHeader,
} from '../../client/protocol/index.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { WatchStreamCore, type DueEvents, type WatchDoor } from './watch-stream-core.js';

/** Room in a frame for the envelope and header around the events. */
const FRAME_SLACK_BYTES = 4096;
/**
 * Characters of the `ids` list of a watch_group frame that always fit (inside the slack above);
 * a group may use, in addition, what its events leave unused of the frame budget.
 */
const GROUP_IDS_CHARS = 2048;

export interface WatchHubHost {
  /** Sends one frame's text; false if the connection is gone. */
  send(text: string): boolean;
  isCongested(): boolean;
  header(): ResponseHeader;
  /** Answers the `watch.create` request `id`: created, or the error. */
  answerCreate(id: number, error: ErrorBody | undefined): void;
  /** Sends the response of request `id`. */
  respond<M extends Method>(id: number, method: M, result: MethodResult<M>): boolean;
  /** A watch ended (its end frame was sent or the connection is gone). */
  watchEnded(id: number): void;
  /** Runs `fn`, coalescing the frames it sends into as few socket writes as possible. */
  corked(fn: () => void): void;
  logDebug(msg: string, fields: Record<string, unknown>): void;
}

/** The requests of the connection that the hub serves. */
export type WatchRequestFrame = Extract<
  RequestFrame,
  { method: 'watch.create' | 'watch.cancel' | 'watch.progress' }
>;

export function isWatchRequest(frame: RequestFrame): frame is WatchRequestFrame {
  return (
    frame.method === 'watch.create' || frame.method === 'watch.cancel' || frame.method === 'watch.progress'
  );
}

export interface WatchHubLimits {
  readonly maxFrameBytes: number;
  readonly maxQueuedWatchBytes: number;
  readonly maxWatches: number;
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

export class WatchHub implements WatchDoor {
  /** Send `watch_group` frames (the client announced the feature). */
  groupFrames = false;
  private readonly core: WatchStreamCore;
  private readonly frameBudgetBytes: number;
  /** This flush round's groups (groupFrames), by frame text. */
  private readonly groups = new Map<string, Group>();
  private roundHeader: string | undefined;

  constructor(
    private readonly host: WatchHubHost,
    backend: ClientBackend,
    limits: WatchHubLimits,
  ) {
    this.frameBudgetBytes = frameBudgetFor(limits.maxFrameBytes);
    this.core = new WatchStreamCore(backend, this, {
      frameBudgetBytes: this.frameBudgetBytes,
      maxUnsplitBytes: this.frameBudgetBytes,
      maxQueuedBytes: limits.maxQueuedWatchBytes,
      maxWatches: limits.maxWatches,
    });
  }

  get size(): number {
    return this.core.size;
  }

  has(id: number): boolean {
    return this.core.has(id);
  }

  /**
   * Serves a watch request of the connection: `watch.create` (the watch's id is the request's id;
   * answered through the host before any of its frames), `watch.cancel` (the `end` frame, then the
   * response; WATCH_NOT_FOUND thrown for no such watch) and `watch.progress` (answered once every
   * watch has been sent everything up to the revision answered).
   */
  async serve(frame: WatchRequestFrame, options: CallOptions): Promise<void> {
    const header = this.host.header.bind(this.host);
    switch (frame.method) {
      case 'watch.create':
        await this.core.create(frame.params, frame.id, options);
        return;
      case 'watch.cancel': {
        const watchId = frame.params.watchId;
        if (!this.core.cancel(watchId)) {
          throw new ProtocolError(ErrorCode.WatchNotFound, `no watch ${watchId} on this connection`, {
            field: 'params.watch_id',
          });
        }
        const result = {
          type: 'canceled',
          header: header(),
          watchId,
          compactRevision: 0,
          cancelReason: '',
        } as const;
        this.host.respond(frame.id, 'watch.cancel', result);
        return;
      }
      case 'watch.progress': {
        const revision = (await this.core.requestProgressAll()) ?? header().revision;
        const result = { type: 'progress', header: { ...header(), revision }, watchId: -1 } as const;
        this.host.respond(frame.id, 'watch.progress', result);
        return;
      }
    }
  }

  /** Ends open watch `id` (client cancel). False if there is none (or its create is in flight). */
  end(id: number): boolean {
    return this.core.cancel(id);
  }

  /** Ends every watch with `error` (shutdown), or silently when the connection is gone. */
  endAll(error: ErrorBody | undefined, sendFrames: boolean): void {
    this.core.close(error, sendFrames);
  }

  flush(): void {
    this.core.flush();
  }

  progressTick(): void {
    this.core.progressTick();
  }

  // ---- WatchDoor ------------------------------------------------------------------------------

  answerCreate(id: number, error: ErrorBody | undefined): void {
    this.host.answerCreate(id, error);
  }

  sendProgress(id: number, revision: number): void {
    const header = { ...this.host.header(), revision };
    this.host.send(encodeFrame({ type: 'watch', id, result: { type: 'progress', header, watchId: id } }));
  }

  sendEnd(id: number, error: ErrorBody | undefined): void {
    this.host.send(encodeFrame(error === undefined ? { type: 'end', id } : { type: 'end', id, error }));
  }

  isCongested(): boolean {
    return this.host.isCongested();
  }

  corked(fn: () => void): void {
    this.host.corked(fn);
  }

  watchEnded(id: number): void {
    this.host.watchEnded(id);
  }

  logDebug(msg: string, fields: Record<string, unknown>): void {
    this.host.logDebug(msg, fields);
  }

  /** One frame per watch, or (groupFrames) held until the round ends and grouped by text. */
  sendEvents(f: DueEvents): void {
    const eventsText = watchEventsText(f.events);
    if (!this.groupFrames) {
      this.host.send(watchEventsFrameText(f.watchId, this.headerJson(), eventsText, f.fragment));
      return;
    }
    const key = f.fragment ? `F${eventsText}` : eventsText;
    let group = this.groups.get(key);
    const idChars = String(f.watchId).length + 1;
    if (group !== undefined && group.idsChars + idChars > group.maxIdsChars) {
      this.sendGroup(group);
      group = undefined;
    }
    if (group === undefined) {
      group = {
        eventsText,
        fragment: f.fragment,
        maxIdsChars: GROUP_IDS_CHARS + Math.max(0, this.frameBudgetBytes - f.bytes),
        ids: [],
        idsChars: 0,
      };
      this.groups.set(key, group);
    }
    group.ids.push(f.watchId);
    group.idsChars += idChars;
  }

  roundEnded(): void {
    for (const group of this.groups.values()) if (group.ids.length > 0) this.sendGroup(group);
    this.groups.clear();
    this.roundHeader = undefined;
  }

  /** The header of this round's frames, rendered once per round. */
  private headerJson(): string {
    return (this.roundHeader ??= headerText(this.host.header()));
  }

  private sendGroup(group: Group): void {
    const headerJson = this.headerJson();
    const ids = group.ids;
    group.ids = [];
    group.idsChars = 0;
    this.host.send(
      ids.length === 1
        ? watchEventsFrameText(ids[0] as number, headerJson, group.eventsText, group.fragment)
        : watchGroupFrameText(ids, headerJson, group.eventsText, group.fragment),
    );
  }
}

/** Frame budget for events: what is left of a frame after the envelope. */
export function frameBudgetFor(maxFrameBytes: number): number {
  return Math.max(1024, maxFrameBytes - FRAME_SLACK_BYTES);
}
