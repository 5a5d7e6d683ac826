/**
 * What watchers ask for and what they receive: plain data, a discriminated union on `type`.
 */
import type { ErrorCode } from '../../client/protocol/error-codes.js';
import { unreachable } from '../assert.js';
import type { KeyValue, RevisionChanges } from '../mvcc/index.js';

export interface WatchRequest {
  readonly key: Uint8Array;
  /** As a range read: empty for one key, "\0" for every key ≥ key, else `[key, rangeEnd)`. */
  readonly rangeEnd?: Uint8Array;
  /** First revision to deliver (0 or absent: the next one). Below the compaction point: COMPACTED. */
  readonly startRevision?: number;
  /** Attach each key's previous value to its events (when not compacted away). */
  readonly prevKv?: boolean;
  readonly noPut?: boolean;
  readonly noDelete?: boolean;
  /** Send a progress notification when the watcher has been idle for the progress interval. */
  readonly progressNotify?: boolean;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/**
 * Responses of one watcher, in order. `revision` is always a revision up to which the watcher has
 * been sent every matching event: a client may resume from `revision + 1`.
 */
export type WatchResponse =
  | { readonly type: 'created'; readonly watchId: number; readonly revision: number }
  | {
      readonly type: 'events';
      readonly watchId: number;
      readonly revision: number;
      readonly events: readonly WatchEvent[];
    }
  | { readonly type: 'progress'; readonly watchId: number; readonly revision: number }
  | {
      readonly type: 'canceled';
      readonly watchId: number;
      readonly revision: number;
      readonly code: ErrorCode;
      readonly reason: string;
      /** Set when the watcher needed history below the compaction point. */
      readonly compactRevision?: number;
    };

/** What the watchable store needs from the MVCC store (it is an `MvccStore`). */
export interface WatchSource {
  readonly currentRevision: number;
  readonly compactRevision: number;
  changesAt(revision: number): RevisionChanges | undefined;
  /** A key's KeyValue at a revision (undefined when absent or compacted). */
  getAt(key: string, revision: number): KeyValue | undefined;
  subscribe(listener: (changes: RevisionChanges) => void): () => void;
}

/** Optional push side: told (synchronously) when a watcher has responses to take. */
export interface WatchSink {
  pending(watchId: number): void;
}

export function describeWatchResponse(r: WatchResponse): string {
  switch (r.type) {
    case 'created':
      return `watch ${r.watchId} created @${r.revision}`;
    case 'events':
      return `watch ${r.watchId} @${r.revision} ${r.events.map((e) => `${e.type}@${e.kv.modRevision}`).join(' ')}`;
    case 'progress':
      return `watch ${r.watchId} progress @${r.revision}`;
    case 'canceled':
      return `watch ${r.watchId} canceled @${r.revision} ${r.code}${r.compactRevision !== undefined ? ` compact=${r.compactRevision}` : ''}`;
    default:
      return unreachable(r);
  }
}
