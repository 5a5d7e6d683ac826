/**
 * Text ⇄ frames. `decodeClientFrame` (used by the server) and `decodeServerFrame` (used by the SDK,
 * which validates what the server sends too) take any string and return a typed frame or a
 * ProtocolError; they never throw. `encodeFrame` turns a domain frame into its JSON text.
 *
 * Envelope fields (type, id, protocol_version, limits, error details, notices) are plain JSON:
 * numbers are JSON numbers and always safe integers. Inside `params` and `result` the etcd message
 * rules apply (proto3 JSON: int64 as strings, bytes as base64), see codec-runtime.ts.
 */
import { ERROR_CODE_INFO, isErrorCode } from './error-codes.js';
import { invalid, ProtocolError, type ErrorBody, type ErrorDetails } from './errors.js';
import {
  MAX_FEATURE_LENGTH,
  MAX_FEATURES,
  type ClientFrame,
  type HelloFrame,
  type Notice,
  type ResponseFrame,
  type ServerFrame,
  type WelcomeFrame,
} from './frames.js';
import { DEFAULT_LIMITS, type ProtocolLimits } from './limits.js';
import { RESPONSE_HEADER, SNAPSHOT_RESPONSE, LEASE_KEEP_ALIVE_RESPONSE } from './messages.js';
import { isMethod, methodSpec, WATCH_STREAM_RESPONSE, type Method } from './methods.js';
import type { DescMessage } from '@bufbuild/protobuf';
import type { ProtoMessage } from './codec-runtime.js';
import { joinPath, type Codec, type DecodeContext } from './codec-runtime.js';

/** Longest client_name and auth_token accepted in a hello. */
export const MAX_CLIENT_NAME_LENGTH = 256;
export const MAX_AUTH_TOKEN_LENGTH = 8192;
const MAX_MESSAGE_LENGTH = 4096;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function get(obj: Json, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function envelopeInt(obj: Json, key: string, path: string, min: number): number {
  const raw = get(obj, key);
  const at = joinPath(path, key);
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw))
    throw invalid(at, 'must be an integer (JSON number)');
  if (raw < min) throw invalid(at, `must be at least ${min}`);
  return raw;
}

function optionalEnvelopeInt(obj: Json, key: string, path: string, min: number): number | undefined {
  const raw = get(obj, key);
  return raw === undefined || raw === null ? undefined : envelopeInt(obj, key, path, min);
}

function envelopeString(
  obj: Json,
  key: string,
  path: string,
  maxLength: number,
  required: boolean,
): string | undefined {
  const raw = get(obj, key);
  const at = joinPath(path, key);
  if (raw === undefined || raw === null) {
    if (required) throw invalid(at, 'is required');
    return undefined;
  }
  if (typeof raw !== 'string') throw invalid(at, 'must be a string');
  if (raw.length > maxLength) throw invalid(at, `is longer than ${maxLength} characters`);
  return raw;
}

/**
 * An optional list of feature names: strings, at most MAX_FEATURES read (more are ignored, as are
 * entries longer than MAX_FEATURE_LENGTH: both can only be features this code does not know).
 */
function optionalFeatures(obj: Json, key: string): string[] | undefined {
  const raw = get(obj, key);
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw invalid(key, 'must be an array of strings');
  const out: string[] = [];
  for (const f of raw.slice(0, MAX_FEATURES) as unknown[]) {
    if (typeof f !== 'string') throw invalid(key, 'must be an array of strings');
    if (f.length <= MAX_FEATURE_LENGTH) out.push(f);
  }
  return out;
}

/** Most client URLs read from a list of the leader's (a member publishes a handful). */
const MAX_LEADER_URLS = 32;

/** An optional list of the leader's client URLs (welcome, leader_changed notice). */
function optionalUrls(obj: Json, key: string): string[] | undefined {
  const raw = get(obj, key);
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || !raw.every((u) => typeof u === 'string' && u.length <= MAX_MESSAGE_LENGTH))
    throw invalid(key, `must be an array of strings of at most ${MAX_MESSAGE_LENGTH} characters`);
  return (raw as string[]).slice(0, MAX_LEADER_URLS);
}

/** The optional leader fields of a welcome or a leader_changed notice, for spreading into a frame. */
function leaderFields(obj: Json): { leaderClientUrls?: readonly string[] } {
  const urls = optionalUrls(obj, 'leader_client_urls');
  return urls === undefined ? {} : { leaderClientUrls: urls };
}

function contextOf(limits: ProtocolLimits): DecodeContext {
  return { maxTxnOps: limits.maxTxnOps, maxTxnDepth: limits.maxTxnDepth, depth: 0 };
}

function parse(text: unknown, limits: ProtocolLimits): Json {
  if (typeof text !== 'string') throw invalid('', 'a frame must be JSON text');
  // Characters never outnumber UTF-8 bytes; the transport enforces the exact byte limit.
  if (text.length > limits.maxFrameBytes) {
    throw new ProtocolError('REQUEST_TOO_LARGE', `frame is larger than ${limits.maxFrameBytes} bytes`, {
      details: { limit: limits.maxFrameBytes },
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError('INVALID_ARGUMENT', 'frame is not valid JSON', { cause });
  }
  if (!isObject(value)) throw invalid('', 'a frame must be a JSON object');
  return value;
}

function frameType(obj: Json): string {
  const type = get(obj, 'type');
  if (typeof type !== 'string') throw invalid('type', 'must be a string');
  return type;
}

/** Runs a decoder, turning every failure into a returned ProtocolError. */
function guarded<F>(decode: () => F): F | ProtocolError {
  try {
    return decode();
  } catch (e) {
    if (e instanceof ProtocolError) return e;
    return new ProtocolError('INTERNAL', `decoder failure: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
}

/** Decodes a value with a message codec: unknown in, domain value or ProtocolError out. */
export function decodeMessage<D, W>(
  codec: Codec<D, W>,
  value: unknown,
  options: { limits?: ProtocolLimits; path?: string } = {},
): D | ProtocolError {
  return guarded(() => codec.decode(value, options.path ?? '', contextOf(options.limits ?? DEFAULT_LIMITS)));
}

/**
 * Decodes a protobuf message of type `desc` (as @bufbuild/protobuf decoded it from binary) with a
 * message codec: the same validation as decodeMessage gives its JSON, domain value or
 * ProtocolError out.
 */
export function decodeProtoMessage<D, W>(
  codec: Codec<D, W>,
  message: ProtoMessage,
  desc: DescMessage,
  options: { limits?: ProtocolLimits; path?: string } = {},
): D | ProtocolError {
  return guarded(() =>
    codec.fromProto(message, desc, options.path ?? '', contextOf(options.limits ?? DEFAULT_LIMITS)),
  );
}

/** Validates a value with a message codec: unknown in, canonical wire value or ProtocolError out. */
export function decodeWireMessage<D, W>(
  codec: Codec<D, W>,
  value: unknown,
  options: { limits?: ProtocolLimits; path?: string } = {},
): W | ProtocolError {
  return guarded(() =>
    codec.decodeWire(value, options.path ?? '', contextOf(options.limits ?? DEFAULT_LIMITS)),
  );
}

/**
 * A message with every field at its proto3 default, then `fields` on top: the way to build a
 * domain request without spelling out every default, e.g. `withDefaults(RANGE_REQUEST, { key })`.
 * For plain messages only (not the oneof containers RequestOp, ResponseOp, WatchRequest).
 */
export function withDefaults<D extends object, W>(codec: Codec<D, W>, fields: Partial<D>): D {
  return { ...codec.fromWire({} as W), ...fields };
}

/**
 * The size a request counts against maxRequestBytes: the bytes of every key, value and range end
 * in it (nested txns included). Both sides compute it the same way, so the SDK can refuse an
 * oversized request before sending it.
 */
export function requestSizeBytes(params: unknown): number {
  let total = 0;
  const stack: unknown[] = [params];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value instanceof Uint8Array) total += value.length;
    else if (Array.isArray(value)) for (const item of value as unknown[]) stack.push(item);
    else if (typeof value === 'object' && value !== null)
      for (const item of Object.values(value)) stack.push(item);
  }
  return total;
}

// ---- client frames --------------------------------------------------------------------------

function decodeHello(obj: Json): HelloFrame {
  const protocolVersion = envelopeInt(obj, 'protocol_version', '', 1);
  const clientName = envelopeString(obj, 'client_name', '', MAX_CLIENT_NAME_LENGTH, false) ?? '';
  const authToken = envelopeString(obj, 'auth_token', '', MAX_AUTH_TOKEN_LENGTH, false);
  const features = optionalFeatures(obj, 'features');
  return {
    type: 'hello',
    protocolVersion,
    clientName,
    ...(authToken === undefined ? {} : { authToken }),
    ...(features === undefined ? {} : { features }),
  };
}

function decodeRequest(obj: Json, limits: ProtocolLimits): ClientFrame {
  const id = envelopeInt(obj, 'id', '', 1);
  try {
    const method = get(obj, 'method');
    if (typeof method !== 'string') throw invalid('method', 'must be a string');
    if (!isMethod(method)) {
      throw new ProtocolError('UNIMPLEMENTED', `unknown method ${JSON.stringify(method.slice(0, 64))}`, {
        field: 'method',
      });
    }
    const raw = get(obj, 'params');
    const spec = methodSpec(method);
    const params = spec.params.decode(raw ?? {}, 'params', contextOf(limits));
    const size = requestSizeBytes(params);
    if (size > limits.maxRequestBytes) {
      throw new ProtocolError(
        'REQUEST_TOO_LARGE',
        `request is ${size} bytes, more than ${limits.maxRequestBytes}`,
        {
          details: { limit: limits.maxRequestBytes },
        },
      );
    }
    if (method === 'watch.create') {
      const watchId = (params as { readonly watchId: number }).watchId;
      if (watchId !== 0 && watchId !== id) {
        throw invalid('params.watch_id', 'on the WebSocket the watch id is the request id: omit watch_id');
      }
    }
    return { type: 'request', id, method, params } as ClientFrame;
  } catch (e) {
    if (e instanceof ProtocolError) throw e.withRequestId(id);
    throw e;
  }
}

/** Decodes one text frame a client sent. Never throws. */
export function decodeClientFrame(
  text: unknown,
  limits: ProtocolLimits = DEFAULT_LIMITS,
): ClientFrame | ProtocolError {
  return guarded(() => {
    const obj = parse(text, limits);
    const type = frameType(obj);
    switch (type) {
      case 'hello':
        return decodeHello(obj);
      case 'request':
        return decodeRequest(obj, limits);
      case 'renew':
        return { type: 'renew', id: envelopeInt(obj, 'id', '', 1) };
      case 'cancel':
        return { type: 'cancel', id: envelopeInt(obj, 'id', '', 1) };
      default:
        throw invalid('type', `unknown client frame type ${JSON.stringify(type.slice(0, 64))}`);
    }
  });
}

// ---- error bodies ---------------------------------------------------------------------------

function decodeDetails(raw: unknown, path: string): ErrorDetails {
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) throw invalid(path, 'must be a JSON object');
  const out: { -readonly [K in keyof ErrorDetails]: ErrorDetails[K] } = {};
  const field = envelopeString(raw, 'field', path, MAX_MESSAGE_LENGTH, false);
  if (field !== undefined) out.field = field;
  const compactRevision = optionalEnvelopeInt(raw, 'compact_revision', path, 0);
  if (compactRevision !== undefined) out.compactRevision = compactRevision;
  const currentRevision = optionalEnvelopeInt(raw, 'current_revision', path, 0);
  if (currentRevision !== undefined) out.currentRevision = currentRevision;
  const leaderId = optionalEnvelopeInt(raw, 'leader_id', path, 0);
  if (leaderId !== undefined) out.leaderId = leaderId;
  const urls = get(raw, 'leader_client_urls');
  if (urls !== undefined && urls !== null) {
    if (!Array.isArray(urls) || !urls.every((u) => typeof u === 'string')) {
      throw invalid(joinPath(path, 'leader_client_urls'), 'must be an array of strings');
    }
    out.leaderClientUrls = urls as string[];
  }
  const retryAfterMs = optionalEnvelopeInt(raw, 'retry_after_ms', path, 0);
  if (retryAfterMs !== undefined) out.retryAfterMs = retryAfterMs;
  const limit = optionalEnvelopeInt(raw, 'limit', path, 0);
  if (limit !== undefined) out.limit = limit;
  const unknownCode = envelopeString(raw, 'unknown_code', path, MAX_MESSAGE_LENGTH, false);
  if (unknownCode !== undefined) out.unknownCode = unknownCode;
  return out;
}

/** Decodes an error body; a code this client does not know becomes INTERNAL (details.unknownCode). */
export function decodeErrorBody(raw: unknown, path: string): ErrorBody {
  if (!isObject(raw)) throw invalid(path, 'must be a JSON object');
  const code = get(raw, 'code');
  if (typeof code !== 'string') throw invalid(joinPath(path, 'code'), 'must be a string');
  const message = envelopeString(raw, 'message', path, Number.MAX_SAFE_INTEGER, false) ?? '';
  const details = decodeDetails(get(raw, 'details'), joinPath(path, 'details'));
  if (isErrorCode(code)) return { code, message, details };
  return {
    code: 'INTERNAL',
    message,
    details: { ...details, unknownCode: code.slice(0, MAX_MESSAGE_LENGTH) },
  };
}

export function errorBodyToJson(body: ErrorBody): Json {
  const d = body.details;
  const details: Json = {};
  if (d.field !== undefined) details['field'] = d.field;
  if (d.compactRevision !== undefined) details['compact_revision'] = d.compactRevision;
  if (d.currentRevision !== undefined) details['current_revision'] = d.currentRevision;
  if (d.leaderId !== undefined) details['leader_id'] = d.leaderId;
  if (d.leaderClientUrls !== undefined) details['leader_client_urls'] = d.leaderClientUrls;
  if (d.retryAfterMs !== undefined) details['retry_after_ms'] = d.retryAfterMs;
  if (d.limit !== undefined) details['limit'] = d.limit;
  if (d.unknownCode !== undefined) details['unknown_code'] = d.unknownCode;
  return Object.keys(details).length === 0
    ? { code: body.code, message: body.message }
    : { code: body.code, message: body.message, details };
}

/** Whether a client should retry after this error body (see ERROR_CODE_INFO). */
export function isRetryable(body: ErrorBody): boolean {
  return ERROR_CODE_INFO[body.code].retryable;
}

// ---- server frames --------------------------------------------------------------------------

const LIMIT_KEYS = [
  ['max_frame_bytes', 'maxFrameBytes'],
  ['max_request_bytes', 'maxRequestBytes'],
  ['max_txn_ops', 'maxTxnOps'],
  ['max_txn_depth', 'maxTxnDepth'],
  ['max_in_flight_requests', 'maxInFlightRequests'],
  ['max_watches', 'maxWatches'],
  ['max_keep_alives', 'maxKeepAlives'],
] as const satisfies readonly (readonly [string, keyof ProtocolLimits])[];

function decodeWelcome(obj: Json, limits: ProtocolLimits): WelcomeFrame {
  const protocolVersion = envelopeInt(obj, 'protocol_version', '', 1);
  const serverVersion = envelopeString(obj, 'server_version', '', MAX_MESSAGE_LENGTH, false) ?? '';
  const header = RESPONSE_HEADER.decode(get(obj, 'header'), 'header', contextOf(limits));
  const rawLimits = get(obj, 'limits');
  if (!isObject(rawLimits)) throw invalid('limits', 'must be a JSON object');
  const announced: Partial<Record<keyof ProtocolLimits, number>> = {};
  for (const [wire, domain] of LIMIT_KEYS) announced[domain] = envelopeInt(rawLimits, wire, 'limits', 1);
  const features = optionalFeatures(obj, 'features');
  const leaderId = optionalEnvelopeInt(obj, 'leader_id', '', 0);
  return {
    type: 'welcome',
    protocolVersion,
    serverVersion,
    header,
    limits: announced as ProtocolLimits,
    ...(features === undefined ? {} : { features }),
    ...(leaderId === undefined ? {} : { leaderId }),
    ...leaderFields(obj),
  };
}

function decodeResult<D, W>(codec: Codec<D, W>, raw: unknown, limits: ProtocolLimits): D {
  return codec.decode(raw, 'result', contextOf(limits));
}

function resultOrError(obj: Json): { result: unknown } | { error: ErrorBody } {
  const hasResult = get(obj, 'result') !== undefined;
  const hasError = get(obj, 'error') !== undefined;
  if (hasResult === hasError) throw invalid('', 'a response must have exactly one of result and error');
  return hasError ? { error: decodeErrorBody(get(obj, 'error'), 'error') } : { result: get(obj, 'result') };
}

function decodeResponse(
  obj: Json,
  methodOf: (id: number) => Method | undefined,
  limits: ProtocolLimits,
): ResponseFrame {
  const id = envelopeInt(obj, 'id', '', 1);
  try {
    const method = methodOf(id);
    if (method === undefined) throw invalid('id', `response to unknown request id ${id}`);
    const body = resultOrError(obj);
    if ('error' in body) return { type: 'response', id, method, error: body.error };
    const result = decodeResult(methodSpec(method).result, body.result, limits);
    if (method === 'watch.create' && (result as { readonly watchId: number }).watchId !== id) {
      throw invalid('result.watch_id', `must equal the request id ${id}`);
    }
    return { type: 'response', id, method, result } as ResponseFrame;
  } catch (e) {
    // The client must know which pending request the undecodable answer was meant for.
    if (e instanceof ProtocolError) throw e.withRequestId(id);
    throw e;
  }
}

function decodeNotice(obj: Json, limits: ProtocolLimits): Notice {
  const kind = get(obj, 'kind');
  if (kind === 'going_away') {
    const message = envelopeString(obj, 'message', '', MAX_MESSAGE_LENGTH, false) ?? '';
    const retryAfterMs = optionalEnvelopeInt(obj, 'retry_after_ms', '', 0);
    return retryAfterMs === undefined ? { kind, message } : { kind, message, retryAfterMs };
  }
  if (kind === 'leader_changed') {
    const header = decodeResult(RESPONSE_HEADER, get(obj, 'header'), limits);
    return { kind, header, leaderId: envelopeInt(obj, 'leader_id', '', 0), ...leaderFields(obj) };
  }
  throw invalid('kind', 'must be going_away or leader_changed');
}

/**
 * Decodes one text frame the server sent. `methodOf` maps the id of a pending request to its method
 * (a response does not repeat it); a response to an id it does not know is an error. Never throws.
 */
export function decodeServerFrame(
  text: unknown,
  methodOf: (id: number) => Method | undefined,
  limits: ProtocolLimits = DEFAULT_LIMITS,
): ServerFrame | ProtocolError {
  return guarded((): ServerFrame => {
    const obj = parse(text, limits);
    const type = frameType(obj);
    switch (type) {
      case 'welcome':
        return decodeWelcome(obj, limits);
      case 'response':
        return decodeResponse(obj, methodOf, limits);
      case 'watch': {
        const id = envelopeInt(obj, 'id', '', 1);
        const result = decodeResult(WATCH_STREAM_RESPONSE, get(obj, 'result'), limits);
        if (result.watchId !== id) throw invalid('result.watch_id', `must equal the frame id ${id}`);
        return { type, id, result };
      }
      case 'watch_group': {
        const raw = get(obj, 'ids');
        if (!Array.isArray(raw) || raw.length === 0) throw invalid('ids', 'must be a non-empty array');
        const ids: number[] = [];
        for (const id of raw as unknown[]) {
          if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
            throw invalid('ids', 'must hold integers (JSON numbers) of at least 1');
          ids.push(id);
        }
        const result = decodeResult(WATCH_STREAM_RESPONSE, get(obj, 'result'), limits);
        if (result.watchId !== 0) throw invalid('result.watch_id', 'must be absent in a watch_group frame');
        return { type, ids, result };
      }
      case 'keepalive': {
        const id = envelopeInt(obj, 'id', '', 1);
        const body = resultOrError(obj);
        return 'error' in body
          ? { type, id, error: body.error }
          : { type, id, result: decodeResult(LEASE_KEEP_ALIVE_RESPONSE, body.result, limits) };
      }
      case 'snapshot':
        return {
          type,
          id: envelopeInt(obj, 'id', '', 1),
          result: decodeResult(SNAPSHOT_RESPONSE, get(obj, 'result'), limits),
        };
      case 'end': {
        const id = envelopeInt(obj, 'id', '', 1);
        const error = get(obj, 'error');
        return error === undefined || error === null
          ? { type, id }
          : { type, id, error: decodeErrorBody(error, 'error') };
      }
      case 'notice':
        return { type, notice: decodeNotice(obj, limits) };
      case 'error':
        return { type, error: decodeErrorBody(get(obj, 'error'), 'error') };
      default:
        throw invalid('type', `unknown server frame type ${JSON.stringify(type.slice(0, 64))}`);
    }
  });
}

// ---- encoding -------------------------------------------------------------------------------

function encodeResponse(frame: ResponseFrame): Json {
  if ('error' in frame) return { type: 'response', id: frame.id, error: errorBodyToJson(frame.error) };
  const codec = methodSpec(frame.method).result as Codec<unknown, unknown>;
  return { type: 'response', id: frame.id, result: codec.toWire(frame.result) };
}

function encodeServer(frame: ServerFrame): Json {
  switch (frame.type) {
    case 'welcome': {
      const limits: Json = {};
      for (const [wire, domain] of LIMIT_KEYS) limits[wire] = frame.limits[domain];
      const out: Json = {
        type: 'welcome',
        protocol_version: frame.protocolVersion,
        server_version: frame.serverVersion,
        header: RESPONSE_HEADER.toWire(frame.header),
        limits,
      };
      if (frame.features !== undefined) out['features'] = frame.features;
      if (frame.leaderId !== undefined) out['leader_id'] = frame.leaderId;
      if (frame.leaderClientUrls !== undefined) out['leader_client_urls'] = frame.leaderClientUrls;
      return out;
    }
    case 'response':
      return encodeResponse(frame);
    case 'watch':
      return { type: 'watch', id: frame.id, result: WATCH_STREAM_RESPONSE.toWire(frame.result) };
    case 'watch_group':
      return {
        type: 'watch_group',
        ids: frame.ids,
        result: WATCH_STREAM_RESPONSE.toWire({ ...frame.result, watchId: 0 }),
      };
    case 'keepalive':
      return 'error' in frame
        ? { type: 'keepalive', id: frame.id, error: errorBodyToJson(frame.error) }
        : { type: 'keepalive', id: frame.id, result: LEASE_KEEP_ALIVE_RESPONSE.toWire(frame.result) };
    case 'snapshot':
      return { type: 'snapshot', id: frame.id, result: SNAPSHOT_RESPONSE.toWire(frame.result) };
    case 'end':
      return frame.error === undefined
        ? { type: 'end', id: frame.id }
        : { type: 'end', id: frame.id, error: errorBodyToJson(frame.error) };
    case 'notice': {
      const n = frame.notice;
      if (n.kind === 'going_away') {
        return n.retryAfterMs === undefined
          ? { type: 'notice', kind: n.kind, message: n.message }
          : { type: 'notice', kind: n.kind, message: n.message, retry_after_ms: n.retryAfterMs };
      }
      return {
        type: 'notice',
        kind: n.kind,
        header: RESPONSE_HEADER.toWire(n.header),
        leader_id: n.leaderId,
        ...(n.leaderClientUrls === undefined ? {} : { leader_client_urls: n.leaderClientUrls }),
      };
    }
    case 'error':
      return { type: 'error', error: errorBodyToJson(frame.error) };
  }
}

function encodeClient(frame: ClientFrame): Json {
  switch (frame.type) {
    case 'hello': {
      const out: Json = {
        type: 'hello',
        protocol_version: frame.protocolVersion,
        client_name: frame.clientName,
      };
      if (frame.authToken !== undefined) out['auth_token'] = frame.authToken;
      if (frame.features !== undefined) out['features'] = frame.features;
      return out;
    }
    case 'request': {
      const codec = methodSpec(frame.method).params as Codec<unknown, unknown>;
      return { type: 'request', id: frame.id, method: frame.method, params: codec.toWire(frame.params) };
    }
    case 'renew':
    case 'cancel':
      return { type: frame.type, id: frame.id };
  }
}

/**
 * JSON text of a frame. Encoding a value that breaks its type (a bigger-than-safe integer, an
 * unknown enum value) is a bug of the caller and throws a ProtocolError with code INTERNAL.
 */
export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  switch (frame.type) {
    case 'hello':
    case 'request':
    case 'renew':
    case 'cancel':
      return JSON.stringify(encodeClient(frame));
    default:
      return JSON.stringify(encodeServer(frame));
  }
}
