/**
 * Protocol requests with every default filled in, as a client sends them, for tests that call a
 * backend directly (the simulator's clients, the member's request path) or compare against the
 * codec's own defaults. The defaults are written out here, not taken from client/protocol, so a
 * test that compares the two still checks something.
 */
import type * as P from '../../client/protocol/index.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** A read of `key` ('' rangeEnd: the key alone), linearizable unless `over` says otherwise. */
export function rangeReq(key: string, rangeEnd = '', over: Partial<P.RangeRequest> = {}): P.RangeRequest {
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

export function watchReq(key: string, rangeEnd: string, startRevision = 0): P.WatchCreateRequest {
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
