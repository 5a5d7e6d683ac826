/**
 * The binary snapshot of an MVCC store, and the state hash, both over the same canonical content:
 *
 *   magic "CMVS", format version (u8 = 3),
 *   currentRevision, compactRevision,
 *   kept records: the key-index entries below the compaction point (at most one per key), in key
 *     order: key, createRevision, modRevision, version, value, lease; ended by an empty key (keys
 *     are never empty);
 *   history: every revision from the compaction point (or 1) to the current one, each with its
 *     events in sub-revision order: type (0 put, 1 delete), key, and for a put createRevision,
 *     version, value, lease. Revision 1, the brand-new store's, has no events; every other has.
 *
 * Version 3 ends the kept records with an empty key so that the snapshot can be written as a stream
 * (`StoreSnapshotEncoder`) without counting them first; version 2, which counted them, is still
 * read. Since version 2 revisions are numbered as etcd's (a new store at 1, its first write at 2);
 * version 1 started at 0 and is refused, naming the versions read (there is no conversion).
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
import { ByteReader, concatBytes, DecodeError, SliceWriter } from './byte-io.js';
import { StateMachineError } from './errors.js';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { History } from './history.js';
import { keyToString } from './key-bytes.js';
import {
  entryAt,
  entryKey,
  entryLatest,
  indexPut,
  indexReplayTombstone,
  type IndexEntry,
} from './index-entry.js';
import {
  recordSizeBytes,
  StoredKeyValue,
  tombstone,
  type StoredEvent,
  type StoredKeyValue as KeyValue,
} from './kv-types.js';
import { Hasher } from './hash.js';
import { INITIAL_REVISION } from './revision.js';
import { emptyState, type StoreState } from './store-state.js';

const MAGIC = [0x43, 0x4d, 0x56, 0x53]; // "CMVS"
export const MVCC_SNAPSHOT_VERSION = 3;
/** Older versions this build still reads. */
const READABLE_VERSIONS: readonly number[] = [2, 3];

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
  state.index.scan('', undefined, (_key, entry) => {
    const kv = keptRecordOf(entry, rev);
    if (kv !== undefined) out.push(kv);
    return true;
  });
  return out;
}

/** The kept record of one key below the compaction point `rev` (see keptRecords). */
function keptRecordOf(entry: IndexEntry, rev: number): KeyValue | undefined {
  if (rev <= INITIAL_REVISION) return undefined;
  const kv = entryAt(entry, rev);
  return kv !== undefined && kv.modRevision < rev ? kv : undefined;
}

/** The first revision of the logical history (what a snapshot or hash covers). */
function logicalFirst(state: StoreState): number {
  return Math.max(state.compactRevision, INITIAL_REVISION);
}

/** Encodes the whole store at once (small stores, tests); large ones go through `StoreSnapshotEncoder`. */
export function encodeStore(state: StoreState): Uint8Array {
  const encoder = new StoreSnapshotEncoder(state);
  const parts: Uint8Array[] = [];
  // Each slice is overwritten by the next: copy.
  for (let part = encoder.next(); part !== undefined; part = encoder.next()) parts.push(part.slice());
  return concatBytes(parts);
}

/** Bytes one `next()` call aims to produce: bounds the time of one slice, whatever the store size. */
export const SNAPSHOT_SLICE_BYTES = 256 * 1024;

/**
 * Serialises the store as it is at construction (revision R = the current revision, compaction
 * point C), in slices of about `sliceBytes`, while later writes go on between slices.
 *
 * Why the view stays consistent without copying anything: writes after R only append (history
 * revisions above R, key-index entries above R, new keys in the index), and the encoder reads only
 * revisions ≤ R — a key's record at C (`keptRecordOf`), the history revisions C..R. The one thing
 * that would remove what it reads is a physical compaction, which the caller holds back with a pin
 * on the store (`MvccStore.pinRevision`) for as long as the encoder lives.
 *
 * Key iteration is a cursor (the last key written) resumed with one index search per slice, so keys
 * inserted meanwhile do not disturb it; a key inserted after R has no record ≤ R and is skipped.
 */
export class StoreSnapshotEncoder {
  readonly revision: number;
  readonly compactRevision: number;
  private phase: 'header' | 'kept' | 'history' | 'done' = 'header';
  /** The last key encoded (kept phase); undefined before the first. */
  private cursor: string | undefined;
  private readonly firstRevision: number;
  private nextRevision: number;
  private historyStarted = false;
  /** One buffer for every slice: a snapshot allocates (and leaves to the GC) next to nothing. */
  private readonly writer: SliceWriter;

  constructor(
    private readonly state: StoreState,
    private readonly sliceBytes = SNAPSHOT_SLICE_BYTES,
  ) {
    this.revision = state.currentRevision;
    this.compactRevision = state.compactRevision;
    this.writer = new SliceWriter(sliceBytes + 4096);
    this.firstRevision = logicalFirst(state);
    this.nextRevision = this.firstRevision;
  }

  /**
   * The next slice of the encoding, or undefined when it is complete. The slice is a view of a
   * buffer the next call overwrites: write or copy it before asking for the next one.
   */
  next(): Uint8Array | undefined {
    if (this.phase === 'done') return undefined;
    const w = this.writer;
    w.reset();
    let budget = this.sliceBytes;
    if (this.phase === 'header') {
      for (const b of MAGIC) w.u8(b);
      w.u8(MVCC_SNAPSHOT_VERSION);
      w.uint(this.revision).uint(this.compactRevision);
      this.phase = this.compactRevision === 0 ? 'history' : 'kept';
      if (this.phase === 'history') w.bytes(EMPTY);
      budget -= 16;
    }
    if (this.phase === 'kept') budget = this.encodeKept(w, budget);
    if (this.phase === 'history' && budget > 0) this.encodeHistory(w, budget);
    return w.view();
  }

  /** Kept records from the cursor on, ended by an empty key; returns the budget left. */
  private encodeKept(w: SliceWriter, budget: number): number {
    const c = this.compactRevision;
    let left = budget;
    let finished = true;
    this.state.index.scan(this.cursor ?? '', undefined, (key, entry) => {
      if (key === this.cursor) return true;
      if (left <= 0) {
        finished = false;
        return false;
      }
      this.cursor = key;
      left -= 8; // a key without a kept record still costs a lookup
      const kv = keptRecordOf(entry, c);
      if (kv !== undefined) {
        w.latin1(kv.keyString).uint(kv.createRevision).uint(kv.modRevision).uint(kv.version);
        w.latin1(kv.valueString).uint(kv.lease);
        left -= kv.keyString.length + kv.valueString.length + 24;
      }
      return true;
    });
    if (!finished) return 0;
    w.bytes(EMPTY);
    this.phase = 'history';
    return left;
  }

  private encodeHistory(w: SliceWriter, budget: number): void {
    let left = budget;
    if (!this.historyStarted) {
      w.uint(this.firstRevision).uint(this.revision - this.firstRevision + 1);
      this.historyStarted = true;
    }
    for (; this.nextRevision <= this.revision && left > 0; this.nextRevision++) {
      const rev = this.nextRevision;
      const changes = this.state.history.at(rev);
      assert(changes !== undefined, () => `snapshot: history misses @${rev}`);
      w.uint(changes.events.length);
      for (const e of changes.events) {
        const kv = e.kv;
        w.u8(e.type === 'put' ? 0 : 1).latin1(kv.keyString);
        if (e.type === 'put')
          w.uint(kv.createRevision).uint(kv.version).latin1(kv.valueString).uint(kv.lease);
        left -= kv.keyString.length + kv.valueString.length + 16;
      }
    }
    if (this.nextRevision > this.revision) this.phase = 'done';
  }
}

const EMPTY = new Uint8Array(0);

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
  const format = r.u8();
  if (!READABLE_VERSIONS.includes(format)) {
    throw new SnapshotDecodeError(
      `format version ${format} is not supported: this build reads version ${READABLE_VERSIONS.join(' or ')}`,
    );
  }
  const state = emptyState();
  state.currentRevision = r.uint();
  state.compactRevision = r.uint();
  if (state.currentRevision < INITIAL_REVISION)
    throw new SnapshotDecodeError(`current revision ${state.currentRevision} below ${INITIAL_REVISION}`);
  if (state.compactRevision > state.currentRevision)
    throw new SnapshotDecodeError('compaction point above the current revision');
  // Version 2 counts the kept records first; version 3 (written as a stream) ends them with an empty key.
  const keptCount = format === 2 ? r.uint() : Number.POSITIVE_INFINITY;
  for (let i = 0; i < keptCount; i++) {
    const key = r.latin1();
    if (key.length === 0 && format !== 2) break;
    const createRevision = r.uint();
    const modRevision = r.uint();
    const version = r.uint();
    const value = r.latin1();
    const lease = r.uint();
    if (
      modRevision >= state.compactRevision ||
      createRevision <= INITIAL_REVISION ||
      createRevision > modRevision ||
      version < 1
    ) {
      throw new SnapshotDecodeError(`bad kept record at @${modRevision}`);
    }
    const kv = new StoredKeyValue(key, createRevision, modRevision, version, value, lease);
    // The index is empty before them and the keys ascend strictly: each one goes at its end, with
    // no search (tree-index.ts builds the same leaves as inserts would).
    if (!state.index.appendPastEnd(key, kv)) throw new SnapshotDecodeError('kept records out of key order');
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
    const bytesBefore = state.eventBytes;
    if (n === 1) {
      // Most revisions change one key. Arrays of exactly one (a `[]` grown by push would reserve
      // 17 slots): a restore allocates ~1 KB of garbage less per ~3 revisions, which is GC time.
      const event = decodeEvent(r, state, rev, undefined);
      const putBytes = event.type === 'put' ? recordSizeBytes(event.kv) : 0;
      state.history.append(
        { revision: rev, events: [event], keys: [event.kv.keyString] },
        state.liveBytes - putBytes,
        bytesBefore,
      );
      continue;
    }
    const events: StoredEvent[] = [];
    const keys: string[] = [];
    const seen = new Set<string>();
    let putBytes = 0;
    for (let sub = 0; sub < n; sub++) {
      const event = decodeEvent(r, state, rev, seen);
      if (event.type === 'put') putBytes += recordSizeBytes(event.kv);
      events.push(event);
      keys.push(event.kv.keyString);
    }
    // As WriteTxn.end: what a compaction to this revision would keep below it.
    state.history.append({ revision: rev, events, keys }, state.liveBytes - putBytes, bytesBefore);
  }
  r.expectEnd();
  return state;
}

/** One event of revision `rev`; `seen`: the keys of its earlier events (none when it is the only one). */
function decodeEvent(
  r: ByteReader,
  state: StoreState,
  rev: number,
  seen: Set<string> | undefined,
): StoredEvent {
  const type = r.u8();
  const key = r.latin1();
  if (key.length === 0 || seen?.has(key) === true)
    throw new SnapshotDecodeError(`bad key in revision @${rev}`);
  seen?.add(key);
  if (type === 1) {
    const entry = state.index.get(key);
    // The index's string when the key is known: one string per key, however many events name it.
    const shared = entry === undefined ? key : entryKey(entry);
    const kv = tombstone(shared, rev);
    const live = entryLatest(entry);
    indexReplayTombstone(state.index, key, rev);
    if (live !== undefined && entryLatest(state.index.get(key)) === undefined)
      state.liveBytes -= recordSizeBytes(live);
    state.eventBytes += recordSizeBytes(kv);
    return { type: 'delete', kv };
  }
  if (type !== 0) throw new SnapshotDecodeError(`bad event type ${type}`);
  const createRevision = r.uint();
  const version = r.uint();
  const value = r.latin1();
  const lease = r.uint();
  if (createRevision <= INITIAL_REVISION || createRevision > rev || version < 1)
    throw new SnapshotDecodeError(`bad put at @${rev}`);
  const kv = decodedPut(state, key, createRevision, rev, version, value, lease);
  state.eventBytes += recordSizeBytes(kv);
  return { type: 'put', kv };
}

/**
 * Records a decoded put in the index (and in `state.liveBytes`) and returns its KeyValue. Most
 * puts of a snapshot create keys greater than every key before them (a load in key order): those
 * are appended without a search. Any other key is looked up once, and the entry found serves
 * every later step.
 */
function decodedPut(
  state: StoreState,
  key: string,
  createRevision: number,
  rev: number,
  version: number,
  value: string,
  lease: number,
): StoredKeyValue {
  const index = state.index;
  const last = index.lastKey;
  if (last === undefined || last < key) {
    const kv = new StoredKeyValue(key, createRevision, rev, version, value, lease);
    index.appendPastEnd(key, kv);
    state.liveBytes += recordSizeBytes(kv);
    return kv;
  }
  const entry = index.get(key);
  if (entry === undefined) {
    const kv = new StoredKeyValue(key, createRevision, rev, version, value, lease);
    index.set(key, kv);
    state.liveBytes += recordSizeBytes(kv);
    return kv;
  }
  const latest = entryLatest(entry);
  if (latest !== undefined && latest.modRevision >= rev)
    throw new SnapshotDecodeError(`put out of order at @${rev}`);
  // The index's string: one string per key, however many events name it.
  const kv = new StoredKeyValue(entryKey(entry), createRevision, rev, version, value, lease);
  indexPut(index, kv);
  state.liveBytes += recordSizeBytes(kv) - (latest === undefined ? 0 : recordSizeBytes(latest));
  return kv;
}

/** The hash of the store's content up to revision `rev` (same canonical content as the snapshot). */
export function hashStore(state: StoreState, rev: number): string {
  const h = new Hasher();
  h.uint(Math.min(rev, state.currentRevision));
  h.uint(state.compactRevision);
  // latin1() hashes exactly what bytes() of the same bytes did: hashes did not change with the
  // representation (test/unit/mvcc/latin1-representation.test.ts).
  for (const kv of keptRecords(state)) {
    h.latin1(kv.keyString);
    h.uint(kv.createRevision);
    h.uint(kv.modRevision);
    h.uint(kv.version);
    h.latin1(kv.valueString);
    h.uint(kv.lease);
  }
  for (let r = logicalFirst(state); r <= Math.min(rev, state.currentRevision); r++) {
    for (const e of state.history.at(r)?.events ?? []) {
      h.byte(e.type === 'put' ? 0 : 1);
      h.latin1(e.kv.keyString);
      h.uint(e.kv.modRevision);
      if (e.type === 'put') {
        h.uint(e.kv.createRevision);
        h.uint(e.kv.version);
        h.latin1(e.kv.valueString);
        h.uint(e.kv.lease);
      }
    }
  }
  return h.digest();
}
