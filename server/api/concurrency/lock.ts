/**
 * etcd's v3lock service over the shared handlers: a lock is the oldest key under `<name>/`, each
 * contender's key is `<name>/<lease hex>` attached to the caller's lease, and a contender waits for
 * the one created just before it to go (wait-deletes.ts). The lease bounds the lock: when it ends,
 * the key goes and the next contender holds the lock. The caller keeps the lease alive.
 */
import {
  ErrorCode,
  ProtocolError,
  type RangeResponse,
  type ResponseHeader,
  type ResponseOp,
} from '../../../client/protocol/index.js';
import type { ClientBackend } from '../backend.js';
import {
  contenderKey,
  contenderPrefix,
  createdAt,
  deleteKey,
  firstCreated,
  getKey,
  putKey,
} from './requests.js';
import { waitDeletes } from './wait-deletes.js';

export interface LockRequest {
  readonly name: Uint8Array;
  /** The lease the lock's key is attached to (it must exist). */
  readonly lease: number;
}

export interface LockResponse {
  readonly header: ResponseHeader;
  /** The key whose existence is the lock: Unlock takes it. */
  readonly key: Uint8Array;
}

export interface UnlockRequest {
  readonly key: Uint8Array;
}

export interface UnlockResponse {
  readonly header: ResponseHeader;
}

const NO_VALUE = new Uint8Array(0);

/** The range answer of one txn operation (the txns here only hold ranges where this is called). */
export function rangeOf(op: ResponseOp | undefined): RangeResponse {
  if (op?.type !== 'range') throw new Error('a txn answered without its range');
  return op.response;
}

/**
 * Resolves once `req.lease` holds the lock named `req.name`. If the call is cancelled or fails while
 * waiting, the contender's key is deleted (as clientv3 does), so it blocks nobody.
 */
export async function lock(
  backend: ClientBackend,
  req: LockRequest,
  signal: AbortSignal,
): Promise<LockResponse> {
  const prefix = contenderPrefix(req.name);
  const key = contenderKey(req.name, req.lease);
  const claimed = await backend.txn(
    {
      compare: [createdAt(key, 0)],
      success: [
        { type: 'put', request: putKey(key, NO_VALUE, req.lease) },
        { type: 'range', request: firstCreated(prefix) },
      ],
      failure: [
        { type: 'range', request: getKey(key) },
        { type: 'range', request: firstCreated(prefix) },
      ],
    },
    { signal },
  );
  // Already contending with this lease (a retried call): keep the place first taken.
  const created = claimed.succeeded
    ? claimed.header.revision
    : (rangeOf(claimed.responses[0]).kvs[0]?.createRevision ?? claimed.header.revision);
  const holder = rangeOf(claimed.responses[1]).kvs[0];
  if (holder === undefined || holder.createRevision === created) return { header: claimed.header, key };
  try {
    const header = await waitDeletes(backend, prefix, created - 1, signal);
    // The lease may have ended while we waited: then our key went with it, and so did the lock.
    const mine = (await backend.range(getKey(key), { signal })).kvs[0];
    if (mine?.createRevision !== created) {
      throw new ProtocolError(
        ErrorCode.SessionExpired,
        'the lock key is gone: its lease ended while waiting',
      );
    }
    return { header, key };
  } catch (err) {
    await removeContender(backend, key, created);
    throw err;
  }
}

/**
 * Deletes a contender's key if it is still the one created at `created`, so that cleaning up after a
 * failed wait never removes a later contender that reuses the key. Best effort: the caller has
 * already failed, and the lease's end removes the key anyway.
 */
export async function removeContender(
  backend: ClientBackend,
  key: Uint8Array,
  created: number,
): Promise<void> {
  await backend
    .txn(
      {
        compare: [createdAt(key, created)],
        success: [{ type: 'deleteRange', request: deleteKey(key) }],
        failure: [],
      },
      {},
    )
    .catch(() => undefined);
}

/** Releases a lock by deleting its key (a key that is already gone is not an error, as etcd). */
export async function unlock(
  backend: ClientBackend,
  req: UnlockRequest,
  signal: AbortSignal,
): Promise<UnlockResponse> {
  const deleted = await backend.deleteRange(deleteKey(req.key), { signal });
  return { header: deleted.header };
}
