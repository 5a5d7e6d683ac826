/**
 * `npm run bench -- wal-sync [--count N] [--rounds N] [--gap-ms N] [--dir PATH] [--modes ...]`
 *
 * The ways a member can make one small WAL batch durable, measured raw (no WAL, no Raft): one
 * appender writes 450 bytes (a put's entry plus its hard state) into a preallocated file and
 * waits until they are on stable storage, `--count` times per round, rounds interleaved so that a
 * loaded machine weighs on every mode alike. `--gap-ms` idles between batches (put-1's pattern:
 * the member sleeps between two writes; 0 = back to back). Modes:
 * - `pool`: write(2) on the event loop, fdatasync(2) as one thread-pool request (NodeDisk today);
 * - `loop`: write(2) and fdatasync(2) both on the event loop (NodeDisk `syncOn: 'loop'`);
 * - `worker-msg`: a worker thread does write(2) + fdatasync(2); the batch goes there and the
 *   answer comes back by `postMessage`;
 * - `worker-sab`: the same worker, the batch copied into a SharedArrayBuffer and the handshake
 *   done with `Atomics.notify` / `Atomics.waitAsync` (no message serialisation).
 * Prints p50 and p90 of the time from the write to "durable" seen on the loop, per mode.
 */
import { closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

const BATCH_BYTES = 450;
const FILE_BYTES = 64 * 1024 * 1024;
/** `Atomics.waitAsync` (Node 16+), missing from the TypeScript lib this project targets. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

const MODES = ['pool', 'loop', 'worker-msg', 'worker-sab'] as const;
type Mode = (typeof MODES)[number];

/** The worker's code: owns nothing but the descriptor it is handed; one batch at a time. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync, fdatasyncSync } = require('node:fs');
const { fd, sab } = workerData;
const ctl = new Int32Array(sab, 0, 4);        // [0] request seq, [1] done seq, [2] length, [3] offset
const data = new Uint8Array(sab, 16);
parentPort.on('message', (m) => {
  if (m === 'sab') {
    let seen = 0;
    for (;;) {
      Atomics.wait(ctl, 0, seen);
      seen = Atomics.load(ctl, 0);
      if (seen < 0) return;
      writeSync(fd, data, 0, ctl[2], ctl[3]);
      fdatasyncSync(fd);
      Atomics.store(ctl, 1, seen);
      Atomics.notify(ctl, 1);
    }
  }
  writeSync(fd, m.bytes, 0, m.bytes.length, m.offset);
  fdatasyncSync(fd);
  parentPort.postMessage(0);
});
`;

interface Syncer {
  durable(bytes: Uint8Array, offset: number): Promise<void>;
  close(): Promise<void>;
}

function poolSyncer(fd: number): Syncer {
  return {
    durable: (bytes, offset) => {
      writeSync(fd, bytes, 0, bytes.length, offset);
      return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    },
    close: async () => {},
  };
}

function loopSyncer(fd: number): Syncer {
  return {
    durable: (bytes, offset) => {
      writeSync(fd, bytes, 0, bytes.length, offset);
      fdatasyncSync(fd);
      return Promise.resolve();
    },
    close: async () => {},
  };
}

function workerSyncer(fd: number, shared: boolean): Syncer {
  const sab = new SharedArrayBuffer(16 + 64 * 1024);
  const ctl = new Int32Array(sab, 0, 4);
  const data = new Uint8Array(sab, 16);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { fd, sab } });
  let seq = 0;
  let pending: (() => void) | undefined;
  worker.on('message', () => pending?.());
  if (shared) worker.postMessage('sab');
  return {
    durable: async (bytes, offset) => {
      if (!shared) {
        await new Promise<void>((resolve) => {
          pending = resolve;
          worker.postMessage({ bytes, offset });
        });
        return;
      }
      data.set(bytes);
      ctl[2] = bytes.length;
      ctl[3] = offset;
      const mine = ++seq;
      Atomics.store(ctl, 0, mine);
      Atomics.notify(ctl, 0);
      for (;;) {
        const done = Atomics.load(ctl, 1);
        if (done === mine) return;
        const w = waitAsync(ctl, 1, done);
        if (w.async) await w.value;
      }
    },
    close: async () => {
      if (shared) {
        Atomics.store(ctl, 0, -1);
        Atomics.notify(ctl, 0);
      }
      await worker.terminate();
    },
  };
}

function makeSyncer(mode: Mode, fd: number): Syncer {
  switch (mode) {
    case 'pool':
      return poolSyncer(fd);
    case 'loop':
      return loopSyncer(fd);
    case 'worker-msg':
      return workerSyncer(fd, false);
    case 'worker-sab':
      return workerSyncer(fd, true);
  }
}

async function runMode(dir: string, mode: Mode, count: number, gapMs: number): Promise<number[]> {
  const path = join(dir, `${mode}.wal`);
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, FILE_BYTES);
  const syncer = makeSyncer(mode, fd);
  const bytes = new Uint8Array(BATCH_BYTES).fill(0x5a);
  const out: number[] = [];
  try {
    let offset = 0;
    for (let i = 0; i < count; i++) {
      if (gapMs > 0) await sleep(gapMs);
      const t0 = performance.now();
      await syncer.durable(bytes, offset);
      out.push(performance.now() - t0);
      offset += BATCH_BYTES;
    }
  } finally {
    await syncer.close();
    closeSync(fd);
  }
  return out;
}

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
}

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export async function run(args: string[]): Promise<void> {
  const count = Number(option(args, '--count', '300'));
  const rounds = Number(option(args, '--rounds', '4'));
  const gapMs = Number(option(args, '--gap-ms', '0'));
  const baseDir = option(args, '--dir', tmpdir());
  const modes = option(args, '--modes', MODES.join(',')).split(',') as Mode[];
  if (!(count >= 10) || !(rounds >= 1) || !(gapMs >= 0) || modes.some((m) => !MODES.includes(m))) {
    console.error(`bench wal-sync: --count ≥ 10, --rounds ≥ 1, --gap-ms ≥ 0, --modes of ${MODES.join(',')}`);
    process.exit(2);
  }
  const dir = await mkdtemp(join(baseDir, 'concord-bench-wal-sync-'));
  const perRound = new Map<Mode, { p50: number; p90: number }[]>();
  try {
    for (let round = 0; round < rounds; round++) {
      const order = modes.map((_, i) => modes[(i + round) % modes.length] as Mode);
      for (const mode of order) {
        const lat = (await runMode(dir, mode, count, gapMs)).sort((a, b) => a - b);
        perRound.set(mode, [...(perRound.get(mode) ?? []), { p50: pct(lat, 0.5), p90: pct(lat, 0.9) }]);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(
    `wal-sync: ${BATCH_BYTES}-byte batches, ${count} per round, gap ${gapMs} ms, ${rounds} interleaved rounds`,
  );
  console.log('mode        p50 ms: median (min–max)      p90 ms: median (min–max)');
  const fmt = (xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    return `${pct(s, 0.5).toFixed(3)} (${(s[0] ?? 0).toFixed(3)}–${(s[s.length - 1] ?? 0).toFixed(3)})`;
  };
  for (const mode of modes) {
    const r = perRound.get(mode) ?? [];
    console.log(`${mode.padEnd(11)} ${fmt(r.map((x) => x.p50)).padEnd(30)} ${fmt(r.map((x) => x.p90))}`);
  }
}
