/**
 * `npm run bench -- file-removal [--mib 650] [--files 3] [--step-mib 16] [--rounds 3] [--dir D]`
 *
 * What removing an obsolete snapshot does to the WAL's syncs on the same file system
 * (docs/performance.md, "What the worst puts are made of at 1 GiB"). `--files` files of `--mib`
 * MiB are written and synced, then a WAL-like loop (4 KiB written into a preallocated file, then
 * `fdatasync`, back to back) runs while they are removed, all at once as three members purging the
 * same snapshot index do: by one unlink each, or by the server's `removeGradually` (cut from the end
 * in synced steps of `--step-mib`, then unlinked) through a `NodeDisk`. Prints, per round and mode,
 * how long the removals took and the WAL loop's p50 / p99 / max latency until a second after they
 * ended. Nothing is asserted.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { NodeDisk } from '../server/platform/node-disk.js';
import { removeGradually } from '../server/storage/gradual-removal.js';
import { ArgReader } from './args.js';
import { describeSyncs, walSyncLoop } from './wal-sync-loop.js';

const MiB = 2 ** 20;
/** The WAL loop goes on this long after the last removal, for the syncs that trail it. */
const TRAIL_MS = 1000;

const USAGE =
  'usage: npm run bench -- file-removal [--mib 650] [--files 3] [--step-mib 16] [--rounds 3] [--dir D]';

/** A file of `mib` MiB written and synced as a snapshot is (a sync every 8 MiB). */
function writeFile(path: string, mib: number): void {
  const fd = openSync(path, 'w');
  const chunk = new Uint8Array(4 * MiB).fill(7);
  for (let i = 0; i < mib / 4; i++) {
    writeSync(fd, chunk);
    if (i % 2 === 1) fdatasyncSync(fd);
  }
  fdatasyncSync(fd);
  closeSync(fd);
}

async function oneCase(
  dir: string,
  mode: 'unlink' | 'gradual',
  mib: number,
  files: number,
  stepMiB: number,
): Promise<string> {
  const paths = Array.from({ length: files }, (_, i) => join(dir, `snap-${i}`));
  for (const p of paths) writeFile(p, mib);
  const disk = new NodeDisk();
  const t0 = performance.now();
  let removalMs: number | undefined;
  const removals = Promise.all(
    paths.map((p) => (mode === 'unlink' ? unlink(p) : removeGradually(disk, p, stepMiB * MiB))),
  ).then(() => {
    removalMs = performance.now() - t0;
  });
  const latencies = await walSyncLoop(
    dir,
    () => removalMs === undefined || performance.now() - t0 < removalMs + TRAIL_MS,
  );
  await removals;
  await disk.close();
  return (
    `${mode === 'unlink' ? 'one unlink' : `steps of ${stepMiB} MiB`}, ${files} × ${mib} MiB: ` +
    `removed in ${(removalMs ?? NaN).toFixed(0)} ms; ${describeSyncs(latencies)}`
  );
}

export async function run(argv: string[]): Promise<void> {
  const r = new ArgReader(argv, USAGE);
  let mib = 650;
  let files = 3;
  let stepMiB = 16;
  let rounds = 3;
  let parent = tmpdir();
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--mib') mib = r.integer(flag);
    else if (flag === '--files') files = r.integer(flag);
    else if (flag === '--step-mib') stepMiB = r.integer(flag);
    else if (flag === '--rounds') rounds = r.integer(flag);
    else if (flag === '--dir') parent = r.value(flag);
    else throw r.unknown(flag);
  }
  if (mib < 4) throw new Error(`bench file-removal: --mib must be at least 4\n${USAGE}`);
  const dir = mkdtempSync(join(parent, 'bench-file-removal-'));
  try {
    for (let round = 1; round <= rounds; round++)
      for (const mode of ['unlink', 'gradual'] as const) {
        console.log(`round ${round}: ${await oneCase(dir, mode, mib, files, stepMiB)}`);
        // Let the file system settle between cases.
        await sleep(2000);
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
