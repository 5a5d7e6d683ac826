/**
 * Building blocks shared by the recipes, all written against the public client only:
 *
 * - `waitDelete(kv, key, revision)`: resolves once `key`, which existed at `revision`, is deleted.
 *   It watches the key from `revision + 1`, so a deletion between the read and the watch is not
 *   missed (the watch replays history). This is etcd's `waitDeletes` for one predecessor.
 * - `waitChange(kv, range, revision)`: resolves with the revision of the first change in a range
 *   after `revision` — the "re-read, then wait for the next change" loop every recipe that must
 *   re-evaluate a predicate uses instead of polling.
 * - `withDeadline(signal, timeoutMs)`: one signal for the caller's signal and a timeout, with a
 *   typed reason.
 */
import {
  CompactedError,
  IndeterminateError,
  type Bytes,
  type KvClient,
  type WatchOptions,
} from '../client/index.js';
import { RecipeError, RecipeErrorCode, invalidArgument } from './errors.js';

/** Resolves once `key` (present at `revision`) is deleted; rejects with the signal's reason. */
export async function waitDelete(
  kv: KvClient,
  key: Bytes,
  revision: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  for (;;) {
    try {
      await using watch = kv.watch({
        key,
        startRevision: revision + 1,
        filters: ['noPut'],
        ...(signal !== undefined ? { signal } : {}),
      });
      for await (const batch of watch) {
        if (batch.events.some((e) => e.type === 'delete')) return;
      }
      signal?.throwIfAborted();
      return;
    } catch (e) {
      signal?.throwIfAborted();
      if (!(e instanceof CompactedError)) throw e;
      // History was compacted under us: look at the present instead.
      const now = await kv.getRange(key, '', { ...(signal !== undefined ? { signal } : {}) });
      if (now.kvs.length === 0) return;
      revision = now.revision;
    }
  }
}

export type WatchRange = Pick<WatchOptions, 'key' | 'prefix' | 'rangeEnd'>;

/** The revision of the first change in `range` after `revision` (a compaction counts as a change). */
export async function waitChange(
  kv: KvClient,
  range: WatchRange,
  revision: number,
  signal: AbortSignal | undefined,
): Promise<number> {
  try {
    await using watch = kv.watch({
      ...range,
      startRevision: revision + 1,
      ...(signal !== undefined ? { signal } : {}),
    });
    for await (const batch of watch) {
      const last = batch.events[batch.events.length - 1];
      if (last !== undefined) return last.kv.modRevision;
    }
    signal?.throwIfAborted();
    return revision;
  } catch (e) {
    signal?.throwIfAborted();
    if (e instanceof CompactedError) return e.compactRevision;
    throw e;
  }
}

/** The caller's signal combined with a timeout whose reason is a RecipeError(Timeout). */
export function withDeadline(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
  what: string,
): AbortSignal | undefined {
  if (timeoutMs === undefined) return signal;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw invalidArgument('timeoutMs must be ≥ 0');
  const timeout = new AbortController();
  const timer = setTimeout(
    () =>
      timeout.abort(new RecipeError(RecipeErrorCode.Timeout, `${what}: no success within ${timeoutMs} ms`)),
    timeoutMs,
  );
  timer.unref?.();
  const combined = signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]);
  combined.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return combined;
}

/** Runs a write; if its outcome is unknown, asks `check` whether it applied (undefined: it did not). */
export async function settle<T>(write: () => Promise<T>, check: () => Promise<T | undefined>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    if (!(e instanceof IndeterminateError)) throw e;
    const seen = await check();
    if (seen !== undefined) return seen;
    return write();
  }
}

/**
 * A user-given name as one key segment: checked, then percent-encoded so that '/' inside a name
 * cannot make one recipe's prefix contain another's ('jobs' vs 'jobs/nightly').
 */
export function checkName(what: string, name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 512)
    throw invalidArgument(`${what} must be a non-empty string of at most 512 characters`);
  return encodeURIComponent(name);
}

/** Options with an optional signal, spread-safe under exactOptionalPropertyTypes. */
export function sig(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal === undefined ? {} : { signal };
}

export const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Lease ids as fixed-width hex, so keys of one session sort together. */
export const hex = (n: number): string => n.toString(16).padStart(16, '0');

/** Resolves after `ms`; rejects with the signal's reason if it aborts first. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Best-effort cleanup that must run even when the caller's signal has aborted. */
export async function quietly(op: () => Promise<unknown>): Promise<void> {
  try {
    await op();
  } catch {
    // The key carries a lease, so if this fails it disappears with the session anyway.
  }
}
