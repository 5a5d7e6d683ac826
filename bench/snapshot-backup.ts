/**
 * `npm run bench -- snapshot-backup [--keys 200000] [--value-bytes 256]`
 *
 * What a client's snapshot (maintenance.snapshot) costs the member serving it: the state machine
 * of `--keys` keys is serialised (a) whole at once, as `StateMachine.snapshot()` (the backend did
 * this before), and (b) streamed from pinned views (`startStreamedBackup`, what the backend does
 * now), consumed chunk by chunk. For each: the longest event-loop delay meanwhile, the growth of
 * heap + array buffers at its peak (sampled every 5 ms), and the time. Run in one process, one
 * after the other, so the numbers are compared under the same conditions.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StateMachine } from '../server/apply/index.js';
import type { StateSnapshotStream } from '../server/apply/state-snapshot-stream.js';
import { startStreamedBackup } from '../server/member/snapshot-backup.js';

const MiB = 1024 * 1024;

function parse(args: readonly string[]): { keys: number; valueBytes: number } {
  const out = { keys: 200_000, valueBytes: 256 };
  for (let i = 0; i < args.length; i += 2) {
    if (args[i] === '--keys') out.keys = Number(args[i + 1]);
    else if (args[i] === '--value-bytes') out.valueBytes = Number(args[i + 1]);
    else throw new Error(`unknown option ${args[i]}`);
  }
  return out;
}

const used = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** The longest single piece of synchronous work, in CPU time (immune to a loaded machine's preemption). */
let longestCpuMs = 0;
function timed<T>(fn: () => T): T {
  const before = process.cpuUsage();
  try {
    return fn();
  } finally {
    const d = process.cpuUsage(before);
    longestCpuMs = Math.max(longestCpuMs, (d.user + d.system) / 1000);
  }
}

async function measure(name: string, work: () => Promise<number>): Promise<void> {
  longestCpuMs = 0;
  (globalThis as { gc?: () => void }).gc?.();
  const base = used();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, used())), 5);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The monitor's first tick sets its reference point: let it happen before the work.
  await new Promise((resolve) => setTimeout(resolve, 10));
  const t0 = performance.now();
  const bytes = await work();
  const ms = performance.now() - t0;
  peak = Math.max(peak, used());
  // One more turn, so that a block at the very end is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  delay.disable();
  clearInterval(sampler);
  console.log(
    `${name}: ${(bytes / MiB).toFixed(1)} MiB in ${ms.toFixed(0)} ms | max event-loop delay ${(delay.max / 1e6).toFixed(1)} ms (p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms) | longest synchronous step ${longestCpuMs.toFixed(1)} ms CPU | heap + buffers +${((peak - base) / MiB).toFixed(0)} MiB at peak`,
  );
}

export async function run(argv: string[]): Promise<void> {
  const { keys, valueBytes } = parse(argv);
  const machine = new StateMachine();
  const value = new Uint8Array(valueBytes).fill(0x62);
  const enc = new TextEncoder();
  for (let i = 0; i < keys; i++) {
    machine.apply(i + 1, {
      type: 'put',
      request: {
        key: enc.encode(`key-${String(i).padStart(8, '0')}`),
        value,
        lease: 0,
        prevKv: false,
        ignoreValue: false,
        ignoreLease: false,
      },
    });
  }
  console.log(`keys ${keys} x ${valueBytes} B`);
  for (let round = 0; round < 2; round++) {
    await measure('whole (snapshot())   ', () => Promise.resolve(timed(() => machine.snapshot()).length));
    await measure('streamed (two views) ', async () => {
      const begin = (): StateSnapshotStream => {
        const stream = machine.beginSnapshot();
        const wrapped = { next: () => timed(() => stream.next()), release: () => stream.release() };
        return wrapped as unknown as StateSnapshotStream;
      };
      const backup = await startStreamedBackup(begin, undefined, () => new Promise((r) => setImmediate(r)));
      let n = 0;
      for await (const chunk of backup.chunks) n += chunk.length;
      return n;
    });
  }
}
