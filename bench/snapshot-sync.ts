/**
 * `npm run bench -- snapshot-sync [--mib 230] [--writers 1,3] [--pace-mib 8] [--rounds 3] [--dir D]`
 *
 * What a snapshot file's sync does to the WAL's syncs on the same file system (docs/performance.md,
 * "What the worst puts are made of"). A WAL-like loop (4 KiB written at the next offset of a
 * preallocated file, then `fdatasync`, back to back) runs on the main thread while `--writers`
 * worker threads each write a `--mib` MiB file in 256 KiB appends, as `Snapshotter.saveStream`
 * does, and then sync it: once at the end (as today), or also after every `--pace-mib` MiB
 * appended. Prints, per case and round (the two modes back to back), the writers' final sync and
 * the WAL loop's p50 / p99 / max latency until the writers are done. Nothing is asserted.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { describeSyncs, walSyncLoop } from './wal-sync-loop.js';

interface WriterJob {
  readonly path: string;
  readonly mib: number;
  /** 0: one sync at the end */
  readonly paceMiB: number;
}

interface WriterResult {
  readonly writeMs: number;
  readonly finalSyncMs: number;
}

const APPEND_BYTES = 256 * 1024;

function writeSnapshotLike(job: WriterJob): WriterResult {
  const fd = openSync(job.path, 'w');
  const chunk = new Uint8Array(APPEND_BYTES).fill(7);
  const t0 = performance.now();
  let unsynced = 0;
  for (let done = 0; done < job.mib * 2 ** 20; done += APPEND_BYTES) {
    writeSync(fd, chunk);
    unsynced += APPEND_BYTES;
    if (job.paceMiB > 0 && unsynced >= job.paceMiB * 2 ** 20) {
      fdatasyncSync(fd);
      unsynced = 0;
    }
  }
  const t1 = performance.now();
  fsyncSync(fd);
  const t2 = performance.now();
  closeSync(fd);
  rmSync(job.path);
  return { writeMs: t1 - t0, finalSyncMs: t2 - t1 };
}

/** One case: the WAL loop's latencies while `writers` threads write and sync their files. */
async function oneCase(dir: string, mib: number, writers: number, paceMiB: number): Promise<string> {
  const results: WriterResult[] = [];
  let running = writers;
  for (let i = 0; i < writers; i++) {
    const job: WriterJob = { path: join(dir, `snap-${i}.tmp`), mib, paceMiB };
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    w.once('message', (r: WriterResult) => {
      results.push(r);
      running--;
    });
  }
  const latencies = await walSyncLoop(dir, () => running > 0);
  const finalSync = Math.max(...results.map((r) => r.finalSyncMs));
  const write = Math.max(...results.map((r) => r.writeMs));
  return (
    `${writers} × ${mib} MiB, ${paceMiB === 0 ? 'one sync at the end' : `a sync every ${paceMiB} MiB`}: ` +
    `write ${write.toFixed(0)} ms, final sync ${finalSync.toFixed(0)} ms; ${describeSyncs(latencies)}`
  );
}

export async function run(argv: string[]): Promise<void> {
  let mib = 230;
  let writers = [1, 3];
  let paceMiB = 8;
  let rounds = 3;
  let parent = tmpdir();
  for (let i = 0; i < argv.length; i += 2) {
    const v = argv[i + 1] ?? '';
    if (argv[i] === '--mib') mib = Number(v);
    else if (argv[i] === '--writers') writers = v.split(',').map(Number);
    else if (argv[i] === '--pace-mib') paceMiB = Number(v);
    else if (argv[i] === '--rounds') rounds = Number(v);
    else if (argv[i] === '--dir') parent = v;
    else throw new Error(`bench snapshot-sync: unknown option ${argv[i]}`);
  }
  if (!(mib > 0 && paceMiB > 0 && rounds > 0 && writers.every((w) => Number.isInteger(w) && w > 0)))
    throw new Error('bench snapshot-sync: bad options');
  const dir = mkdtempSync(join(parent, 'bench-snapshot-sync-'));
  try {
    for (let r = 1; r <= rounds; r++)
      for (const w of writers)
        for (const pace of [0, paceMiB]) console.log(`round ${r}: ${await oneCase(dir, mib, w, pace)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread && parentPort !== null) parentPort.postMessage(writeSnapshotLike(workerData as WriterJob));
