/**
 * The data clients see: key-values with their revisions, and change events. Mirrors etcd's
 * `mvccpb.KeyValue` and `mvccpb.Event`.
 */

export interface KeyValue {
  readonly key: Uint8Array;
  /** Main revision of the put that created this generation of the key (0 in a delete event). */
  readonly createRevision: number;
  /** Main revision of the last change to the key. */
  readonly modRevision: number;
  /** Number of puts since the key was (re)created: 1 after creation, reset by a delete. */
  readonly version: number;
  readonly value: Uint8Array;
  /** The lease the key is attached to, 0 for none. */
  readonly lease: number;
}

export const EventType = {
  Put: 'put',
  Delete: 'delete',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** One change. A delete's `kv` is a tombstone: the key, `modRevision`, and zeros elsewhere. */
export interface MvccEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
}

/** Every change of one write transaction, in order (the index in `events` is the sub revision). */
export interface RevisionChanges {
  readonly revision: number;
  readonly events: readonly MvccEvent[];
  /** `keys[i]` is the binary string (key-bytes.ts) of `events[i].kv.key`, so readers need not convert. */
  readonly keys: readonly string[];
}

const EMPTY = new Uint8Array(0);

export function tombstone(key: Uint8Array, revision: number): KeyValue {
  return { key, createRevision: 0, modRevision: revision, version: 0, value: EMPTY, lease: 0 };
}

/** Fixed per-record overhead counted by the quota, beside the key and value bytes. */
export const RECORD_OVERHEAD_BYTES = 64;

/** What one history record costs against the space quota. */
export function recordSizeBytes(kv: KeyValue): number {
  return kv.key.length + kv.value.length + RECORD_OVERHEAD_BYTES;
}

export function describeKeyValue(kv: KeyValue): string {
  const key = new TextDecoder().decode(kv.key);
  return `${JSON.stringify(key)} c=${kv.createRevision} m=${kv.modRevision} v=${kv.version} lease=${kv.lease} ${kv.value.length}B`;
}
