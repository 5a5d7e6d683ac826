/**
 * The data clients see: key-values with their revisions, and change events. Mirrors etcd's
 * `mvccpb.KeyValue` and `mvccpb.Event`.
 */

import type { EventType, KeyValue } from '../../client/protocol/types.js';
import { latin1ToBytes } from './latin1.js';

// KeyValue and EventType are the client protocol's (mvccpb.KeyValue, mvccpb.Event.EventType): the
// store hands out what the front doors send, with no copy of the type to drift. In a KeyValue,
// `createRevision` is the main revision of the put that created this generation of the key (0 in a
// delete event), `version` counts the puts since, and `lease` is 0 for none.
export type { KeyValue } from '../../client/protocol/types.js';
export { EventType } from '../../client/protocol/types.js';

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

/**
 * The KeyValue the store holds. Its key and value are latin1 strings (latin1.ts), not Uint8Arrays:
 * inside the V8 heap, with no ArrayBuffer per value, and the key string is the very one the key
 * index holds, so a key's bytes are stored once. `key` and `value` build a fresh
 * Uint8Array on each read (a native copy: what a response costs for it), so the rest of the server
 * sees the plain `KeyValue`; store code reads `keyString` / `valueString` and never materialises.
 *
 * `key` and `value` are enumerable getters and the strings private fields, so that `for…in` (and
 * deep equality in tests) sees the six fields of a plain KeyValue. A spread (`{...kv}`) does not
 * copy getters: build a new StoredKeyValue instead (range.ts keysOnly).
 */
export class StoredKeyValue implements KeyValue {
  readonly #key: string;
  readonly #value: string;

  constructor(
    key: string,
    readonly createRevision: number,
    readonly modRevision: number,
    readonly version: number,
    value: string,
    readonly lease: number,
  ) {
    this.#key = key;
    this.#value = value;
  }

  get key(): Uint8Array {
    return latin1ToBytes(this.#key);
  }

  get value(): Uint8Array {
    return latin1ToBytes(this.#value);
  }

  /** The key's binary string (key-bytes.ts), shared with the index. */
  get keyString(): string {
    return this.#key;
  }

  /** The value as a latin1 string. */
  get valueString(): string {
    return this.#value;
  }

  /** The same record without its value (a keysOnly read). */
  withoutValue(): StoredKeyValue {
    return this.#value === ''
      ? this
      : new StoredKeyValue(this.#key, this.createRevision, this.modRevision, this.version, '', this.lease);
  }
}
for (const name of ['key', 'value'] as const) {
  const desc = Object.getOwnPropertyDescriptor(StoredKeyValue.prototype, name) as PropertyDescriptor;
  Object.defineProperty(StoredKeyValue.prototype, name, { ...desc, enumerable: true });
}

/** One change as the store holds it. */
export interface StoredEvent extends MvccEvent {
  readonly kv: StoredKeyValue;
}

/** A write transaction's changes as the store holds them (a `RevisionChanges` to readers). */
export interface StoredChanges extends RevisionChanges {
  readonly events: readonly StoredEvent[];
}

/** The tombstone of `key` (a binary string) deleted at `revision`. */
export function tombstone(key: string, revision: number): StoredKeyValue {
  return new StoredKeyValue(key, 0, revision, 0, '', 0);
}

/** Fixed per-record overhead counted by the quota, beside the key and value bytes. */
export const RECORD_OVERHEAD_BYTES = 64;

/** What one history record costs against the space quota. */
export function recordSizeBytes(kv: StoredKeyValue): number {
  return kv.keyString.length + kv.valueString.length + RECORD_OVERHEAD_BYTES;
}

export function describeKeyValue(kv: KeyValue): string {
  const key = new TextDecoder().decode(kv.key);
  return `${JSON.stringify(key)} c=${kv.createRevision} m=${kv.modRevision} v=${kv.version} lease=${kv.lease} ${kv.value.length}B`;
}
