/**
 * The binary peer codec: Raft messages and the frames that carry them between members.
 *
 * Every WebSocket binary message is one frame:
 *
 * ```
 * offset 0  2 bytes  magic 0x43 0x50 ("CP", Concord Peer)
 * offset 2  1 byte   version (FRAME_VERSION, currently 1)
 * offset 3  1 byte   kind (FrameKind)
 * offset 4  …        body, per kind (below); no trailing bytes allowed
 * ```
 *
 * Integers are unsigned LEB128 varints limited to 2^53-1 (terms, indexes and ids are JS numbers);
 * byte strings and UTF-8 strings are a varint length followed by the bytes; booleans are one byte,
 * 0 or 1. A message is a type tag byte, then `from`, `to`, `term`, then its own fields in the order
 * of `raft/types.ts`. The decoder validates everything and throws `PeerProtocolError`, never
 * anything else, on any input (property-tested with random and mutated bytes).
 */
import { unreachable } from '../assert.js';
import type { ConfState, Entry, EntryType, Message, MsgSnap, Snapshot } from '../raft/types.js';
import { PeerProtocolError, PeerProtocolErrorCode } from './errors.js';
import { ByteReader, ByteWriter } from './wire.js';
import { entryBytes } from '../entry-bytes.js';

export const FRAME_MAGIC_0 = 0x43;
export const FRAME_MAGIC_1 = 0x50;
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 4;

/**
 * The flags byte of MsgVote / MsgPreVote (it was a boolean `force`, so 0 and 1 keep their meaning):
 * bit 0 `force` (a leadership transfer), bit 1 `lostLeader` present — a uvarint member id follows,
 * the leader whose connection the candidate saw closed (early pre-vote, docs/raft.md). A member that
 * predates bit 1 refuses such a frame as malformed and drops that connection; the election timeout
 * still elects a leader, so a mixed-version cluster loses only the early path.
 */
export const VOTE_FLAG_FORCE = 0x01;
export const VOTE_FLAG_LOST_LEADER = 0x02;

export const FrameKind = {
  /** Acceptor → dialer, once, after accepting the handshake: who answered. */
  Hello: 1,
  /** Dialer → acceptor: a batch of Raft messages. */
  Messages: 2,
  /** Snapshot channel, sender → receiver: the MsgSnap (with empty data) and the data's total size. */
  SnapBegin: 3,
  /** Snapshot channel, sender → receiver: `data` at byte `offset` of the snapshot. */
  SnapChunk: 4,
  /** Snapshot channel, sender → receiver: all chunks sent, with the CRC-32 of all their data. */
  SnapEnd: 5,
  /** Snapshot channel, receiver → sender: the snapshot was (or was not) received and delivered. */
  SnapAck: 6,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export type Frame =
  | { readonly kind: 'hello'; readonly clusterId: string; readonly memberId: number }
  | { readonly kind: 'messages'; readonly messages: readonly Message[] }
  | {
      readonly kind: 'snapBegin';
      readonly transferId: number;
      readonly totalBytes: number;
      readonly message: MsgSnap;
    }
  | {
      readonly kind: 'snapChunk';
      readonly transferId: number;
      readonly offset: number;
      readonly data: Uint8Array;
    }
  | { readonly kind: 'snapEnd'; readonly transferId: number; readonly crc32: number }
  | { readonly kind: 'snapAck'; readonly transferId: number; readonly ok: boolean; readonly reason: string };

const MESSAGE_TAG = {
  MsgApp: 1,
  MsgAppResp: 2,
  MsgHeartbeat: 3,
  MsgHeartbeatResp: 4,
  MsgVote: 5,
  MsgPreVote: 6,
  MsgVoteResp: 7,
  MsgPreVoteResp: 8,
  MsgSnap: 9,
  MsgTimeoutNow: 10,
  MsgProp: 11,
  MsgReadIndex: 12,
  MsgReadIndexResp: 13,
  MsgTransferLeader: 14,
} as const satisfies Record<Message['type'], number>;

const ENTRY_TAG = { normal: 0, confChange: 1 } as const satisfies Record<EntryType, number>;

/** Smallest encoding of one message: tag + from + to + term. Bounds declared counts. */
const MIN_MESSAGE_BYTES = 4;
/** Smallest encoding of one entry: term + index + type + empty data. */
const MIN_ENTRY_BYTES = 4;
/** Cap for short strings (ReadIndex contexts, cluster ids, reasons). */
export const MAX_STRING_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Encoding

function writeEntry(w: ByteWriter, e: Entry): void {
  w.uvarint(e.term);
  w.uvarint(e.index);
  w.u8(ENTRY_TAG[e.type]);
  w.bytes(e.data);
}

function writeConfState(w: ByteWriter, cs: ConfState): void {
  w.uvarint(cs.voters.length);
  for (const id of cs.voters) w.uvarint(id);
  w.uvarint(cs.learners.length);
  for (const id of cs.learners) w.uvarint(id);
}

function writeSnapshot(w: ByteWriter, s: Snapshot): void {
  w.uvarint(s.metadata.index);
  w.uvarint(s.metadata.term);
  writeConfState(w, s.metadata.confState);
  w.bytes(s.data);
}

/** Appends one message's encoding (the unit `encodeMessage` returns) to `w`. */
export function writeMessage(w: ByteWriter, m: Message): void {
  w.u8(MESSAGE_TAG[m.type]);
  w.uvarint(m.from);
  w.uvarint(m.to);
  w.uvarint(m.term);
  switch (m.type) {
    case 'MsgApp':
      w.uvarint(m.index);
      w.uvarint(m.logTerm);
      w.uvarint(m.commit);
      w.uvarint(m.entries.length);
      for (const e of m.entries) writeEntry(w, e);
      return;
    case 'MsgAppResp':
      w.uvarint(m.index);
      w.bool(m.reject);
      w.uvarint(m.rejectHint);
      w.uvarint(m.logTerm);
      return;
    case 'MsgHeartbeat':
      w.uvarint(m.commit);
      w.string(m.context);
      return;
    case 'MsgHeartbeatResp':
      w.string(m.context);
      return;
    case 'MsgVote':
    case 'MsgPreVote': {
      w.uvarint(m.index);
      w.uvarint(m.logTerm);
      const lostLeader = m.lostLeader ?? 0;
      w.u8((m.force ? VOTE_FLAG_FORCE : 0) | (lostLeader !== 0 ? VOTE_FLAG_LOST_LEADER : 0));
      if (lostLeader !== 0) w.uvarint(lostLeader);
      return;
    }
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      w.bool(m.reject);
      return;
    case 'MsgSnap':
      writeSnapshot(w, m.snapshot);
      return;
    case 'MsgTimeoutNow':
      return;
    case 'MsgProp':
      w.uvarint(m.entries.length);
      for (const e of m.entries) {
        w.u8(ENTRY_TAG[e.type]);
        w.bytes(e.data);
      }
      return;
    case 'MsgReadIndex':
      w.string(m.context);
      return;
    case 'MsgReadIndexResp':
      w.uvarint(m.index);
      w.string(m.context);
      return;
    case 'MsgTransferLeader':
      w.uvarint(m.transferee);
      return;
    default:
      unreachable(m);
  }
}

/** One message, without frame header (the unit the transport queues and counts). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new ByteWriter(64 + approximateDataBytes(m));
  writeMessage(w, m);
  return w.finish();
}

function approximateDataBytes(m: Message): number {
  if (m.type === 'MsgApp' || m.type === 'MsgProp') {
    let n = 0;
    for (const e of m.entries) n += e.data.length + 16;
    return n;
  }
  if (m.type === 'MsgSnap') return m.snapshot.data.length + 64;
  return 0;
}

/** Writes a frame's header (magic, version, kind). */
export function writeFrameHeader(w: ByteWriter, kind: FrameKind): void {
  w.u8(FRAME_MAGIC_0);
  w.u8(FRAME_MAGIC_1);
  w.u8(FRAME_VERSION);
  w.u8(kind);
}

/** Bytes a Messages frame adds around its encoded messages (header + worst-case count varint). */
export const MESSAGES_FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + 8;

/** A Messages frame from messages already encoded with `encodeMessage`. */
export function encodeMessagesFrame(encoded: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const e of encoded) total += e.length;
  const w = new ByteWriter(MESSAGES_FRAME_OVERHEAD_BYTES + total);
  writeFrameHeader(w, FrameKind.Messages);
  w.uvarint(encoded.length);
  for (const e of encoded) w.raw(e);
  return w.finish();
}

export function encodeFrame(frame: Frame): Uint8Array {
  switch (frame.kind) {
    case 'messages':
      return encodeMessagesFrame(frame.messages.map(encodeMessage));
    case 'hello': {
      const w = new ByteWriter(64);
      writeFrameHeader(w, FrameKind.Hello);
      w.string(frame.clusterId);
      w.uvarint(frame.memberId);
      return w.finish();
    }
    case 'snapBegin': {
      const w = new ByteWriter(128);
      writeFrameHeader(w, FrameKind.SnapBegin);
      w.uvarint(frame.transferId);
      w.uvarint(frame.totalBytes);
      writeMessage(w, frame.message);
      return w.finish();
    }
    case 'snapChunk': {
      const w = new ByteWriter(32 + frame.data.length);
      writeFrameHeader(w, FrameKind.SnapChunk);
      w.uvarint(frame.transferId);
      w.uvarint(frame.offset);
      w.bytes(frame.data);
      return w.finish();
    }
    case 'snapEnd': {
      const w = new ByteWriter(16);
      writeFrameHeader(w, FrameKind.SnapEnd);
      w.uvarint(frame.transferId);
      w.uvarint(frame.crc32);
      return w.finish();
    }
    case 'snapAck': {
      const w = new ByteWriter(32 + frame.reason.length * 3);
      writeFrameHeader(w, FrameKind.SnapAck);
      w.uvarint(frame.transferId);
      w.bool(frame.ok);
      w.string(frame.reason);
      return w.finish();
    }
    default:
      return unreachable(frame);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

function readEntryType(r: ByteReader): EntryType {
  const tag = r.u8('entry type');
  if (tag === ENTRY_TAG.normal) return 'normal';
  if (tag === ENTRY_TAG.confChange) return 'confChange';
  throw new PeerProtocolError(PeerProtocolErrorCode.UnknownTag, `unknown entry type tag ${tag}`);
}

function readEntry(r: ByteReader): Entry {
  const term = r.uvarint('entry term');
  const index = r.uvarint('entry index');
  const type = readEntryType(r);
  const data = r.bytes('entry data', undefined, entryBytes);
  return { term, index, type, data };
}

function readIds(r: ByteReader, what: string): number[] {
  const n = r.count(what, 1);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push(r.uvarint(what));
  return ids;
}

function readSnapshot(r: ByteReader): Snapshot {
  const index = r.uvarint('snapshot index');
  const term = r.uvarint('snapshot term');
  const voters = readIds(r, 'voters');
  const learners = readIds(r, 'learners');
  const data = r.bytes('snapshot data');
  return { metadata: { index, term, confState: { voters, learners } }, data };
}

const TAG_TO_TYPE = new Map<number, Message['type']>(
  Object.entries(MESSAGE_TAG).map(([type, tag]) => [tag, type as Message['type']]),
);

function readMessage(r: ByteReader): Message {
  const tag = r.u8('message type');
  const type = TAG_TO_TYPE.get(tag);
  if (type === undefined) {
    throw new PeerProtocolError(PeerProtocolErrorCode.UnknownTag, `unknown message type tag ${tag}`);
  }
  const from = r.uvarint('from');
  const to = r.uvarint('to');
  const term = r.uvarint('term');
  switch (type) {
    case 'MsgApp': {
      const index = r.uvarint('index');
      const logTerm = r.uvarint('logTerm');
      const commit = r.uvarint('commit');
      const n = r.count('entries', MIN_ENTRY_BYTES);
      const entries: Entry[] = [];
      for (let i = 0; i < n; i++) entries.push(readEntry(r));
      return { type, from, to, term, index, logTerm, entries, commit };
    }
    case 'MsgAppResp': {
      const index = r.uvarint('index');
      const reject = r.bool('reject');
      const rejectHint = r.uvarint('rejectHint');
      const logTerm = r.uvarint('logTerm');
      return { type, from, to, term, index, reject, rejectHint, logTerm };
    }
    case 'MsgHeartbeat': {
      const commit = r.uvarint('commit');
      const context = r.string('context', MAX_STRING_BYTES);
      return { type, from, to, term, commit, context };
    }
    case 'MsgHeartbeatResp':
      return { type, from, to, term, context: r.string('context', MAX_STRING_BYTES) };
    case 'MsgVote':
    case 'MsgPreVote': {
      const index = r.uvarint('index');
      const logTerm = r.uvarint('logTerm');
      const flags = r.u8('vote flags');
      if ((flags & ~(VOTE_FLAG_FORCE | VOTE_FLAG_LOST_LEADER)) !== 0)
        throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `vote flags: unknown bits ${flags}`);
      const force = (flags & VOTE_FLAG_FORCE) !== 0;
      if ((flags & VOTE_FLAG_LOST_LEADER) === 0) return { type, from, to, term, index, logTerm, force };
      const lostLeader = r.uvarint('lostLeader');
      if (lostLeader === 0)
        throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, 'lostLeader: flagged but 0');
      return { type, from, to, term, index, logTerm, force, lostLeader };
    }
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return { type, from, to, term, reject: r.bool('reject') };
    case 'MsgSnap':
      return { type, from, to, term, snapshot: readSnapshot(r) };
    case 'MsgTimeoutNow':
      return { type, from, to, term };
    case 'MsgProp': {
      const n = r.count('entries', 2);
      const entries: Pick<Entry, 'type' | 'data'>[] = [];
      for (let i = 0; i < n; i++) {
        const etype = readEntryType(r);
        entries.push({ type: etype, data: r.bytes('entry data', undefined, entryBytes) });
      }
      return { type, from, to, term, entries };
    }
    case 'MsgReadIndex':
      return { type, from, to, term, context: r.string('context', MAX_STRING_BYTES) };
    case 'MsgReadIndexResp': {
      const index = r.uvarint('index');
      const context = r.string('context', MAX_STRING_BYTES);
      return { type, from, to, term, index, context };
    }
    case 'MsgTransferLeader':
      return { type, from, to, term, transferee: r.uvarint('transferee') };
    default:
      return unreachable(type);
  }
}

/** Decodes one message encoded by `encodeMessage` (no frame header). */
export function decodeMessage(bytes: Uint8Array): Message {
  const r = new ByteReader(bytes);
  const m = readMessage(r);
  r.end();
  return m;
}

/**
 * Decodes one frame. Throws `PeerProtocolError` (and nothing else) for anything malformed:
 * oversized, truncated, unknown version/kind/tag, out-of-domain values or trailing bytes.
 */
export function decodeFrame(bytes: Uint8Array, maxFrameBytes: number): Frame {
  if (bytes.length > maxFrameBytes) {
    throw new PeerProtocolError(
      PeerProtocolErrorCode.TooLarge,
      `frame of ${bytes.length} bytes exceeds maxFrameBytes ${maxFrameBytes}`,
    );
  }
  const r = new ByteReader(bytes);
  const m0 = r.u8('magic');
  const m1 = r.u8('magic');
  if (m0 !== FRAME_MAGIC_0 || m1 !== FRAME_MAGIC_1) {
    throw new PeerProtocolError(PeerProtocolErrorCode.BadMagic, `bad frame magic 0x${hex(m0)}${hex(m1)}`);
  }
  const version = r.u8('version');
  if (version !== FRAME_VERSION) {
    throw new PeerProtocolError(
      PeerProtocolErrorCode.UnsupportedVersion,
      `frame version ${version} (this member speaks ${FRAME_VERSION})`,
    );
  }
  const kind = r.u8('kind');
  const frame = readBody(r, kind);
  r.end();
  return frame;
}

function readBody(r: ByteReader, kind: number): Frame {
  switch (kind) {
    case FrameKind.Hello: {
      const clusterId = r.string('clusterId', MAX_STRING_BYTES);
      const memberId = r.uvarint('memberId');
      return { kind: 'hello', clusterId, memberId };
    }
    case FrameKind.Messages: {
      const n = r.count('messages', MIN_MESSAGE_BYTES);
      const messages: Message[] = [];
      for (let i = 0; i < n; i++) messages.push(readMessage(r));
      return { kind: 'messages', messages };
    }
    case FrameKind.SnapBegin: {
      const transferId = r.uvarint('transferId');
      const totalBytes = r.uvarint('totalBytes');
      const message = readMessage(r);
      if (message.type !== 'MsgSnap') {
        throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `snapshot begin carries ${message.type}`);
      }
      return { kind: 'snapBegin', transferId, totalBytes, message };
    }
    case FrameKind.SnapChunk: {
      const transferId = r.uvarint('transferId');
      const offset = r.uvarint('offset');
      const data = r.bytesView('chunk data');
      return { kind: 'snapChunk', transferId, offset, data };
    }
    case FrameKind.SnapEnd: {
      const transferId = r.uvarint('transferId');
      return { kind: 'snapEnd', transferId, crc32: r.uvarint('crc32') };
    }
    case FrameKind.SnapAck: {
      const transferId = r.uvarint('transferId');
      const ok = r.bool('ok');
      const reason = r.string('reason', MAX_STRING_BYTES);
      return { kind: 'snapAck', transferId, ok, reason };
    }
    default:
      throw new PeerProtocolError(PeerProtocolErrorCode.UnknownTag, `unknown frame kind ${kind}`);
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
