/**
 * One watcher: what it watches, where it stands, and its bounded buffer of responses.
 *
 * Where it stands depends on its group (watchable-store.ts): a synced watcher has been sent (or
 * filtered out) everything up to the store's current revision; an unsynced one everything below
 * `minRevision`; a victim everything below its held `victimBatch`.
 *
 * The buffer is bounded in events (`maxBufferedEvents`); a batch always fits into an empty buffer,
 * so one oversized transaction cannot wedge a watcher.
 */
import { rangeContains, type KeyRange } from '../mvcc/index.js';
import type { WatchEvent, WatchResponse } from './watch-types.js';

export type WatcherGroupName = 'synced' | 'unsynced' | 'victim' | 'canceled';

export interface VictimBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

export class Watcher {
  group: WatcherGroupName = 'unsynced';
  /** Next revision to send; meaningful while unsynced. */
  minRevision: number;
  victimBatch: VictimBatch | undefined;
  /** When a response was last queued (for idle progress notifications). */
  lastSentMs = 0;
  progressRequested = false;
  private readonly buffer: WatchResponse[] = [];
  private events = 0;

  constructor(
    readonly id: number,
    readonly range: KeyRange,
    startRevision: number,
    readonly prevKv: boolean,
    readonly noPut: boolean,
    readonly noDelete: boolean,
    readonly progressNotify: boolean,
    private readonly maxBufferedEvents: number,
    private readonly maxEventsPerResponse: number,
  ) {
    this.minRevision = startRevision;
  }

  matches(key: string): boolean {
    return rangeContains(this.range, key);
  }

  accepts(type: 'put' | 'delete'): boolean {
    return type === 'put' ? !this.noPut : !this.noDelete;
  }

  get bufferedEvents(): number {
    return this.events;
  }

  get hasResponses(): boolean {
    return this.buffer.length > 0;
  }

  /** Whether `n` more events fit (always true for an empty buffer). */
  hasRoomFor(n: number): boolean {
    return this.buffer.length === 0 || this.events + n <= this.maxBufferedEvents;
  }

  /**
   * Queues the events of revision `revision` (all of them, even beyond the per-response cap: one
   * transaction is never split), merging into the last queued events response when it has room.
   */
  pushEvents(revision: number, events: readonly WatchEvent[], nowMs: number): void {
    const last = this.buffer[this.buffer.length - 1];
    if (
      last !== undefined &&
      last.type === 'events' &&
      last.events.length + events.length <= this.maxEventsPerResponse
    ) {
      this.buffer[this.buffer.length - 1] = { ...last, revision, events: [...last.events, ...events] };
    } else {
      this.buffer.push({ type: 'events', watchId: this.id, revision, events });
    }
    this.events += events.length;
    this.lastSentMs = nowMs;
  }

  push(response: WatchResponse, nowMs: number): void {
    this.buffer.push(response);
    this.lastSentMs = nowMs;
  }

  /** Removes and returns up to `max` queued responses. */
  take(max: number): WatchResponse[] {
    const out = this.buffer.splice(0, max);
    for (const r of out) if (r.type === 'events') this.events -= r.events.length;
    return out;
  }
}
