/**
 * A small schema engine for etcd's messages in the proto3 JSON mapping, so that each message is
 * described once (field by field, in proto field order) and its validating decoder and its two
 * converters follow from that description.
 *
 * Three representations:
 * - input JSON (`unknown`): what a peer sent. Lenient where proto3 JSON is lenient: snake_case or
 *   lowerCamelCase names, int64 as a decimal string or a JSON number, enums as names or numbers,
 *   `null` meaning "absent". Unknown fields are ignored, as etcd's gateway ignores them. Bytes are
 *   strict, as etcd's gateway is: padded standard base64 only (base64.ts).
 * - wire (`W`): the canonical JSON, exactly as Concord emits it: snake_case names, int64 as decimal
 *   strings, enums as names, bytes as padded standard base64, default values omitted.
 * - domain (`D`): what code uses: Uint8Array bytes, numbers, lower-case enum values, every field
 *   present (defaults filled in) except optional sub-messages.
 *
 * `decodeWire` (input → wire) is the only step that validates; `fromWire` assumes a validated wire
 * value and `toWire` assumes a domain value that honours its type (safe integers, known enums).
 * Field order in the schema is proto field order, so canonical output matches etcd's byte for byte.
 */
import {
  base64ErrorText,
  decodeBase64,
  decodeBase64Strict,
  encodeBase64,
  isCanonicalBase64,
} from './base64.js';
import type { DescMessage } from '@bufbuild/protobuf';
import { invalid, ProtocolError } from './errors.js';
import { fieldsFromProto, fieldsToProto, planFor, type ProtoMessage } from './proto-codec.js';

/**
 * Canonical wire JSON: int64 travel as strings; the only JSON numbers are 32-bit integers
 * (`uint32`, e.g. HashResponse.hash), which proto3 JSON writes as numbers.
 */
export type WireValue = string | number | boolean | WireObject | readonly WireValue[];
export interface WireObject {
  readonly [key: string]: WireValue | undefined;
}

/** Limits that bound the decoder's work, plus how many txns deep the decoder is (0 at the top). */
export interface DecodeContext {
  readonly maxTxnOps: number;
  readonly maxTxnDepth: number;
  readonly depth: number;
}

export interface Codec<D, W> {
  /** The proto message name, for error messages and docs. */
  readonly name: string;
  /** Validates any JSON value and returns the canonical wire form; throws ProtocolError. */
  decodeWire(value: unknown, path: string, ctx: DecodeContext): W;
  fromWire(wire: W): D;
  toWire(domain: D): W;
  /**
   * Validates a protobuf message of type `desc` as decodeWire validates JSON (same rules, same
   * errors) and returns the domain value; throws ProtocolError (proto-codec.ts).
   */
  fromProto(message: ProtoMessage, desc: DescMessage, path: string, ctx: DecodeContext): D;
  /** The domain value as a protobuf message of type `desc`. */
  toProto(domain: D, desc: DescMessage): ProtoMessage;
}

export type FieldType =
  | { readonly kind: 'bytes' }
  | { readonly kind: 'int'; readonly min: number }
  | { readonly kind: 'uint32' }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  | { readonly kind: 'enum'; readonly wire: readonly string[]; readonly domain: readonly string[] }
  | { readonly kind: 'message'; readonly codec: () => Codec<unknown, unknown> };

/**
 * `default`: absent means the type's default, which is omitted on output (proto3 scalars, repeated).
 * `optional`: absent is distinct from default (sub-messages, oneof members); output when set.
 * `required`: a sub-message that must be present (headers, event kvs).
 */
export type Presence = 'default' | 'optional' | 'required';

export interface FieldSchema {
  readonly wire: string;
  /** The lowerCamelCase JSON name, when it differs from the proto name. */
  readonly alias: string | undefined;
  readonly domain: string;
  readonly type: FieldType;
  readonly repeated: boolean;
  readonly presence: Presence;
  /** A repeated field bounded by maxTxnOps (compare, success, failure). */
  readonly txnOpsLimit: boolean;
  /** A field whose message is a nested txn (request_txn, response_txn): one level deeper. */
  readonly txnNesting: boolean;
}

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const BIG_MAX_SAFE = BigInt(MAX_SAFE);
const INT_TEXT = /^-?[0-9]{1,20}$/;

export function joinPath(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

/** protoc's JSON name: underscores dropped, the letter after each one upper-cased. */
export function lowerCamel(name: string): string {
  return name.replace(/_([a-zA-Z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export function field(
  wire: string,
  domain: string,
  type: FieldType,
  options: { repeated?: boolean; presence?: Presence; txnOpsLimit?: boolean; txnNesting?: boolean } = {},
): FieldSchema {
  const camel = lowerCamel(wire);
  return {
    wire,
    alias: camel === wire ? undefined : camel,
    domain,
    type,
    repeated: options.repeated ?? false,
    presence: options.presence ?? 'default',
    txnOpsLimit: options.txnOpsLimit ?? false,
    txnNesting: options.txnNesting ?? false,
  };
}

export const T = {
  bytes: { kind: 'bytes' } as FieldType,
  int: (min: number): FieldType => ({ kind: 'int', min }),
  /** proto3 uint32: a JSON number on output; a number or a decimal string on input. */
  uint32: { kind: 'uint32' } as FieldType,
  bool: { kind: 'bool' } as FieldType,
  string: { kind: 'string' } as FieldType,
  enumOf: (wire: readonly string[], domain: readonly string[]): FieldType => ({ kind: 'enum', wire, domain }),
  message: <D, W>(codec: () => Codec<D, W>): FieldType => ({
    kind: 'message',
    codec: codec as () => Codec<unknown, unknown>,
  }),
};

/** int64 fields that may be negative (compare operands, TTLs in responses). */
export const INT_ANY: FieldType = T.int(Number.MIN_SAFE_INTEGER);
/** int64 fields that never are (revisions, counts, sizes, ids). */
export const INT_NON_NEGATIVE: FieldType = T.int(0);

/** Canonical decimal text of an int64 that Concord accepts (a safe integer ≥ min). */
export function canonicalInt(raw: unknown, path: string, min: number): string {
  let n: number;
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) throw invalid(path, 'must be an integer');
    if (!Number.isSafeInteger(raw))
      throw invalid(path, 'is beyond ±(2^53-1), the integer range Concord accepts');
    n = raw;
  } else if (typeof raw === 'string') {
    if (!INT_TEXT.test(raw)) throw invalid(path, 'must be a decimal integer');
    const big = BigInt(raw);
    if (big < INT64_MIN || big > UINT64_MAX) throw invalid(path, 'is not a 64-bit integer');
    if (big > BIG_MAX_SAFE || big < -BIG_MAX_SAFE) {
      throw invalid(path, 'is beyond ±(2^53-1), the integer range Concord accepts');
    }
    n = Number(big);
  } else {
    throw invalid(path, 'must be an integer (a decimal string or a JSON number)');
  }
  if (n < min) throw invalid(path, `must be at least ${min}`);
  return String(n);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a field by its proto name or its JSON name; both at once is an error, null is absent. */
function pick(obj: Record<string, unknown>, f: FieldSchema, path: string): unknown {
  const a = Object.hasOwn(obj, f.wire) ? obj[f.wire] : undefined;
  const b = f.alias !== undefined && Object.hasOwn(obj, f.alias) ? obj[f.alias] : undefined;
  const hasA = a !== undefined && a !== null;
  const hasB = b !== undefined && b !== null;
  if (hasA && hasB) throw invalid(joinPath(path, f.wire), `given twice (as ${f.wire} and ${f.alias ?? ''})`);
  return hasA ? a : hasB ? b : undefined;
}

function decodeScalar(type: FieldType, raw: unknown, path: string, ctx: DecodeContext): WireValue {
  switch (type.kind) {
    case 'bytes': {
      if (typeof raw !== 'string') throw invalid(path, 'must be a base64 string');
      if (isCanonicalBase64(raw)) return raw;
      const decoded = decodeBase64Strict(raw);
      if (!decoded.ok) throw invalid(path, base64ErrorText(decoded.errorOffset));
      return encodeBase64(decoded.bytes);
    }
    case 'int':
      return canonicalInt(raw, path, type.min);
    case 'uint32': {
      const n = Number(canonicalInt(raw, path, 0));
      if (n > 0xffffffff) throw invalid(path, 'is not a 32-bit unsigned integer');
      return n;
    }
    case 'bool':
      if (typeof raw !== 'boolean') throw invalid(path, 'must be true or false');
      return raw;
    case 'string':
      if (typeof raw !== 'string') throw invalid(path, 'must be a string');
      return raw;
    case 'enum': {
      if (typeof raw === 'string') {
        if (type.wire.includes(raw)) return raw;
      } else if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < type.wire.length) {
        return type.wire[raw]!;
      }
      throw invalid(path, `must be one of ${type.wire.join(', ')} (or its number)`);
    }
    case 'message':
      return type.codec().decodeWire(raw, path, ctx) as WireValue;
  }
}

function isDefaultWire(type: FieldType, value: WireValue): boolean {
  switch (type.kind) {
    case 'bytes':
    case 'string':
      return value === '';
    case 'int':
      return value === '0';
    case 'uint32':
      return value === 0;
    case 'bool':
      return value === false;
    case 'enum':
      return value === type.wire[0];
    case 'message':
      return false;
  }
}

function decodeField(f: FieldSchema, raw: unknown, path: string, ctx: DecodeContext): WireValue | undefined {
  let inner = ctx;
  if (f.txnNesting) {
    // ctx.depth counts the txns nested so far (0 in the request's own txn); a nested one is at
    // level depth + 2, counting the request's txn as level 1.
    if (ctx.depth + 2 > ctx.maxTxnDepth) {
      throw invalid(path, `txn nested deeper than ${ctx.maxTxnDepth} levels`);
    }
    inner = { ...ctx, depth: ctx.depth + 1 };
  }
  if (f.repeated) {
    if (!Array.isArray(raw)) throw invalid(path, 'must be an array');
    if (f.txnOpsLimit && raw.length > ctx.maxTxnOps) {
      throw invalid(path, `too many operations in txn request (${raw.length} > ${ctx.maxTxnOps})`);
    }
    if (raw.length === 0) return undefined;
    return raw.map((item: unknown, i) =>
      item === null && f.type.kind !== 'message'
        ? throwNull(`${path}[${i}]`)
        : decodeScalar(f.type, item, `${path}[${i}]`, inner),
    );
  }
  const value = decodeScalar(f.type, raw, path, inner);
  return f.presence === 'default' && isDefaultWire(f.type, value) ? undefined : value;
}

function throwNull(path: string): never {
  throw invalid(path, 'must not be null');
}

export function defaultDomain(type: FieldType): unknown {
  switch (type.kind) {
    case 'bytes':
      return new Uint8Array(0);
    case 'int':
    case 'uint32':
      return 0;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'enum':
      return type.domain[0];
    case 'message':
      return type.codec().fromWire({});
  }
}

function scalarFromWire(type: FieldType, value: WireValue): unknown {
  switch (type.kind) {
    case 'bytes': {
      const bytes = typeof value === 'string' ? decodeBase64(value) : undefined;
      if (bytes === undefined) throw new ProtocolError('INTERNAL', 'fromWire: bytes field is not base64');
      return bytes;
    }
    case 'int':
    case 'uint32':
      return Number(value);
    case 'bool':
    case 'string':
      return value;
    case 'enum': {
      const i = type.wire.indexOf(value as string);
      if (i < 0) throw new ProtocolError('INTERNAL', `fromWire: unknown enum value ${String(value)}`);
      return type.domain[i];
    }
    case 'message':
      return type.codec().fromWire(value);
  }
}

function scalarToWire(type: FieldType, value: unknown, name: string): WireValue {
  switch (type.kind) {
    case 'bytes':
      if (!(value instanceof Uint8Array))
        throw new ProtocolError('INTERNAL', `toWire: ${name} is not a Uint8Array`);
      return encodeBase64(value);
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        throw new ProtocolError('INTERNAL', `toWire: ${name} is not a safe integer`);
      }
      return String(value);
    case 'uint32':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new ProtocolError('INTERNAL', `toWire: ${name} is not a uint32`);
      }
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw new ProtocolError('INTERNAL', `toWire: ${name} is not a boolean`);
      return value;
    case 'string':
      if (typeof value !== 'string') throw new ProtocolError('INTERNAL', `toWire: ${name} is not a string`);
      return value;
    case 'enum': {
      const i = type.domain.indexOf(value as string);
      if (i < 0) throw new ProtocolError('INTERNAL', `toWire: ${name} has unknown value ${String(value)}`);
      return type.wire[i]!;
    }
    case 'message':
      return type.codec().toWire(value) as WireValue;
  }
}

/**
 * A codec for a plain message (no oneof). `check` runs after field validation on the wire value
 * (request-level rules such as "key is not provided").
 */
export function messageCodec<D, W>(
  name: string,
  fields: readonly FieldSchema[],
  check?: (wire: W, path: string) => void,
): Codec<D, W> {
  const plans = new WeakMap<DescMessage, ReturnType<typeof planFor>>();
  const planOf = (desc: DescMessage): ReturnType<typeof planFor> => {
    let plan = plans.get(desc);
    if (plan === undefined) {
      plan = planFor(fields, desc);
      plans.set(desc, plan);
    }
    return plan;
  };
  return {
    name,
    fromProto: (message, desc, path, ctx) =>
      fieldsFromProto(
        planOf(desc),
        fields,
        check as ((wire: never, path: string) => void) | undefined,
        message,
        path,
        ctx,
      ) as D,
    toProto: (domain, desc) => fieldsToProto(planOf(desc), domain as Record<string, unknown>, desc),
    decodeWire(value: unknown, path: string, ctx: DecodeContext): W {
      if (!isObject(value)) throw invalid(path, `must be a JSON object (${name})`);
      const out: Record<string, WireValue> = {};
      for (const f of fields) {
        const raw = pick(value, f, path);
        const fieldPath = joinPath(path, f.wire);
        if (raw === undefined) {
          if (f.presence === 'required') throw invalid(fieldPath, 'is required');
          continue;
        }
        const decoded = decodeField(f, raw, fieldPath, ctx);
        if (decoded !== undefined) out[f.wire] = decoded;
      }
      const wire = out as unknown as W;
      check?.(wire, path);
      return wire;
    },
    fromWire(wire: W): D {
      const w = wire as unknown as WireObject;
      const out: Record<string, unknown> = {};
      for (const f of fields) {
        const value = w[f.wire];
        if (f.repeated) {
          out[f.domain] = Array.isArray(value) ? value.map((v: WireValue) => scalarFromWire(f.type, v)) : [];
        } else if (value === undefined) {
          if (f.presence !== 'optional') out[f.domain] = defaultDomain(f.type);
        } else {
          out[f.domain] = scalarFromWire(f.type, value);
        }
      }
      return out as D;
    },
    toWire(domain: D): W {
      const d = domain as unknown as Record<string, unknown>;
      const out: Record<string, WireValue> = {};
      for (const f of fields) {
        const value = d[f.domain];
        if (f.repeated) {
          if (!Array.isArray(value))
            throw new ProtocolError('INTERNAL', `toWire: ${name}.${f.domain} is not an array`);
          if (value.length > 0)
            out[f.wire] = value.map((v: unknown) => scalarToWire(f.type, v, `${name}.${f.domain}`));
          continue;
        }
        if (value === undefined) {
          if (f.presence === 'optional') continue;
          throw new ProtocolError('INTERNAL', `toWire: ${name}.${f.domain} is missing`);
        }
        const wire = scalarToWire(f.type, value, `${name}.${f.domain}`);
        if (f.presence === 'default' && isDefaultWire(f.type, wire)) continue;
        out[f.wire] = wire;
      }
      return out as unknown as W;
    },
  };
}

/** Builds a codec for a oneof container: exactly one member, mapped to `{ type, [payload] }`. */
export function oneofCodec<Dom extends { readonly type: string }, Wire extends object>(
  name: string,
  payload: 'request' | 'response',
  members: readonly {
    wire: string;
    type: Dom['type'];
    codec: () => Codec<unknown, unknown>;
    nested?: boolean;
  }[],
): Codec<Dom, Wire> {
  const raw = messageCodec<Record<string, unknown>, Record<string, unknown>>(
    name,
    members.map((m) =>
      field(m.wire, m.wire, T.message(m.codec), { presence: 'optional', txnNesting: m.nested ?? false }),
    ),
    (wire, path) => {
      const set = members.filter((m) => wire[m.wire] !== undefined);
      if (set.length !== 1) {
        const names = members.map((m) => m.wire).join(', ');
        throw invalid(path, set.length === 0 ? `must set one of ${names}` : `must set only one of ${names}`);
      }
    },
  );
  const fromMembers = (r: Record<string, unknown>): Dom => {
    const member = members.find((m) => r[m.wire] !== undefined) ?? members[0]!;
    return { type: member.type, [payload]: r[member.wire] } as unknown as Dom;
  };
  const memberOf = (domain: Dom): Record<string, unknown> => {
    const member = members.find((m) => m.type === domain.type)!;
    return { [member.wire]: (domain as unknown as Record<string, unknown>)[payload] };
  };
  return {
    name,
    fromProto: (message, desc, path, ctx) => fromMembers(raw.fromProto(message, desc, path, ctx)),
    toProto: (domain, desc) => raw.toProto(memberOf(domain), desc),
    decodeWire: (value, path, ctx: DecodeContext) => raw.decodeWire(value, path, ctx) as Wire,
    fromWire(wire) {
      const w = wire as Record<string, unknown>;
      const member = members.find((m) => w[m.wire] !== undefined) ?? members[0]!;
      return { type: member.type, [payload]: member.codec().fromWire(w[member.wire]) } as unknown as Dom;
    },
    toWire(domain) {
      const member = members.find((m) => m.type === domain.type)!;
      const inner = (domain as unknown as Record<string, unknown>)[payload];
      return { [member.wire]: member.codec().toWire(inner) } as Wire;
    },
  };
}
