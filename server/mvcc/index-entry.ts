/**
 * What the store's key index (tree-index.ts) holds for one key: the key's lone KeyValue while it has exactly one
 * put and no tombstone — every key after a compaction, and a new key until it changes again — and
 * its KeyIndex (key-index.ts) otherwise. A KeyIndex costs ~48 bytes beside its entries, a tenth of
 * a key of 256-byte value (docs/storage.md, "Memory representation"), and most keys never need one.
 *
 * A put or delete on a lone KeyValue turns the entry into a KeyIndex; a compaction that leaves a
 * KeyIndex with one put and no tombstone turns it back. Every change goes through these functions,
 * which keep the index up to date.
 */
import { assert } from '../assert.js';
import { KeyIndex } from './key-index.js';
import { StoredKeyValue } from './kv-types.js';
import type { TreeIndex } from './tree-index.js';

export type IndexEntry = StoredKeyValue | KeyIndex;
/** The store's ordered key index (tree-index.ts); the same get/set/delete surface as a Map. */
export type KeyMap = Pick<TreeIndex<IndexEntry>, 'get' | 'set' | 'delete'>;

/** The key's binary string as the entry holds it (shared by all its KeyValues). */
export function entryKey(e: IndexEntry): string {
  return e instanceof StoredKeyValue ? e.keyString : e.key;
}

/** The KeyValue visible at `rev`, or undefined when the key does not exist there. */
export function entryAt(e: IndexEntry | undefined, rev: number): StoredKeyValue | undefined {
  if (e === undefined) return undefined;
  if (e instanceof StoredKeyValue) return e.modRevision <= rev ? e : undefined;
  return e.at(rev);
}

/** The live KeyValue at the newest revision, or undefined when the key is deleted or unknown. */
export function entryLatest(e: IndexEntry | undefined): StoredKeyValue | undefined {
  if (e === undefined) return undefined;
  return e instanceof StoredKeyValue ? e : e.latest();
}

/** The entry of `key` as a KeyIndex, made from a lone KeyValue if needed. */
function indexOf(index: KeyMap, key: string, e: IndexEntry): KeyIndex {
  if (!(e instanceof StoredKeyValue)) return e;
  const ki = new KeyIndex(e.keyString);
  ki.put(e);
  index.set(key, ki);
  return ki;
}

/** Records a put of `kv` (keyed by its `keyString`), above every revision recorded for the key. */
export function indexPut(index: KeyMap, kv: StoredKeyValue): void {
  const key = kv.keyString;
  const e = index.get(key);
  if (e === undefined) index.set(key, kv);
  else indexOf(index, key, e).put(kv);
}

/** Deletes the live `key` at `rev` (KeyIndex.tombstone). */
export function indexTombstone(index: KeyMap, key: string, rev: number): void {
  const e = index.get(key);
  assert(e !== undefined, 'index: tombstone on a missing key');
  indexOf(index, key, e).tombstone(rev);
}

/** Restores a tombstone read from a snapshot (KeyIndex.replayTombstone). */
export function indexReplayTombstone(index: KeyMap, key: string, rev: number): void {
  const e = index.get(key);
  if (e === undefined) return;
  if (e instanceof StoredKeyValue && e.modRevision >= rev) return; // nothing live for it to delete
  indexOf(index, key, e).replayTombstone(rev);
}

/**
 * Compacts `key` at `atRev` (KeyIndex.compact); returns true when nothing is left and the key left
 * the index.
 */
export function indexCompact(index: KeyMap, key: string, atRev: number): boolean {
  const e = index.get(key);
  if (e === undefined || e instanceof StoredKeyValue) return false; // a lone live put stays
  if (e.compact(atRev)) {
    index.delete(key);
    return true;
  }
  const lone = e.lone();
  if (lone !== undefined) index.set(key, lone);
  return false;
}
