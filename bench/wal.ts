/**
 * `npm run bench -- wal [--duration-ms N] [--rounds N] [--paths pool,two-ops,loop] [--dir PATH]
 *                       [--segment-bytes N] [--unsafe-no-fsync]`
 *
 * Appends entries with 256-byte payloads to a real WAL (NodeDisk, fdatasync on, 4 MiB
 * preallocation as a member uses) from 1, 16 and 256 concurrent appenders, each awaiting its own
 * append before the next (and, as a member does after each write, appending an unsynced
 * commit-only hard state), for a fixed time per level. Prints records/s, fsyncs/s, records per
 * fsync, the median append latency and the event loop's p99 delay: with group commit the ratio
 * grows with concurrency while every record still waits for an fsync.
 *
 * `--paths` compares the ways NodeDisk can make a batch durable, interleaved round by round (so
 * that a loaded machine weighs on all of them alike):
 * - `pool`: write(2) on the event loop, fdatasync(2) as one thread-pool request (the default);
 * - `two-ops`: the write and the fdatasync as two thread-pool requests (the path before
 *   `appendAtSynced`: `inlineWriteMaxBytes: 0`);
 * - `loop`: write(2) and fdatasync(2) both on the event loop (`syncOn: 'loop'`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { NodeDisk, type NodeDiskOptions } from '../server/platform/node-disk.js';
import { Wal } from '../server/storage/wal/wal.js';

const RECORD_BYTES = 256;
const LEVELS = [1, 16, 256];
const PREALLOCATE_BYTES = 4 * 1024 * 1024;

const PATHS: Readonly<Record<string, NodeDiskOptions>> = {
  pool: { syncOn: 'pool' },
  'two-ops': { inlineWriteMaxBytes: 0 },
  loop: { syncOn: 'loop' },
};

interface Row {
  readonly records: number;
  readonly seconds: number;
  readonly fsyncs: number;
  readonly p50Ms: number;
  readonly loopDelayP99Ms: number;
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

async function runLevel(
  baseDir: string,
  diskOptions: NodeDiskOptions,
  appenders: number,
  durationMs: number,
  segmentBytes: number,
  unsafeNoFsync: boolean,
): Promise<Row> {
  const dir = await mkdtemp(join(baseDir, 'concord-bench-wal-'));
  const disk = new NodeDisk(diskOptions);
  const identity = { clusterId: 'bench', memberId: 1 };
  try {
    await Wal.initialize(disk, join(dir, 'wal'), identity, []);
    const { wal } = await Wal.open(disk, join(dir, 'wal'), identity, {
      segmentSizeBytes: segmentBytes,
      preallocateBytes: PREALLOCATE_BYTES,
      unsafeNoFsync,
    });
    const data = new Uint8Array(RECORD_BYTES).fill(0x5a);
    const latencies: number[] = [];
    let next = 0;
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const start = performance.now();
    const end = start + durationMs;
    const loop = async (): Promise<void> => {
      while (performance.now() < end) {
        const index = ++next;
        const t0 = performance.now();
        await wal.append([{ type: 'entry', entry: { index, term: 1, type: 'normal', data } }]);
        latencies.push(performance.now() - t0);
        // what a member writes once the entry is committed: a hard state, without fsync
        void wal.append([{ type: 'hardState', hardState: { term: 1, vote: 1, commit: index } }], {
          sync: false,
        });
      }
    };
    await Promise.all(Array.from({ length: appenders }, loop));
    const seconds = (performance.now() - start) / 1000;
    delay.disable();
    await wal.close();
    latencies.sort((a, b) => a - b);
    return {
      records: latencies.length,
      seconds,
      fsyncs: wal.stats.fsyncs,
      p50Ms: latencies[latencies.length >> 1] ?? 0,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
    };
  } finally {
    await disk.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

export async function run(args: string[]): Promise<void> {
  const durationMs = Number(option(args, '--duration-ms', '3000'));
  const rounds = Number(option(args, '--rounds', '1'));
  const paths = option(args, '--paths', 'pool').split(',');
  const baseDir = option(args, '--dir', tmpdir());
  const segmentBytes = Number(option(args, '--segment-bytes', String(64 * 1024 * 1024)));
  const unsafeNoFsync = args.includes('--unsafe-no-fsync');
  if (!(durationMs > 0) || !(segmentBytes >= 1024) || !(rounds >= 1)) {
    console.error('bench wal: --duration-ms must be > 0, --rounds ≥ 1 and --segment-bytes ≥ 1024');
    process.exit(2);
  }
  const unknown = paths.filter((p) => PATHS[p] === undefined);
  if (unknown.length > 0) {
    console.error(`bench wal: unknown --paths ${unknown.join(',')} (known: ${Object.keys(PATHS).join(',')})`);
    process.exit(2);
  }
  console.log(
    `wal bench: ${RECORD_BYTES}-byte entries, fdatasync ${unsafeNoFsync ? 'OFF' : 'on'}, ` +
      `${durationMs} ms per level, ${rounds} round(s), dir ${baseDir}`,
  );
  const rows = new Map<string, Row[]>();
  for (let round = 0; round < rounds; round++) {
    // a different path first each round
    const order = paths.map((_, i) => paths[(i + round) % paths.length] as string);
    for (const level of LEVELS) {
      for (const path of order) {
        const row = await runLevel(
          baseDir,
          PATHS[path] as NodeDiskOptions,
          level,
          durationMs,
          segmentBytes,
          unsafeNoFsync,
        );
        const key = `${path}/${level}`;
        rows.set(key, [...(rows.get(key) ?? []), row]);
      }
    }
  }
  console.log('path     appenders   records/s    fsyncs/s  records/fsync  p50 ms  loop delay p99 ms');
  for (const level of LEVELS) {
    for (const path of paths) {
      const r = rows.get(`${path}/${level}`) ?? [];
      const rate = median(r.map((x) => x.records / x.seconds));
      const syncs = median(r.map((x) => x.fsyncs / x.seconds));
      const line = [
        path.padEnd(8),
        String(level).padStart(9),
        rate.toFixed(0).padStart(11),
        syncs.toFixed(0).padStart(11),
        (syncs === 0 ? '-' : (rate / syncs).toFixed(1)).padStart(14),
        median(r.map((x) => x.p50Ms))
          .toFixed(3)
          .padStart(7),
        median(r.map((x) => x.loopDelayP99Ms))
          .toFixed(2)
          .padStart(18),
      ].join(' ');
      console.log(line);
    }
  }
  if (rounds > 1) console.log(`(medians over ${rounds} interleaved rounds)`);
}
