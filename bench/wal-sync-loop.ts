/**
 * The WAL's syncs as another writer on the same file system sees them, for the disk probes
 * (`snapshot-sync`, `file-removal`): 4 KiB written at the next offset of a preallocated file, then
 * `fdatasync`, back to back, as a member's WAL does under load.
 */
import { closeSync, fdatasyncSync, ftruncateSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile } from './stats.js';

const RECORD_BYTES = 4096;
const FILE_BYTES = 64 * 2 ** 20;

/** Runs the loop in `dir` while `goOn()` holds; each write + fdatasync's latency, ms. */
export async function walSyncLoop(dir: string, goOn: () => boolean): Promise<number[]> {
  const path = join(dir, 'wal');
  const fd = openSync(path, 'w');
  ftruncateSync(fd, FILE_BYTES);
  const record = new Uint8Array(RECORD_BYTES).fill(1);
  const latencies: number[] = [];
  let offset = 0;
  try {
    while (goOn()) {
      const t = performance.now();
      writeSync(fd, record, 0, record.length, offset);
      fdatasyncSync(fd);
      latencies.push(performance.now() - t);
      offset = (offset + RECORD_BYTES) % (FILE_BYTES - RECORD_BYTES);
      // Let the other writers' callbacks and messages in between two syncs.
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
  return latencies;
}

/** "WAL fdatasync n …, p50 …, p99 …, max … ms" */
export function describeSyncs(latencies: readonly number[]): string {
  return (
    `WAL fdatasync n ${latencies.length}, p50 ${percentile(latencies, 50).toFixed(1)}, ` +
    `p99 ${percentile(latencies, 99).toFixed(1)}, max ${Math.max(...latencies).toFixed(1)} ms`
  );
}
