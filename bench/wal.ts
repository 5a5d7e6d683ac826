/**
 * `npm run bench -- wal [--duration-ms N] [--dir PATH] [--segment-bytes N] [--unsafe-no-fsync]`
 *
 * Appends entries with 256-byte payloads to a real WAL (NodeDisk, fdatasync on) from 1, 16 and
 * 256 concurrent appenders, each awaiting its own append before the next, for a fixed time per
 * level. Prints records/s, fsyncs/s and records per fsync: with group commit the ratio grows with
 * concurrency while every record still waits for an fsync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { NodeDisk } from '../server/platform/node-disk.js';
import { Wal } from '../server/storage/wal/wal.js';

const RECORD_BYTES = 256;
const LEVELS = [1, 16, 256];

interface Row {
  readonly appenders: number;
  readonly records: number;
  readonly seconds: number;
  readonly fsyncs: number;
  readonly meanLatencyMs: number;
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

async function runLevel(
  baseDir: string,
  appenders: number,
  durationMs: number,
  segmentBytes: number,
  unsafeNoFsync: boolean,
): Promise<Row> {
  const dir = await mkdtemp(join(baseDir, 'concord-bench-wal-'));
  const disk = new NodeDisk();
  const identity = { clusterId: 'bench', memberId: 1 };
  try {
    await Wal.initialize(disk, join(dir, 'wal'), identity, []);
    const { wal } = await Wal.open(disk, join(dir, 'wal'), identity, {
      segmentSizeBytes: segmentBytes,
      unsafeNoFsync,
    });
    const data = new Uint8Array(RECORD_BYTES).fill(0x5a);
    let next = 0;
    let latencyMs = 0;
    const start = performance.now();
    const end = start + durationMs;
    const loop = async (): Promise<void> => {
      while (performance.now() < end) {
        const index = ++next;
        const t0 = performance.now();
        await wal.append([{ type: 'entry', entry: { index, term: 1, type: 'normal', data } }]);
        latencyMs += performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: appenders }, loop));
    const seconds = (performance.now() - start) / 1000;
    await wal.close();
    return {
      appenders,
      records: wal.stats.records,
      seconds,
      fsyncs: wal.stats.fsyncs,
      meanLatencyMs: latencyMs / Math.max(1, wal.stats.records),
    };
  } finally {
    await disk.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const durationMs = Number(option(args, '--duration-ms', '3000'));
  const baseDir = option(args, '--dir', tmpdir());
  const segmentBytes = Number(option(args, '--segment-bytes', String(64 * 1024 * 1024)));
  const unsafeNoFsync = args.includes('--unsafe-no-fsync');
  if (!(durationMs > 0) || !(segmentBytes >= 1024)) {
    console.error('bench wal: --duration-ms must be > 0 and --segment-bytes ≥ 1024');
    process.exit(2);
  }
  console.log(
    `wal bench: ${RECORD_BYTES}-byte entries, fdatasync on, ${durationMs} ms per level, dir ${baseDir}`,
  );
  console.log('appenders   records/s    fsyncs/s  records/fsync  mean latency ms');
  for (const level of LEVELS) {
    const r = await runLevel(baseDir, level, durationMs, segmentBytes, unsafeNoFsync);
    const line = [
      String(r.appenders).padStart(9),
      (r.records / r.seconds).toFixed(0).padStart(11),
      (r.fsyncs / r.seconds).toFixed(0).padStart(11),
      (r.fsyncs === 0 ? '-' : (r.records / r.fsyncs).toFixed(1)).padStart(14),
      r.meanLatencyMs.toFixed(2).padStart(16),
    ].join(' ');
    console.log(line);
  }
}
