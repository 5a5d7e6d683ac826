/**
 * Small helpers shared by the request path's handlers (backend.ts, maintenance-backend.ts,
 * membership-backend.ts): the one way a call's signal reaches the replica, and the check that a
 * state-machine result is of the expected kind.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type { CommandResponse } from '../apply/index.js';
import type { CallOptions } from '../api/backend.js';
import { ServerError } from '../errors.js';

export function signalOf(options: CallOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

export function expectResult<T extends CommandResponse['type']>(
  r: CommandResponse,
  type: T,
): Extract<CommandResponse, { type: T }> {
  if (r.type !== type)
    throw new ServerError(ErrorCode.Internal, `expected a ${type} result, got ${r.type}`, false);
  return r as Extract<CommandResponse, { type: T }>;
}

/**
 * The 32-bit hash etcd's Hash and HashKV answer with, folded from the 64-bit state digest (16 hex
 * digits, mvcc/hash.ts): both lanes contribute, so a change either lane sees changes it.
 */
export function hash32(digest: string): number {
  return (parseInt(digest.slice(0, 8), 16) ^ parseInt(digest.slice(8, 16), 16)) >>> 0;
}
