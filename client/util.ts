/** Small async helpers on the injected clock, reused by every feature file. */
import type { ClientClock } from './options.js';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Subscribers of each signal, behind one real 'abort' listener per signal. The SDK hands one
 * signal to many concurrent operations (the client's close signal to every watch and keep-alive, a
 * user's signal to many watches); one listener each would cross Node's listener limit (10) and
 * print MaxListenersExceededWarning, although nothing leaks.
 */
const abortSubscribers = new WeakMap<
  AbortSignal,
  { readonly fns: Set<() => void>; readonly fire: () => void }
>();

/**
 * Calls `fn` once when `signal` aborts (never if it already has: check `aborted` first). Returns
 * the unsubscribe function (idempotent). However many subscribe, the signal has one listener.
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) return () => undefined;
  let entry = abortSubscribers.get(signal);
  if (entry === undefined) {
    const fns = new Set<() => void>();
    const fire = (): void => {
      abortSubscribers.delete(signal);
      // Like EventTarget: a subscriber removed by an earlier one during the abort is not called.
      for (const f of [...fns]) if (fns.delete(f)) f();
    };
    entry = { fns, fire };
    abortSubscribers.set(signal, entry);
    signal.addEventListener('abort', fire, { once: true });
  }
  // A wrapper, so the same `fn` subscribed twice is two subscriptions.
  const sub = (): void => fn();
  const e = entry;
  e.fns.add(sub);
  return () => {
    if (!e.fns.delete(sub) || e.fns.size > 0) return;
    if (abortSubscribers.get(signal) === e) abortSubscribers.delete(signal);
    signal.removeEventListener('abort', e.fire);
  };
}

/** Waits `ms` on the clock; rejects with `signal.reason` if it aborts first. */
export function delay(clock: ClientClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const handle = clock.setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe =
      signal === undefined
        ? () => undefined
        : onAbort(signal, () => {
            clock.clearTimeout(handle);
            reject(signal.reason);
          });
  });
}

/** Races `promise` against `signal`: rejects with `signal.reason`; always removes the listener. */
export async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  let unsubscribe: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    unsubscribe = onAbort(signal, () => reject(signal.reason));
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    unsubscribe();
  }
}

/** Exponential backoff with equal jitter: attempt 1 → [d/2, d), d = initial·2^(attempt-1), capped. */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.floor(base / 2 + random() * (base / 2));
}

export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder();

export type Bytes = string | Uint8Array;

export function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? textEncoder.encode(value) : value;
}
