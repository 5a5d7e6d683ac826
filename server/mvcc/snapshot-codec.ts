/**
 * The binary snapshot of an MVCC store, and the state hash, both over the same canonical content:
 *
 *   magic "CMVS", format version (u8 = 2),
 *   currentRevision, compactRevision,
 *   kept records: the key-index entries below the compaction point (at most one per key), in key
 *     order: key, createRevision, modRevision, version, value, lease;
 *   history: every revision from the compaction point (or 1) to the current one, each with its
 *     events in sub-revision order: type (0 put, 1 delete), key, and for a put createRevision,
 *     version, value, lease. Revision 1, the brand-new store's, has no events; every other has.
 *
 * Version 2 numbers revisions as etcd does (a new store at 1, its first write at 2); version 1
 * started at 0. There is no conversion: a version-1 snapshot is refused, naming both versions.
 *
 * All integers are unsigned varints (byte-io.ts). Decoding validates everything and raises
 * `SnapshotDecodeError`; rebuilding the index from these records gives a store that answers every
 * read and watch at revisions ≥ the compaction point exactly as the original.
 *
 * Both hold the *logical* state only: what physical compaction (compaction.ts) has not dropped
 * yet below the compaction point is skipped, so members that dropped more or less of it encode
 * and hash alike. A decoded store is fully compacted.
 */
import { assert } from '../assert.js';
import { ByteReader, ByteWriter, DecodeError } from './byte-io.js';
import { StateMachineError } from './errors.js';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { History } from './history.js';
import { keyToString } from './key-bytes.js';
import { KeyIndex } from './key-index.js';
import { recordSizeBytes, tombstone, type KeyValue, type MvccEvent } from './kv-types.js';
import { Hasher } from './hash.js';
import { INITIAL_REVISION } from './revision.js';
import { emptyState, type StoreState } from './store-state.js';

const MAGIC = [0x43, 0x4d, 0x56, 0x53]; // "CMVS"
export const MVCC_SNAPSHOT_VERSION = 2;

export class SnapshotDecodeError extends StateMachineError {
  override readonly name = 'SnapshotDecodeError';
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, `mvcc: bad snapshot: ${message}`);
  }
}

/**
 * The kept records below the compaction point R, in key order: of each key, the record visible at
 * R when it was written before R — exactly what a compacted key index keeps below R, read the
 * same way from a key index that physical compaction did not reach yet.
 */
function keptRecords(state: StoreState): KeyValue[] {
  const out: KeyValue[] = [];
  const rev = state.compactRevision;
  if (rev <= INITIAL_REVISION) return out; // nothing is written at or below the initial revision
  state.tree.scan('', undefined, (key) => {
    const kv = state.index.get(key)?.at(rev);
    if (kv !== undefined && kv.modRevision < rev) out.push(kv);
    return true;
  });
  return out;
}

/** The first revision of the logical history. */
function logicalFirst(state: StoreState): number {
  return Math.max(state.compactRevision, INITIAL_REVISION);
}

export function encodeStore(state: StoreState): Uint8Array {
  const w = new ByteWriter(1 << 16);
  for (const b of MAGIC) w.u8(b);
  w.u8(MVCC_SNAPSHOT_VERSION);
  w.uint(state.currentRevision).uint(state.compactRevision);
  const kept = keptRecords(state);
  w.uint(kept.length);
  for (const kv of kept)
    w.bytes(kv.key)
      .uint(kv.createRevision)
      .uint(kv.modRevision)
      .uint(kv.version)
      .bytes(kv.value)
      .uint(kv.lease);
  const first = logicalFirst(state);
  w.uint(first).uint(state.currentRevision - first + 1);
  for (let rev = first; rev <= state.currentRevision; rev++) {
    const changes = state.history.at(rev);
    assert(changes !== undefined, () => `snapshot: history misses @${rev}`);
    w.uint(changes.events.length);
    for (const e of changes.events) {
      w.u8(e.type === 'put' ? 0 : 1).bytes(e.kv.key);
      if (e.type === 'put') w.uint(e.kv.createRevision).uint(e.kv.version).bytes(e.kv.value).uint(e.kv.lease);
    }
  }
  return w.finish();
}

export function decodeStore(bytes: Uint8Array): StoreState {
  try {
    return decode(new ByteReader(bytes));
  } catch (err) {
    if (err instanceof DecodeError) throw new SnapshotDecodeError(err.message);
    throw err;
  }
}

function decode(r: ByteReader): StoreState {
  for (const b of MAGIC) if (r.u8() !== b) throw new SnapshotDecodeError('not an mvcc snapshot (magic)');
  const version = r.u8();
  if (version !== MVCC_SNAPSHOT_VERSION) {
    throw new SnapshotDecodeError(
      `format version ${version} is not supported: this build reads version ${MVCC_SNAPSHOT_VERSION} only`,
    );
  }
  const state = emptyState();
  state.currentRevision = r.uint();
  state.compactRevision = r.uint();
  if (state.currentRevision < INITIAL_REVISION)
    throw new SnapshotDecodeError(`current revision ${state.currentRevision} below ${INITIAL_REVISION}`);
  if (state.compactRevision > state.currentRevision)
    throw new SnapshotDecodeError('compaction point above the current revision');
  const keptCount = r.uint();
  let previousKey: string | undefined;
  for (let i = 0; i < keptCount; i++) {
    const keyBytes = r.bytes();
    const key = keyToString(keyBytes);
    const createRevision = r.uint();
    const modRevision = r.uint();
    const version = r.uint();
    const value = r.bytes().slice();
    const lease = r.uint();
    if (previousKey !== undefined && key <= previousKey)
      throw new SnapshotDecodeError('kept records out of key order');
    if (
      modRevision >= state.compactRevision ||
      createRevision <= INITIAL_REVISION ||
      createRevision > modRevision ||
      version < 1
    ) {
      throw new SnapshotDecodeError(`bad kept record at @${modRevision}`);
    }
    previousKey = key;
    const ki = indexFor(state, key, keyBytes);
    const kv: KeyValue = { key: ki.key, createRevision, modRevision, version, value, lease };
    ki.put(kv);
    state.keptBytes += recordSizeBytes(kv);
  }
  state.liveBytes = state.keptBytes;
  const first = r.uint();
  const count = r.uint();
  if (
    first !== Math.max(state.compactRevision, INITIAL_REVISION) ||
    first + count - 1 !== state.currentRevision
  ) {
    throw new SnapshotDecodeError(`history @${first}+${count} does not match revisions`);
  }
  state.history = first === INITIAL_REVISION ? History.initial() : new History(first);
  for (let rev = first; rev <= state.currentRevision; rev++) {
    const n = r.uint();
    if (rev === INITIAL_REVISION) {
      if (n !== 0) throw new SnapshotDecodeError(`changes in the initial revision @${rev}`);
      continue;
    }
    if (n === 0) throw new SnapshotDecodeError(`empty revision @${rev}`);
    const events: MvccEvent[] = [];
    const keys: string[] = [];
    // Most revisions change one key: only build a duplicate check for the others.
    const seen = n > 1 ? new Set<string>() : undefined;
    const bytesBefore = state.eventBytes;
    let putBytes = 0;
    for (let sub = 0; sub < n; sub++) {
      const event = decodeEvent(r, state, rev, keys, seen);
      if (event.type === 'put') putBytes += recordSizeBytes(event.kv);
      events.push(event);
    }
    // As WriteTxn.end: what a compaction to this revision would keep below it.
    state.history.append({ revision: rev, events, keys }, state.liveBytes - putBytes, bytesBefore);
  }
  r.expectEnd();
  return state;
}

function decodeEvent(
  r: ByteReader,
  state: StoreState,
  rev: number,
  keys: string[],
  seen: Set<string> | undefined,
): MvccEvent {
  const type = r.u8();
  const keyBytes = r.bytes();
  const key = keyToString(keyBytes);
  if (keyBytes.length === 0 || seen?.has(key) === true)
    throw new SnapshotDecodeError(`bad key in revision @${rev}`);
  seen?.add(key);
  keys.push(key);
  if (type === 1) {
    const ki = state.index.get(key);
    const kv = tombstone(ki?.key ?? keyBytes.slice(), rev);
    const live = ki?.latest();
    ki?.replayTombstone(rev);
    if (live !== undefined && ki?.latest() === undefined) state.liveBytes -= recordSizeBytes(live);
    state.eventBytes += recordSizeBytes(kv);
    return { type: 'delete', kv };
  }
  if (type !== 0) throw new SnapshotDecodeError(`bad event type ${type}`);
  const createRevision = r.uint();
  const version = r.uint();
  const value = r.bytes().slice();
  const lease = r.uint();
  if (createRevision <= INITIAL_REVISION || createRevision > rev || version < 1)
    throw new SnapshotDecodeError(`bad put at @${rev}`);
  const ki = indexFor(state, key, keyBytes);
  const latest = ki.latest();
  if (latest !== undefined && latest.modRevision >= rev)
    throw new SnapshotDecodeError(`put out of order at @${rev}`);
  const kv: KeyValue = { key: ki.key, createRevision, modRevision: rev, version, value, lease };
  ki.put(kv);
  state.liveBytes += recordSizeBytes(kv) - (latest === undefined ? 0 : recordSizeBytes(latest));
  state.eventBytes += recordSizeBytes(kv);
  return { type: 'put', kv };
}

function indexFor(state: StoreState, key: string, keyBytes: Uint8Array): KeyIndex {
  let ki = state.index.get(key);
  if (ki === undefined) {
    ki = new KeyIndex(keyBytes.slice());
    state.index.set(key, ki);
    state.tree.insert(key);
  }
  return ki;
}

/** The hash of the store's content up to revision `rev` (same canonical content as the snapshot). */
export function hashStore(state: StoreState, rev: number): string {
  const h = new Hasher();
  h.uint(Math.min(rev, state.currentRevision));
  h.uint(state.compactRevision);
  for (const kv of keptRecords(state)) {
    h.bytes(kv.key);
    h.uint(kv.createRevision);
    h.uint(kv.modRevision);
    h.uint(kv.version);
    h.bytes(kv.value);
    h.uint(kv.lease);
  }
  for (let r = logicalFirst(state); r <= Math.min(rev, state.currentRevision); r++) {
    for (const e of state.history.at(r)?.events ?? []) {
      h.byte(e.type === 'put' ? 0 : 1);
      h.bytes(e.kv.key);
      h.uint(e.kv.modRevision);
      if (e.type === 'put') {
        h.uint(e.kv.createRevision);
        h.uint(e.kv.version);
        h.bytes(e.kv.value);
        h.uint(e.kv.lease);
      }
    }
  }
  return h.digest();
}
