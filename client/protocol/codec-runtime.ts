/**
 * The primitives the generated codecs (client/protocol/gen/**\/*_codec.ts, written by
 * tools/protoc-gen-concord-codecs.ts from the .proto files) are made of: one function per field
 * type and direction, so that each generated decoder is a straight line of calls and each error
 * text is written once, here.
 *
 * Input JSON is proto3 JSON, lenient where proto3 JSON is lenient (snake_case or lowerCamelCase
 * names, int64 as a decimal string or a JSON number, enums as names or numbers, `null` meaning
 * absent, unknown fields ignored, as etcd's gateway ignores them) and strict where etcd's gateway
 * is strict: bytes are padded standard base64 only (base64.ts). Canonical output JSON uses the
 * proto field names, int64 as decimal strings, enums as names, bytes as padded standard base64,
 * and omits default values, so that it matches etcd's gateway byte for byte.
 *
 * Paths name the field in errors (`success[0].request_put.key`); a decoder receives the path of
 * its message and the name of the field, and joins them only when it throws.
 */
import { base64ErrorText, decodeBase64, decodeBase64Strict, encodeBase64 } from './base64.js';
import type { DescMessage } from '@bufbuild/protobuf';
import { invalid, ProtocolError } from './errors.js';

/**
 * Canonical wire JSON: int64 travel as strings; the only JSON numbers are 32-bit integers
 * (`uint32`, e.g. HashResponse.hash), which proto3 JSON writes as numbers.
 */
export type WireValue = string | number | boolean | WireObject | readonly WireValue[];
export interface WireObject {
  readonly [key: string]: WireValue | undefined;
}

/** A protobuf message as @bufbuild/protobuf represents it: fields by their local (camelCase) name. */
export interface ProtoMessage {
  readonly $typeName: string;
  readonly [field: string]: unknown;
}

/** Limits that bound the decoder's work, plus how many txns deep the decoder is (0 at the top). */
export interface DecodeContext {
  readonly maxTxnOps: number;
  readonly maxTxnDepth: number;
  readonly depth: number;
  /** Skip the messages' request rules (checks): for values already validated once (fromWire). */
  readonly unchecked?: boolean;
}

/** The context of fromWire: a canonical value that was validated when it was decoded. */
export const TRUSTED: DecodeContext = {
  maxTxnOps: Number.MAX_SAFE_INTEGER,
  maxTxnDepth: Number.MAX_SAFE_INTEGER,
  depth: 0,
  unchecked: true,
};

/** One message's codec, generated from its .proto description. */
export interface Codec<D, W> {
  /** The proto message name, for error messages and docs. */
  readonly name: string;
  /** Validates any JSON value and returns the domain value; throws ProtocolError. */
  decode(value: unknown, path: string, ctx: DecodeContext): D;
  /** Validates any JSON value and returns the canonical wire form; throws ProtocolError. */
  decodeWire(value: unknown, path: string, ctx: DecodeContext): W;
  /** The domain value of a canonical wire value (one decodeWire gave). */
  fromWire(wire: W): D;
  /** The canonical wire form of a domain value that honours its type. */
  toWire(domain: D): W;
  /**
   * Validates a protobuf message (as @bufbuild/protobuf decoded it from binary) as decode
   * validates JSON (same rules, same errors) and returns the domain value; throws ProtocolError.
   * Bytes are copied out of the received buffer so that stored keys and values never pin a
   * transport's chunk. `desc` is the message's descriptor (the generated code knows it already).
   */
  fromProto(message: ProtoMessage, desc: DescMessage | undefined, path: string, ctx: DecodeContext): D;
  /** The domain value as a protobuf message (every field present, as toBinary expects). */
  toProto(domain: D, desc?: DescMessage): ProtoMessage;
}

/** Assembles a codec from the four generated functions of a message. */
export function codec<D, W, P>(
  name: string,
  decode: (value: unknown, path: string, ctx: DecodeContext) => D,
  toWire: (domain: D) => W,
  fromProto: (message: P, path: string, ctx: DecodeContext) => D,
  toProto: (domain: D) => P,
): Codec<D, W> {
  return {
    name,
    decode,
    decodeWire: (value, path, ctx) => toWire(decode(value, path, ctx)),
    fromWire: (wire) => decode(wire, '', TRUSTED),
    toWire,
    fromProto: (message, _desc, path, ctx) => fromProto(message as unknown as P, path, ctx),
    toProto: (domain) => toProto(domain) as unknown as ProtoMessage,
  };
}

export function joinPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** The path of a field (`name`) or of a list item (`index`) of the value at `path`. */
function at(path: string, f: string | number): string {
  return typeof f === 'number' ? `${path}[${f}]` : joinPath(path, f);
}

export const EMPTY_BYTES = new Uint8Array(0);
const INT_TEXT = /^-?[0-9]{1,20}$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const BIG_MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const BEYOND = 'is beyond ±(2^53-1), the integer range Concord accepts';

// ---- JSON in --------------------------------------------------------------------------------

export function objectIn(value: unknown, path: string, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(path, `must be a JSON object (${name})`);
  return value as Record<string, unknown>;
}

/** A field given by its proto name or its JSON name; both at once is an error, null is absent. */
export function fieldIn(o: Record<string, unknown>, wire: string, alias: string, path: string): unknown {
  const a = o[wire];
  const b = o[alias];
  const hasA = a !== undefined && a !== null;
  const hasB = b !== undefined && b !== null;
  if (hasA && hasB) throw invalid(joinPath(path, wire), `given twice (as ${wire} and ${alias})`);
  return hasA ? a : hasB ? b : undefined;
}

export function bytesIn(raw: unknown, path: string, f: string | number): Uint8Array {
  if (typeof raw !== 'string') throw invalid(at(path, f), 'must be a base64 string');
  const bytes = decodeBase64(raw);
  if (bytes !== undefined) return bytes;
  const refused = decodeBase64Strict(raw);
  throw invalid(at(path, f), base64ErrorText(refused.ok ? 0 : refused.errorOffset));
}

/** An int64 that Concord accepts: a safe integer ≥ min, as a decimal string or a JSON number. */
export function intIn(raw: unknown, path: string, f: string | number, min: number): number {
  let n: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw invalid(at(path, f), 'must be an integer');
    if (!Number.isSafeInteger(raw)) throw invalid(at(path, f), BEYOND);
    n = raw;
  } else if (typeof raw === 'string') {
    if (!INT_TEXT.test(raw)) throw invalid(at(path, f), 'must be a decimal integer');
    n = Number(raw);
    if (!Number.isSafeInteger(n)) {
      const big = BigInt(raw);
      if (big < INT64_MIN || big > UINT64_MAX) throw invalid(at(path, f), 'is not a 64-bit integer');
      throw invalid(at(path, f), BEYOND);
    }
    if (Object.is(n, -0)) n = 0;
  } else {
    throw invalid(at(path, f), 'must be an integer (a decimal string or a JSON number)');
  }
  if (n < min) throw invalid(at(path, f), `must be at least ${min}`);
  return n;
}

export function uint32In(raw: unknown, path: string, f: string | number): number {
  const n = intIn(raw, path, f, 0);
  if (n > 0xffffffff) throw invalid(at(path, f), 'is not a 32-bit unsigned integer');
  return n;
}

export function boolIn(raw: unknown, path: string, f: string | number): boolean {
  if (typeof raw !== 'boolean') throw invalid(at(path, f), 'must be true or false');
  return raw;
}

export function stringIn(raw: unknown, path: string, f: string | number): string {
  if (typeof raw !== 'string') throw invalid(at(path, f), 'must be a string');
  return raw;
}

/** An enum by name or number; `wire` lists the names in number order (proto enums from 0, dense). */
export function enumIn<T>(
  raw: unknown,
  path: string,
  f: string | number,
  wire: readonly string[],
  domain: readonly T[],
): T {
  if (typeof raw === 'string') {
    const i = wire.indexOf(raw);
    if (i >= 0) return domain[i]!;
  } else if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < wire.length) {
    return domain[raw]!;
  }
  throw invalid(at(path, f), `must be one of ${wire.join(', ')} (or its number)`);
}

export function listIn(raw: unknown, path: string, f: string): readonly unknown[] {
  if (!Array.isArray(raw)) throw invalid(joinPath(path, f), 'must be an array');
  return raw;
}

export function nullItem(path: string, i: number): never {
  throw invalid(`${path}[${i}]`, 'must not be null');
}

export function requiredField(path: string, f: string): never {
  throw invalid(joinPath(path, f), 'is required');
}

/** A list of txn operations (compare, success, failure): at most maxTxnOps. */
export function txnOps(length: number, ctx: DecodeContext, path: string, f: string): void {
  if (length > ctx.maxTxnOps)
    throw invalid(joinPath(path, f), `too many operations in txn request (${length} > ${ctx.maxTxnOps})`);
}

/**
 * The context of a nested txn. ctx.depth counts the txns nested so far (0 in the request's own
 * txn); a nested one is at level depth + 2, counting the request's txn as level 1.
 */
export function nestedTxn(ctx: DecodeContext, path: string, f: string): DecodeContext {
  if (ctx.depth + 2 > ctx.maxTxnDepth)
    throw invalid(joinPath(path, f), `txn nested deeper than ${ctx.maxTxnDepth} levels`);
  return { ...ctx, depth: ctx.depth + 1 };
}

/** The oneof rule: exactly one member set. */
export function oneMember(count: number, path: string, names: string): void {
  if (count !== 1)
    throw invalid(path, count === 0 ? `must set one of ${names}` : `must set only one of ${names}`);
}

// ---- protobuf in ----------------------------------------------------------------------------

/** A 64-bit integer as @bufbuild/protobuf decodes it (bigint), as a safe integer ≥ min. */
export function bigIn(raw: bigint, path: string, f: string | number, min: number): number {
  if (raw > BIG_MAX_SAFE || raw < -BIG_MAX_SAFE) throw invalid(at(path, f), BEYOND);
  const n = Number(raw);
  if (n < min) throw invalid(at(path, f), `must be at least ${min}`);
  return n;
}

/** A 32-bit integer, ≥ min. */
export function numberIn(raw: number, path: string, f: string | number, min: number): number {
  if (raw < min) throw invalid(at(path, f), `must be at least ${min}`);
  return raw;
}

/** Bytes copied out of the received buffer (the view may be a window on a transport's chunk). */
export function bytesCopy(raw: Uint8Array): Uint8Array {
  return raw.length === 0 ? EMPTY_BYTES : raw.slice();
}

export function enumNumberIn<T>(
  raw: number,
  path: string,
  f: string | number,
  wire: readonly string[],
  domain: readonly T[],
): T {
  if (Number.isInteger(raw) && raw >= 0 && raw < domain.length) return domain[raw]!;
  throw invalid(at(path, f), `must be one of ${wire.join(', ')} (or its number)`);
}

// ---- out (a domain value that breaks its type is a bug of the caller: INTERNAL) -------------

function broken(name: string, what: string): ProtocolError {
  return new ProtocolError('INTERNAL', `toWire: ${name} ${what}`);
}

export function intOut(value: number, name: string): string {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw broken(name, 'is not a safe integer');
  return String(value);
}

export function uint32Out(value: number, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw broken(name, 'is not a uint32');
  return value;
}

export function bytesOut(value: Uint8Array, name: string): string {
  if (!(value instanceof Uint8Array)) throw broken(name, 'is not a Uint8Array');
  return encodeBase64(value);
}

export function boolOut(value: boolean, name: string): boolean {
  if (typeof value !== 'boolean') throw broken(name, 'is not a boolean');
  return value;
}

export function stringOut(value: string, name: string): string {
  if (typeof value !== 'string') throw broken(name, 'is not a string');
  return value;
}

/** An enum's index by its domain value, for the wire name (JSON) or the number (protobuf). */
export function enumIndex(value: string, domain: readonly string[], name: string): number {
  const i = domain.indexOf(value);
  if (i < 0) throw broken(name, `has unknown value ${String(value)}`);
  return i;
}

export function listOut<T>(value: readonly T[], name: string): readonly T[] {
  if (!Array.isArray(value)) throw broken(name, 'is not an array');
  return value;
}

export function missing(name: string): never {
  throw broken(name, 'is missing');
}

export function bigOut(value: number): bigint {
  return BigInt(value);
}

/** Whether a bytes field is set (non-empty); a value that is not bytes is the caller's bug. */
export function hasBytes(value: Uint8Array, name: string): boolean {
  if (!(value instanceof Uint8Array)) throw broken(name, 'is not a Uint8Array');
  return value.length !== 0;
}

/** A type's fields made writable, for building a value field by field. */
export type Writable<T> = { -readonly [K in keyof T]: T[K] };
