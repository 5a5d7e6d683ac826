/**
 * Requests as the clients send them (protocol types with the defaults filled in) and answers
 * decoded into the plain data the history records (record.ts).
 */
import type * as P from '../../../client/protocol/index.js';
import type { SeenKv } from './record.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** The stable code of a typed error (client/protocol/error-codes.ts), if it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The revision a COMPACTED error names, if the error is one. */
export function compactRevisionOf(err: unknown): number | undefined {
  return (err as { compactRevision?: number } | null)?.compactRevision;
}

export function rangeReq(key: string, rangeEnd: string, over: Partial<P.RangeRequest> = {}): P.RangeRequest {
  return {
    key: bytes(key),
    rangeEnd: bytes(rangeEnd),
    limit: 0,
    revision: 0,
    sortOrder: 'none',
    sortTarget: 'key',
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...over,
  };
}

export function putReq(key: string, value: string, lease = 0): P.PutRequest {
  return {
    key: bytes(key),
    value: bytes(value),
    lease,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  };
}

export function watchReq(key: string, rangeEnd: string, startRevision: number): P.WatchCreateRequest {
  return {
    key: bytes(key),
    rangeEnd: bytes(rangeEnd),
    startRevision,
    progressNotify: false,
    filters: [],
    prevKv: false,
    watchId: 0,
    fragment: false,
  };
}

/** A compare of one key's version, create/mod revision or lease against a number. */
export function compareNumber(
  key: string,
  result: P.CompareResult,
  target: 'version' | 'create' | 'mod' | 'lease',
  value: number,
): P.Compare {
  return { key: bytes(key), rangeEnd: new Uint8Array(0), result, target, value };
}

/** A compare of one key's value for equality. */
export function compareValueEquals(key: string, value: string): P.Compare {
  return {
    key: bytes(key),
    rangeEnd: new Uint8Array(0),
    result: 'equal',
    target: 'value',
    value: bytes(value),
  };
}

export function seenKv(kv: P.KeyValue): SeenKv {
  return {
    key: text(kv.key),
    value: text(kv.value),
    modRevision: kv.modRevision,
    createRevision: kv.createRevision,
    version: kv.version,
    lease: kv.lease,
  };
}
