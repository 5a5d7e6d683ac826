/**
 * What the simulated clients saw, recorded for the checkers (test/sim/checkers/history-*, watch-*,
 * lease-*). Everything is plain data with keys and values decoded to strings, so a checker's unit
 * test can write a history by hand and a failing seed can print it.
 *
 * Revisions are store revisions as the members report them; times are virtual milliseconds.
 */
import type { Operation } from '../../check/history.js';

/** A key as a read or a watch event showed it. */
export interface SeenKv {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly createRevision: number;
  readonly version: number;
  /** 0 for none. */
  readonly lease: number;
}

/** One change a write made at its revision. */
export type Mutation =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly lease: number }
  | { readonly type: 'delete'; readonly key: string };

/** A write the cluster acknowledged: its changes all happened at `revision`. */
export interface AckedWrite {
  readonly revision: number;
  readonly client: number;
  readonly member: number;
  readonly atMs: number;
  readonly mutations: readonly Mutation[];
}

/**
 * A read: the state of `[key, rangeEnd)` (or of `key` alone when rangeEnd is '') at `revision`
 * (the header revision, or the requested one for a read of the past) was exactly `kvs`.
 */
export interface ReadRecord {
  readonly client: number;
  readonly member: number;
  readonly atMs: number;
  readonly kind: 'linearizable' | 'serializable' | 'txn-failure' | 'past';
  readonly key: string;
  readonly rangeEnd: string;
  readonly revision: number;
  readonly kvs: readonly SeenKv[];
}

export interface SeenEvent {
  readonly type: 'put' | 'delete';
  readonly kv: SeenKv;
}

/** How a watch ended, as its client saw it. */
export type WatchEnd =
  /** Canceled by the member because its history was compacted past it (COMPACTED). */
  | { readonly kind: 'compacted'; readonly compactRevision: number; readonly atMs: number }
  /** The create was refused: the start revision is compacted. */
  | { readonly kind: 'refused-compacted'; readonly compactRevision: number; readonly atMs: number }
  /** Its member crashed, restarted or ended it with another error: the client resumed elsewhere. */
  | { readonly kind: 'lost'; readonly reason: string; readonly atMs: number }
  /** The client canceled it. */
  | { readonly kind: 'canceled'; readonly atMs: number };

export interface WatchRecord {
  readonly id: number;
  readonly client: number;
  readonly member: number;
  readonly key: string;
  /** '' for the key alone. */
  readonly rangeEnd: string;
  readonly startRevision: number;
  /** The watch this one resumes (the way an SDK re-creates a watch), if any. */
  readonly resumes?: number;
  /** Events in delivery order. */
  readonly events: SeenEvent[];
  /** Every event with mod revision ≤ this was delivered (the highest batch revision; start−1 before). */
  reached: number;
  end?: WatchEnd;
}

/** A lease known to be gone (revoked or expired) at store revision `revision`. */
export interface LeaseGone {
  readonly lease: number;
  readonly revision: number;
  readonly how: 'revoke' | 'time-to-live';
  readonly member: number;
  readonly atMs: number;
}

/** A compaction a client asked for at `revision` (whether it was applied, the client may not know). */
export interface CompactionRequest {
  readonly revision: number;
  readonly member: number;
  readonly atMs: number;
}

export interface ClientHistory {
  /** Register operations (put, CAS, linearizable read) on the register keys, for checkLinearizable. */
  readonly registers: readonly Operation[];
  readonly writes: readonly AckedWrite[];
  readonly reads: readonly ReadRecord[];
  readonly watches: readonly WatchRecord[];
  readonly leasesGone: readonly LeaseGone[];
  /** Every compaction asked for: the only revisions a member may say it compacted at. */
  readonly compactions: readonly CompactionRequest[];
}

/** Whether `key` is in the range of a read or watch ('' rangeEnd: the key alone; '\0': every key ≥ key). */
export function inRange(key: string, start: string, rangeEnd: string): boolean {
  if (rangeEnd === '') return key === start;
  if (rangeEnd === '\u0000') return key >= start;
  return key >= start && key < rangeEnd;
}

/** The range end of a prefix (ASCII keys only, which is all the workload writes). */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

export function describeRange(key: string, rangeEnd: string): string {
  return rangeEnd === '' ? key : `[${key}, ${rangeEnd === '\u0000' ? '∞' : rangeEnd})`;
}

export function describeEvent(e: SeenEvent): string {
  return e.type === 'put'
    ? `put ${e.kv.key}=${e.kv.value}@${e.kv.modRevision}${e.kv.lease !== 0 ? ` lease ${e.kv.lease}` : ''}`
    : `delete ${e.kv.key}@${e.kv.modRevision}`;
}
