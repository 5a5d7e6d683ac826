/**
 * Waits `ms`, or less if `signal` aborts; never rejects. For workloads that pace themselves and
 * must stop promptly, not for synchronisation in tests (use `eventually` for that).
 */
export function sleepUnlessAborted(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
