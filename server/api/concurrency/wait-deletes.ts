/**
 * Waiting for the contenders ahead of one to go, as clientv3's concurrency package does: find the
 * youngest contender created before us, wait for its key's delete, and repeat until none is left.
 * Each contender waits on exactly one key (no herd when the holder goes), and every wait starts at
 * the revision the key was seen at, so a delete between the read and the watch is not missed.
 */
import {
  ErrorCode,
  ProtocolError,
  WatchFilter,
  type ResponseHeader,
} from '../../../client/protocol/index.js';
import type { ClientBackend, WatchHandle } from '../backend.js';
import { lastCreatedUpTo } from './requests.js';

/** Resolves with the header of the read that found no contender created at or before `maxCreateRevision`. */
export async function waitDeletes(
  backend: ClientBackend,
  prefix: Uint8Array,
  maxCreateRevision: number,
  signal: AbortSignal,
): Promise<ResponseHeader> {
  for (;;) {
    const found = await backend.range(lastCreatedUpTo(prefix, maxCreateRevision), { signal });
    const ahead = found.kvs[0];
    if (ahead === undefined) return found.header;
    await waitDelete(backend, ahead.key, found.header.revision, signal);
  }
}

/** Resolves once `key` is deleted at or after `revision`; rejects if the watch ends or `signal` aborts. */
export function waitDelete(
  backend: ClientBackend,
  key: Uint8Array,
  revision: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let handle: WatchHandle | undefined;
    let settled = false;
    const settle = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      handle?.cancel();
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : new Error(String(error)));
    };
    const onAbort = (): void => settle(abortReason(signal));
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    backend
      .watch(
        {
          key,
          rangeEnd: new Uint8Array(0),
          startRevision: revision,
          progressNotify: false,
          filters: [WatchFilter.NoPut],
          prevKv: false,
          watchId: 0,
          fragment: false,
        },
        {
          events: (events) => {
            if (events.some((e) => e.type === 'delete')) settle();
          },
          ended: (error) => settle(error),
        },
        { signal },
      )
      .then(
        (h) => {
          handle = h;
          if (settled) h.cancel();
        },
        (error: unknown) => settle(error),
      );
  });
}

/** Why a wait stopped because its caller went away. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new ProtocolError(ErrorCode.Unavailable, 'the call was cancelled');
}
