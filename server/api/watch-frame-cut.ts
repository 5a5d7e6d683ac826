/**
 * Where a watch's next frame ends: the cut of the head of its queue into one frame, by the rules of
 * watch-stream-core.ts (whole revisions up to the budget; a revision larger than the budget sent
 * whole up to `maxUnsplitBytes` without `fragment`, split with it, each fragment at least one
 * event). Pure: it only reads the queue.
 */
import { ErrorCode, type ErrorBody, type WatchEvent } from '../../client/protocol/index.js';

/** Upper bound of the JSON around one event's keys and values (field names, numbers, braces). */
const EVENT_OVERHEAD_BYTES = 400;

function base64Bytes(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** An upper bound of the bytes one event takes in a frame of any door (JSON with base64 is the largest). */
export function eventSizeBytes(e: WatchEvent): number {
  let raw = e.kv.key.length + e.kv.value.length;
  if (e.prevKv !== undefined) raw += e.prevKv.key.length + e.prevKv.value.length;
  return base64Bytes(raw) + 4 + EVENT_OVERHEAD_BYTES;
}

/** What a watch's queue holds, in order. `bytes`: eventSizeBytes of the event. */
export type QueueItem =
  | { readonly kind: 'event'; readonly event: WatchEvent; readonly bytes: number; readonly revision: number }
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'end'; readonly error: ErrorBody };

type EventItem = Extract<QueueItem, { kind: 'event' }>;

export interface FrameLimits {
  readonly frameBudgetBytes: number;
  readonly maxUnsplitBytes: number;
}

/** A frame cut from the head of a queue: its first `taken` items, all events. */
export interface FrameCut {
  readonly taken: number;
  readonly events: readonly WatchEvent[];
  /** More events of the last revision follow. */
  readonly fragment: boolean;
  /** The highest store revision the events were taken at. */
  readonly revision: number;
  readonly bytes: number;
}

/** The next frame of the events at the head of `q`, or why the watch cannot go on. */
export function cutFrame(
  q: readonly QueueItem[],
  fragment: boolean,
  limits: FrameLimits,
): FrameCut | { readonly tooLarge: ErrorBody } {
  const budget = limits.frameBudgetBytes;
  const events: WatchEvent[] = [];
  let bytes = 0;
  let revision = 0;
  let i = 0;
  const takeUpTo = (end: number): void => {
    for (; i < end; i++) {
      const item = q[i] as EventItem;
      events.push(item.event);
      bytes += item.bytes;
      revision = Math.max(revision, item.revision);
    }
  };
  while (i < q.length) {
    const first = q[i] as QueueItem;
    if (first.kind !== 'event') break;
    // The revision group [i, j).
    const modRevision = first.event.kv.modRevision;
    let j = i;
    let groupBytes = 0;
    for (; j < q.length; j++) {
      const item = q[j] as QueueItem;
      if (item.kind !== 'event' || item.event.kv.modRevision !== modRevision) break;
      groupBytes += item.bytes;
    }
    if (bytes + groupBytes <= budget) {
      takeUpTo(j);
      continue;
    }
    if (events.length > 0) break; // send the whole revisions collected so far
    // One revision alone does not fit in the budget.
    const max = limits.maxUnsplitBytes;
    if (!fragment && groupBytes <= max) {
      takeUpTo(j);
      break;
    }
    if (!fragment || first.bytes > max) {
      return { tooLarge: tooLargeError(modRevision, fragment, Math.max(budget, max)) };
    }
    // As many of its events as fit, at least one.
    do takeUpTo(i + 1);
    while (i < j && bytes + (q[i] as EventItem).bytes <= budget);
    return { taken: i, events, fragment: i < j, revision, bytes };
  }
  return { taken: i, events, fragment: false, revision, bytes };
}

function tooLargeError(revision: number, fragment: boolean, limit: number): ErrorBody {
  return {
    code: ErrorCode.ResponseTooLarge,
    message: fragment
      ? `an event of revision ${revision} does not fit in a frame`
      : `revision ${revision} does not fit in a frame; create the watch with fragment`,
    details: { limit },
  };
}
