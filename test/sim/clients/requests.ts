/**
 * Answers decoded into the plain data the history records (record.ts). The requests the clients
 * send are built by test/helpers/requests.ts, re-exported here for the client modules.
 */
import type * as P from '../../../client/protocol/index.js';
import { text } from '../../helpers/requests.js';
import type { SeenKv } from './record.js';

export {
  bytes,
  compareNumber,
  compareValueEquals,
  putReq,
  rangeReq,
  text,
  watchReq,
} from '../../helpers/requests.js';

/** The stable code of a typed error (client/protocol/error-codes.ts), if it has one. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The revision a COMPACTED error names, if the error is one. */
export function compactRevisionOf(err: unknown): number | undefined {
  return (err as { compactRevision?: number } | null)?.compactRevision;
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
