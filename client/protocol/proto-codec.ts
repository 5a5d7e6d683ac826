/**
 * The message codecs' second pair of converters: between domain values and protobuf messages as
 * @bufbuild/protobuf represents them (what the generated descriptors decode from and encode to
 * binary). The gRPC door uses them to go from the bytes it receives to the domain request, and
 * back, without the JSON detour (toJson → base64 → decodeWire → fromWire cost about as much CPU as
 * the rest of a put).
 *
 * Validation is the JSON decoder's, rule for rule and message for message: integer ranges, enum
 * values, required sub-messages, txn size and depth, and each message's own check (which reads a
 * sparse wire-like view: the fields set to non-default values, by proto name), so a request is
 * refused alike whichever door it came through. Bytes are copied out of the received buffer so
 * that stored keys and values never pin a transport's chunk.
 *
 * Fields are matched by proto name; a codec field the .proto lacks (Concord's own) takes its
 * default when decoding and is dropped when encoding, and a .proto field the codec lacks is
 * ignored when decoding and written at its zero value.
 */
import { ScalarType, type DescField, type DescMessage, type DescOneof } from '@bufbuild/protobuf';
import { invalid } from './errors.js';
import { defaultDomain, joinPath, type DecodeContext, type FieldSchema, type FieldType } from './schema.js';

/** A protobuf message as @bufbuild/protobuf represents it: fields by their local (camelCase) name. */
export interface ProtoMessage {
  readonly $typeName: string;
  readonly [field: string]: unknown;
}

interface OneofValue {
  readonly case: string | undefined;
  readonly value?: unknown;
}

interface PlannedField {
  readonly f: FieldSchema;
  readonly local: string;
  readonly path: string;
  readonly oneof: DescOneof | undefined;
  /** The nested message type of a message field (or list of messages). */
  readonly message: DescMessage | undefined;
  /** Whether an integer field is carried as bigint (64-bit, not `jstype = JS_STRING`). */
  readonly bigint: boolean;
  /** Whether an integer field is carried as a decimal string (`jstype = JS_STRING`). */
  readonly longString: boolean;
}

interface Plan {
  readonly fields: readonly PlannedField[];
  /** Zero values of every singular .proto field and oneof, the start of every encoded message. */
  readonly zero: Readonly<Record<string, unknown>>;
  /** The repeated and map fields, given fresh empty containers in every encoded message. */
  readonly containers: readonly { readonly local: string; readonly map: boolean }[];
}

const LONG_SCALARS: ReadonlySet<ScalarType> = new Set([
  ScalarType.INT64,
  ScalarType.UINT64,
  ScalarType.SINT64,
  ScalarType.FIXED64,
  ScalarType.SFIXED64,
]);

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const EMPTY_BYTES = new Uint8Array(0);

function scalarOf(df: DescField): ScalarType | undefined {
  if (df.fieldKind === 'scalar') return df.scalar;
  if (df.fieldKind === 'list' && df.listKind === 'scalar') return df.scalar;
  return undefined;
}

function zeroOf(df: DescField): unknown {
  switch (df.fieldKind) {
    case 'list':
    case 'map':
    case 'message':
      return undefined;
    case 'enum':
      return df.enum.values[0]?.number ?? 0;
    case 'scalar':
      switch (df.scalar) {
        case ScalarType.STRING:
          return '';
        case ScalarType.BOOL:
          return false;
        case ScalarType.BYTES:
          return EMPTY_BYTES;
        default:
          if (!LONG_SCALARS.has(df.scalar)) return 0;
          return df.longAsString ? '0' : 0n;
      }
  }
}

/** How one codec meets one message descriptor, worked out once per pair. */
export function planFor(fields: readonly FieldSchema[], desc: DescMessage): Plan {
  const planned: PlannedField[] = [];
  for (const f of fields) {
    const df = desc.fields.find((d) => d.name === f.wire);
    if (df === undefined) continue;
    const scalar = scalarOf(df);
    const long = scalar !== undefined && LONG_SCALARS.has(scalar);
    const longAsString = 'longAsString' in df && df.longAsString;
    planned.push({
      f,
      local: df.localName,
      path: f.wire,
      oneof: df.oneof,
      message:
        df.fieldKind === 'message' || (df.fieldKind === 'list' && df.listKind === 'message')
          ? df.message
          : undefined,
      bigint: long && !longAsString,
      longString: long && longAsString,
    });
  }
  const zero: Record<string, unknown> = {};
  const containers: { local: string; map: boolean }[] = [];
  for (const df of desc.fields) {
    if (df.oneof !== undefined) continue;
    if (df.fieldKind === 'list' || df.fieldKind === 'map')
      containers.push({ local: df.localName, map: df.fieldKind === 'map' });
    else zero[df.localName] = zeroOf(df);
  }
  for (const o of desc.oneofs) zero[o.localName] = { case: undefined };
  return { fields: planned, zero, containers };
}

function intFromProto(raw: unknown, min: number, path: string): number {
  let n: number;
  if (typeof raw === 'bigint') {
    if (raw > MAX_SAFE_BIG || raw < -MAX_SAFE_BIG)
      throw invalid(path, 'is beyond ±(2^53-1), the integer range Concord accepts');
    n = Number(raw);
  } else if (typeof raw === 'number') {
    n = raw;
  } else if (typeof raw === 'string') {
    const big = BigInt(raw);
    if (big > MAX_SAFE_BIG || big < -MAX_SAFE_BIG)
      throw invalid(path, 'is beyond ±(2^53-1), the integer range Concord accepts');
    n = Number(big);
  } else {
    throw invalid(path, 'must be an integer');
  }
  if (n < min) throw invalid(path, `must be at least ${min}`);
  return n;
}

function scalarFromProto(
  p: PlannedField,
  type: FieldType,
  raw: unknown,
  path: string,
  ctx: DecodeContext,
): unknown {
  switch (type.kind) {
    case 'bytes':
      // A copy: the received view may be a window on a larger transport buffer.
      return raw instanceof Uint8Array ? new Uint8Array(raw) : new Uint8Array(0);
    case 'int':
      return intFromProto(raw, type.min, path);
    case 'uint32':
      return intFromProto(raw, 0, path);
    case 'bool':
    case 'string':
      return raw;
    case 'enum': {
      const i = raw as number;
      if (Number.isInteger(i) && i >= 0 && i < type.domain.length) return type.domain[i];
      throw invalid(path, `must be one of ${type.wire.join(', ')} (or its number)`);
    }
    case 'message':
      return type.codec().fromProto(raw as ProtoMessage, p.message!, path, ctx);
  }
}

/** The wire-like value a message check sees for a set field (bytes stay bytes: checks test presence). */
function checkValue(type: FieldType, domain: unknown): unknown {
  switch (type.kind) {
    case 'int':
      return String(domain);
    case 'enum':
      return type.wire[type.domain.indexOf(domain as string)];
    default:
      return domain;
  }
}

function isDefaultDomain(type: FieldType, value: unknown): boolean {
  switch (type.kind) {
    case 'bytes':
      return (value as Uint8Array).length === 0;
    case 'string':
      return value === '';
    case 'int':
    case 'uint32':
      return value === 0;
    case 'bool':
      return value === false;
    case 'enum':
      return value === type.domain[0];
    case 'message':
      return false;
  }
}

/**
 * A received message as the domain value of the codec whose fields these are; throws the
 * ProtocolError decodeWire would throw for the same content.
 */
export function fieldsFromProto(
  plan: Plan,
  fields: readonly FieldSchema[],
  check: ((wire: never, path: string) => void) | undefined,
  message: ProtoMessage,
  path: string,
  ctx: DecodeContext,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const view: Record<string, unknown> | undefined = check === undefined ? undefined : {};
  for (const p of plan.fields) {
    const f = p.f;
    const fieldPath = joinPath(path, p.path);
    let raw: unknown;
    if (p.oneof !== undefined) {
      const o = message[p.oneof.localName] as OneofValue | undefined;
      raw = o?.case === p.local ? o.value : undefined;
    } else {
      raw = message[p.local];
    }
    let inner = ctx;
    if (f.txnNesting && raw !== undefined) {
      if (ctx.depth + 2 > ctx.maxTxnDepth)
        throw invalid(fieldPath, `txn nested deeper than ${ctx.maxTxnDepth} levels`);
      inner = { ...ctx, depth: ctx.depth + 1 };
    }
    if (f.repeated) {
      const items = (raw ?? []) as readonly unknown[];
      if (f.txnOpsLimit && items.length > ctx.maxTxnOps)
        throw invalid(fieldPath, `too many operations in txn request (${items.length} > ${ctx.maxTxnOps})`);
      const values = items.map((item, i) => scalarFromProto(p, f.type, item, `${fieldPath}[${i}]`, inner));
      out[f.domain] = values;
      if (view !== undefined && values.length > 0) view[f.wire] = values.map((v) => checkValue(f.type, v));
      continue;
    }
    if (raw === undefined) {
      if (f.presence === 'required') throw invalid(fieldPath, 'is required');
      if (f.presence === 'default') out[f.domain] = defaultDomain(f.type);
      continue;
    }
    const value = scalarFromProto(p, f.type, raw, fieldPath, inner);
    out[f.domain] = value;
    if (view !== undefined && (f.presence !== 'default' || !isDefaultDomain(f.type, value)))
      view[f.wire] = checkValue(f.type, value);
  }
  // Codec fields the .proto lacks take their defaults, as decodeWire gives them when absent.
  if (plan.fields.length !== fields.length) {
    for (const f of fields) {
      if (f.domain in out || f.presence !== 'default') continue;
      out[f.domain] = f.repeated ? [] : defaultDomain(f.type);
    }
  }
  if (check !== undefined) check(view as never, path);
  return out;
}

function scalarToProto(p: PlannedField, type: FieldType, value: unknown): unknown {
  switch (type.kind) {
    case 'int':
    case 'uint32':
      return p.bigint ? BigInt(value as number) : p.longString ? String(value) : value;
    case 'enum':
      return type.domain.indexOf(value as string);
    case 'message':
      return type.codec().toProto(value, p.message!);
    default:
      return value;
  }
}

/** A domain value as a message of `desc` (every field present, as toBinary expects). */
export function fieldsToProto(plan: Plan, domain: Record<string, unknown>, desc: DescMessage): ProtoMessage {
  const out: Record<string, unknown> = { $typeName: desc.typeName, ...plan.zero };
  for (const c of plan.containers) out[c.local] = c.map ? {} : [];
  for (const p of plan.fields) {
    const f = p.f;
    const value = domain[f.domain];
    if (f.repeated) {
      out[p.local] =
        value === undefined ? [] : (value as readonly unknown[]).map((v) => scalarToProto(p, f.type, v));
      continue;
    }
    if (value === undefined) continue;
    const converted = scalarToProto(p, f.type, value);
    if (p.oneof !== undefined) out[p.oneof.localName] = { case: p.local, value: converted };
    else out[p.local] = converted;
  }
  return out as ProtoMessage;
}
