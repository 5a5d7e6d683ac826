/**
 * The binary encoding of commands, as proposed to Raft:
 *
 *   0xC7 (magic), format version (1), command tag, fields…
 *
 * Integers are unsigned varints, byte strings are length-prefixed (mvcc/byte-io.ts); optional
 * byte strings are encoded empty; booleans of one request share a flags byte. `decodeCommand`
 * takes `unknown` and returns a typed `Command` or throws `CommandDecodeError`
 * (INVALID_ARGUMENT) / `RequestTooLargeError` (REQUEST_TOO_LARGE): never anything else, whatever
 * the input. Nested txns are limited to `MAX_TXN_DEPTH` levels so hostile input cannot exhaust
 * the stack.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { unreachable } from '../assert.js';
import {
  ByteReader,
  ByteWriter,
  DecodeError,
  MVCC_DEFAULTS,
  RequestTooLargeError,
  StateMachineError,
  type Compare,
  type CompareResult,
  type CompareTarget,
  type RangeRequest,
  type RequestOp,
  type SortOrder,
  type SortTarget,
  type TxnRequest,
} from '../mvcc/index.js';
import { readAuthOp, writeAuthOp } from '../auth/codec.js';
import { ALARM_KINDS } from './alarms.js';
import type { Command } from './command.js';

export const COMMAND_MAGIC = 0xc7;
export const COMMAND_FORMAT_VERSION = 1;
export const MAX_TXN_DEPTH = 16;

export class CommandDecodeError extends StateMachineError {
  override readonly name = 'CommandDecodeError';
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, `apply: bad command: ${message}`);
  }
}

const TAGS = [
  'put',
  'deleteRange',
  'txn',
  'range',
  'compact',
  'leaseGrant',
  'leaseRevoke',
  'leaseCheckpoint',
  'alarmActivate',
  'alarmDeactivate',
  'auth',
  'authGuarded',
] as const;
const OP_TAGS = ['range', 'put', 'deleteRange', 'txn'] as const;
const SORT_ORDERS: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const SORT_TARGETS: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];
const COMPARE_TARGETS: readonly CompareTarget[] = ['value', 'version', 'create', 'mod', 'lease'];
const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'notEqual', 'less', 'greater'];
const EMPTY = new Uint8Array(0);

export function encodeCommand(c: Command): Uint8Array {
  const w = new ByteWriter(64);
  w.u8(COMMAND_MAGIC).u8(COMMAND_FORMAT_VERSION).u8(TAGS.indexOf(c.type));
  switch (c.type) {
    case 'put':
    case 'deleteRange':
    case 'txn':
    case 'range':
      writeOp(w, { type: c.type, request: c.request } as RequestOp);
      break;
    case 'compact':
      w.uint(c.revision);
      break;
    case 'leaseGrant':
      w.uint(c.id).uint(c.ttlSec);
      break;
    case 'leaseRevoke':
      w.uint(c.id);
      break;
    case 'leaseCheckpoint':
      w.uint(c.checkpoints.length);
      for (const cp of c.checkpoints) w.uint(cp.id).uint(cp.remainingTtlSec);
      break;
    case 'alarmActivate':
    case 'alarmDeactivate':
      // The alarm kind as 1 + its index in ALARM_KINDS; 0 (deactivate only): every kind.
      w.uint(c.memberId).u8(c.alarm === undefined ? 0 : 1 + ALARM_KINDS.indexOf(c.alarm));
      break;
    case 'auth':
      writeAuthOp(w, c.op);
      break;
    case 'authGuarded':
      // The guarded command follows whole (its own magic and version), as encodeCommand makes it.
      w.uint(c.authRevision).bytes(encodeCommand(c.command));
      break;
    default:
      unreachable(c);
  }
  return w.finish();
}

/** Decodes a command; `maxBytes` (default 1.5 MiB + 4 KiB of framing) bounds the input. */
export function decodeCommand(input: unknown, maxBytes = MVCC_DEFAULTS.maxRequestBytes + 4096): Command {
  if (!(input instanceof Uint8Array)) throw new CommandDecodeError('not a byte array');
  if (input.length > maxBytes) throw new RequestTooLargeError(input.length, maxBytes);
  try {
    const r = new ByteReader(input);
    if (r.u8() !== COMMAND_MAGIC) throw new CommandDecodeError('not a command (magic)');
    const version = r.u8();
    if (version !== COMMAND_FORMAT_VERSION)
      throw new CommandDecodeError(`unsupported format version ${version}`);
    const command = readCommand(r);
    r.expectEnd();
    return command;
  } catch (err) {
    if (err instanceof DecodeError) throw new CommandDecodeError(err.message);
    throw err;
  }
}

function readCommand(r: ByteReader): Command {
  const tag = TAGS[r.u8()];
  switch (tag) {
    case 'put':
    case 'deleteRange':
    case 'txn':
    case 'range': {
      const op = readOpBody(r, tag, 0);
      return op as Command;
    }
    case 'compact':
      return { type: 'compact', revision: r.uint() };
    case 'leaseGrant':
      return { type: 'leaseGrant', id: r.uint(), ttlSec: r.uint() };
    case 'leaseRevoke':
      return { type: 'leaseRevoke', id: r.uint() };
    case 'leaseCheckpoint': {
      const n = r.uint();
      const checkpoints = [];
      for (let i = 0; i < n; i++) checkpoints.push({ id: r.uint(), remainingTtlSec: r.uint() });
      return { type: 'leaseCheckpoint', checkpoints };
    }
    case 'alarmActivate': {
      const memberId = r.uint();
      const alarm = ALARM_KINDS[r.u8() - 1];
      if (alarm === undefined) throw new CommandDecodeError('unknown alarm type');
      return { type: 'alarmActivate', memberId, alarm };
    }
    case 'alarmDeactivate': {
      const memberId = r.uint();
      const kind = r.u8();
      if (kind === 0) return { type: 'alarmDeactivate', memberId };
      const alarm = ALARM_KINDS[kind - 1];
      if (alarm === undefined) throw new CommandDecodeError('unknown alarm type');
      return { type: 'alarmDeactivate', memberId, alarm };
    }
    case 'auth':
      return { type: 'auth', op: readAuthOp(r) };
    case 'authGuarded': {
      const authRevision = r.uint();
      const command = decodeCommand(r.bytes().slice());
      if (command.type === 'authGuarded') throw new CommandDecodeError('a guarded command inside another');
      return { type: 'authGuarded', authRevision, command };
    }
    case undefined:
      throw new CommandDecodeError('unknown command tag');
    default:
      return unreachable(tag);
  }
}

function writeOp(w: ByteWriter, op: RequestOp): void {
  switch (op.type) {
    case 'range':
      writeRange(w, op.request);
      return;
    case 'put': {
      const p = op.request;
      w.bytes(p.key)
        .bytes(p.value)
        .uint(p.lease ?? 0);
      w.u8(flags(p.prevKv, p.ignoreValue, p.ignoreLease));
      return;
    }
    case 'deleteRange':
      w.bytes(op.request.key)
        .bytes(op.request.rangeEnd ?? EMPTY)
        .u8(flags(op.request.prevKv));
      return;
    case 'txn':
      writeTxn(w, op.request);
      return;
    default:
      unreachable(op);
  }
}

function writeRange(w: ByteWriter, q: RangeRequest): void {
  w.bytes(q.key).bytes(q.rangeEnd ?? EMPTY);
  w.uint(q.limit ?? 0).uint(q.revision ?? 0);
  w.u8(SORT_ORDERS.indexOf(q.sortOrder ?? 'none')).u8(SORT_TARGETS.indexOf(q.sortTarget ?? 'key'));
  w.u8(flags(q.keysOnly, q.countOnly));
  w.uint(q.minModRevision ?? 0)
    .uint(q.maxModRevision ?? 0)
    .uint(q.minCreateRevision ?? 0)
    .uint(q.maxCreateRevision ?? 0);
}

function writeTxn(w: ByteWriter, t: TxnRequest): void {
  w.uint(t.compare.length);
  for (const c of t.compare) {
    w.bytes(c.key)
      .bytes(c.rangeEnd ?? EMPTY)
      .u8(COMPARE_TARGETS.indexOf(c.target))
      .u8(COMPARE_RESULTS.indexOf(c.result));
    if (c.target === 'value') w.bytes(c.value);
    else w.uint(c.value);
  }
  for (const branch of [t.success, t.failure]) {
    w.uint(branch.length);
    for (const op of branch) {
      w.u8(OP_TAGS.indexOf(op.type));
      writeOp(w, op);
    }
  }
}

function readOpBody(r: ByteReader, type: RequestOp['type'], depth: number): RequestOp {
  switch (type) {
    case 'range':
      return { type, request: readRange(r) };
    case 'put': {
      const key = r.bytes();
      const value = r.bytes();
      const lease = r.uint();
      const f = readFlags(r, 3);
      return {
        type,
        request: { key, value, lease, prevKv: bit(f, 0), ignoreValue: bit(f, 1), ignoreLease: bit(f, 2) },
      };
    }
    case 'deleteRange': {
      const key = r.bytes();
      const rangeEnd = r.bytes();
      return { type, request: { key, rangeEnd, prevKv: bit(readFlags(r, 1), 0) } };
    }
    case 'txn':
      if (depth >= MAX_TXN_DEPTH) throw new CommandDecodeError(`txn nested deeper than ${MAX_TXN_DEPTH}`);
      return { type, request: readTxn(r, depth + 1) };
    default:
      return unreachable(type);
  }
}

function readRange(r: ByteReader): RangeRequest {
  const key = r.bytes();
  const rangeEnd = r.bytes();
  const limit = r.uint();
  const revision = r.uint();
  const sortOrder = pick(SORT_ORDERS, r.u8(), 'sort order');
  const sortTarget = pick(SORT_TARGETS, r.u8(), 'sort target');
  const f = readFlags(r, 2);
  return {
    key,
    rangeEnd,
    limit,
    revision,
    sortOrder,
    sortTarget,
    keysOnly: bit(f, 0),
    countOnly: bit(f, 1),
    minModRevision: r.uint(),
    maxModRevision: r.uint(),
    minCreateRevision: r.uint(),
    maxCreateRevision: r.uint(),
  };
}

function readTxn(r: ByteReader, depth: number): TxnRequest {
  const compare: Compare[] = [];
  const nCompare = r.uint();
  for (let i = 0; i < nCompare; i++) {
    const key = r.bytes();
    const rangeEnd = r.bytes();
    const target = pick(COMPARE_TARGETS, r.u8(), 'compare target');
    const result = pick(COMPARE_RESULTS, r.u8(), 'compare result');
    compare.push(
      target === 'value'
        ? { key, rangeEnd, result, target, value: r.bytes() }
        : { key, rangeEnd, result, target, value: r.uint() },
    );
  }
  const branches: RequestOp[][] = [[], []];
  for (const branch of branches) {
    const n = r.uint();
    for (let i = 0; i < n; i++) branch.push(readOpBody(r, pick(OP_TAGS, r.u8(), 'op tag'), depth));
  }
  return { compare, success: branches[0] as RequestOp[], failure: branches[1] as RequestOp[] };
}

function flags(...bits: (boolean | undefined)[]): number {
  return bits.reduce<number>((acc, b, i) => acc | (b === true ? 1 << i : 0), 0);
}

function readFlags(r: ByteReader, n: number): number {
  const byte = r.u8();
  if (byte >> n !== 0) throw new CommandDecodeError(`unknown flag bits ${byte}`);
  return byte;
}

function bit(flagsByte: number, i: number): boolean {
  return (flagsByte & (1 << i)) !== 0;
}

function pick<T>(values: readonly T[], i: number, what: string): T {
  const v = values[i];
  if (v === undefined) throw new CommandDecodeError(`unknown ${what} ${i}`);
  return v;
}
