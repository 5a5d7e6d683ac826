/**
 * Timestamped stalls of one Node process, for lining a slow put up with what each process was
 * doing at that moment (`npm run bench -- scale --trace-stalls MS`, docs/performance.md, "Scale
 * (issue 14)"). Every thread that starts it writes one line per event of at least `thresholdMs`:
 *
 *   stall {"at":"2026-12-06T10:51:02.123Z","ms":84.2,"kind":"gc-major","thread":"worker","pid":123}
 *
 * `at` is the wall-clock start of the event, `ms` its length. Kinds:
 * - `gc-minor`, `gc-major`, `gc-incremental`, `gc-weak`: a pause of this thread by V8's GC
 *   (PerformanceObserver; concurrent marking on helper threads is not a pause);
 * - `loop`: the event loop did not run a 10 ms interval for that long (whatever held it: a long
 *   task, a GC pause, a synchronous fdatasync);
 * - `fsync`, `fdatasync`: one such call (callback, synchronous or FileHandle form) took that long,
 *   with the file it synced (`file`);
 * - `remove`: a file of at least 1 MiB was removed (`file`, `bytes`), whatever it took: on a
 *   filesystem mounted with `discard`, its blocks are trimmed by the next journal commit, which
 *   is what the next fsync waits for;
 * - `open-write`, `rename`: a file opened for writing (a new WAL segment, a snapshot's temporary
 *   file) or renamed (a snapshot put in place), whatever it took: rare, and they mark where a
 *   snapshot or a segment starts and ends.
 *
 * The file-system calls are timed by wrapping node:fs's and FileHandle's functions in place
 * (`syncBuiltinESMExports` carries the change to ES-module importers), so the code measured is
 * unchanged: a member started with `node --import <this file's preload>` runs its own code.
 */
import type * as FsModule from 'node:fs';
import { open as openFile } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';
import { gcKindLabel } from '../server/member/gc-metrics.js';

export interface StallTraceOptions {
  /** events shorter than this are not written */
  readonly thresholdMs: number;
  /** receives one line (with its newline) per event; default: a synchronous write to fd 2 */
  readonly write?: (line: string) => void;
  /** names the thread in each line; default `main` or `worker` */
  readonly thread?: string;
}

/** node:fs's CommonJS object: unlike the ES namespace, its functions can be replaced. */
const fs = createRequire(import.meta.url)('node:fs') as typeof FsModule;

const LOOP_INTERVAL_MS = 10;
const REMOVE_REPORT_BYTES = 2 ** 20;

/** The path an open descriptor names (Linux), or its number. */
function fdPath(fd: number): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return `fd ${fd}`;
  }
}

type Emit = (kind: string, startWallMs: number, ms: number, extra?: Record<string, unknown>) => void;

let fsWrapped = false;

/**
 * Wraps fdatasync/fsync (callback and sync forms) and removals of node:fs, and FileHandle's
 * sync/datasync, once per thread. Only slow calls are reported; the rest cost two clock reads.
 */
async function wrapFileSystem(emit: Emit, thresholdMs: number): Promise<void> {
  if (fsWrapped) return;
  fsWrapped = true;
  const mutable = fs as unknown as Record<string, unknown>;
  for (const name of ['fdatasync', 'fsync'] as const) {
    const original = fs[name];
    mutable[name] = (fd: number, cb: (err: NodeJS.ErrnoException | null) => void): void => {
      const t0 = performance.now();
      const w0 = Date.now();
      original(fd, (err) => {
        const ms = performance.now() - t0;
        if (ms >= thresholdMs) emit(name, w0, ms, { file: fdPath(fd) });
        cb(err);
      });
    };
    const syncName = `${name}Sync` as const;
    const originalSync = fs[syncName];
    mutable[syncName] = (fd: number): void => {
      const t0 = performance.now();
      const w0 = Date.now();
      originalSync(fd);
      const ms = performance.now() - t0;
      if (ms >= thresholdMs) emit(name, w0, ms, { file: fdPath(fd) });
    };
  }
  const promises = fs.promises as unknown as Record<string, unknown>;
  for (const name of ['rm', 'unlink'] as const) {
    const original = fs.promises[name] as (path: FsModule.PathLike, ...rest: unknown[]) => Promise<void>;
    promises[name] = async (path: FsModule.PathLike, ...rest: unknown[]): Promise<void> => {
      let bytes = 0;
      try {
        bytes = fs.statSync(path).size;
      } catch {
        // gone already: the removal reports its own error
      }
      const t0 = performance.now();
      const w0 = Date.now();
      await original(path, ...rest);
      if (bytes >= REMOVE_REPORT_BYTES)
        emit('remove', w0, performance.now() - t0, { file: String(path), bytes });
    };
  }
  const open = fs.promises.open;
  promises.open = async (
    path: FsModule.PathLike,
    flags?: string | number,
    ...rest: unknown[]
  ): Promise<unknown> => {
    const t0 = performance.now();
    const w0 = Date.now();
    const handle = await open(path, flags, ...(rest as [FsModule.Mode | undefined]));
    if (flags !== undefined && flags !== 'r')
      emit('open-write', w0, performance.now() - t0, { file: String(path) });
    return handle;
  };
  const rename = fs.promises.rename;
  promises.rename = async (from: FsModule.PathLike, to: FsModule.PathLike): Promise<void> => {
    const t0 = performance.now();
    const w0 = Date.now();
    await rename(from, to);
    emit('rename', w0, performance.now() - t0, { file: String(to) });
  };
  syncBuiltinESMExports();
  const probe = await openFile('/proc/self/stat', 'r');
  const proto = Object.getPrototypeOf(probe) as Record<string, unknown>;
  await probe.close();
  for (const [method, kind] of [
    ['sync', 'fsync'],
    ['datasync', 'fdatasync'],
  ] as const) {
    const original = proto[method] as (this: { fd: number }) => Promise<void>;
    proto[method] = async function (this: { fd: number }): Promise<void> {
      const t0 = performance.now();
      const w0 = Date.now();
      const fd = this.fd;
      await original.call(this);
      const ms = performance.now() - t0;
      if (ms >= thresholdMs) emit(kind, w0, ms, { file: fdPath(fd) });
    };
  }
}

/**
 * Starts writing this thread's stalls of at least `thresholdMs` (see the file comment); returns
 * how to stop (the file-system wrappers stay, unreporting once stopped).
 */
export async function startStallTrace(options: StallTraceOptions): Promise<() => void> {
  const { thresholdMs } = options;
  const thread = options.thread ?? (isMainThread ? 'main' : 'worker');
  const write = options.write ?? ((line: string) => void fs.writeSync(2, line));
  let stopped = false;
  const emit: Emit = (kind, startWallMs, ms, extra) => {
    if (stopped) return;
    const record = {
      at: new Date(startWallMs).toISOString(),
      ms: Math.round(ms * 10) / 10,
      kind,
      thread,
      pid: process.pid,
      ...extra,
    };
    write(`stall ${JSON.stringify(record)}\n`);
  };
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < thresholdMs) continue;
      emit(
        `gc-${gcKindLabel((e as { detail?: { kind?: number } }).detail?.kind)}`,
        performance.timeOrigin + e.startTime,
        e.duration,
      );
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    const late = now - last - LOOP_INTERVAL_MS;
    if (late >= thresholdMs) emit('loop', performance.timeOrigin + last + LOOP_INTERVAL_MS, late);
    last = now;
  }, LOOP_INTERVAL_MS);
  ticker.unref();
  await wrapFileSystem(emit, thresholdMs);
  return () => {
    stopped = true;
    observer.disconnect();
    clearInterval(ticker);
  };
}

/** The environment variable the preload reads its threshold from (ms). */
export const STALL_TRACE_ENV = 'CONCORD_BENCH_STALL_TRACE_MS';
