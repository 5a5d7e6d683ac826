/**
 * A full, compacting garbage collection of V8's heap, on demand (defragment): the in-memory
 * store's freed history and index nodes become free pages, and V8's mark-compact then moves what
 * survives together and unmaps the empty pages, giving the memory back to the operating system.
 *
 * Node exposes `gc()` only with `--expose-gc`; setting that flag at run time and fetching `gc`
 * from a fresh context is the documented way around it (it changes nothing else of the process).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | undefined;

function gc(): () => void {
  if (gcFn !== undefined) return gcFn;
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) return (gcFn = exposed);
  setFlagsFromString('--expose-gc');
  gcFn = runInNewContext('gc') as () => void;
  return gcFn;
}

/** Collects everything collectable; the heap's used bytes before and after. */
export function fullGc(): { before: number; after: number } {
  const before = process.memoryUsage().heapUsed;
  gc()();
  return { before, after: process.memoryUsage().heapUsed };
}
