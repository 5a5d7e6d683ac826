/**
 * `npm run bench -- restore --snap-file PATH [--rounds 3]`
 * `npm run bench -- restore --keys 1048576 --write PATH` (then `--snap-file PATH`)
 *
 * The state-machine restore alone, the largest step of a boot and of a follower's catch-up
 * (docs/performance.md, "Restart and catch-up"): reads a snapshot file (a member's
 * `snap/*.snap`, or one written here from `--keys` keys of 256-byte values put in key order,
 * as `scale` loads them), then per round: the file's checksum and head (`decodeSnapshot`), and
 * the restore of a fresh StateMachine (`restore`), each timed, with the GC time V8 reported
 * during the restore and the heap after it. Run it in turns under two builds
 * (`node <dist>/bench/index.js restore ...`: the file only uses surfaces both have) to compare
 * them on one machine; add `--cpu-prof` to node for a profile.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { StateMachine } from '../server/apply/index.js';
import { decodeReplicaSnapshot, encodeReplicaSnapshot, MemberRegistry } from '../server/replica/index.js';
import { decodeSnapshot, encodeSnapshot } from '../server/storage/snap/snap-file.js';

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** A state machine of `keys` keys, written as one snapshot file at `path`. */
function writeSnapshot(keys: number, path: string): void {
  const machine = new StateMachine();
  const value = new Uint8Array(256);
  for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 7) & 0xff;
  const enc = new TextEncoder();
  for (let i = 0; i < keys; i++) {
    machine.apply(i + 1, {
      type: 'put',
      request: { key: enc.encode(`scale/${i.toString().padStart(10, '0')}`), value },
    } as Parameters<StateMachine['apply']>[1]);
  }
  const data = encodeReplicaSnapshot(new MemberRegistry(), machine.snapshot());
  const file = encodeSnapshot({
    metadata: { index: keys, term: 1, confState: { voters: [1], learners: [] } },
    data,
  });
  writeFileSync(path, file);
  console.log(`wrote ${path}: ${keys} keys, ${(file.length / 2 ** 20).toFixed(0)} MiB`);
}

async function restoreRounds(path: string, rounds: number): Promise<void> {
  const bytes = readFileSync(path);
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let round = 0; round < rounds; round++) {
    const load = loadavg()[0]!.toFixed(1);
    const t0 = performance.now();
    const snap = decodeSnapshot(bytes, path);
    const t1 = performance.now();
    const decoded = decodeReplicaSnapshot(snap.data);
    let machine: StateMachine | undefined = new StateMachine();
    await new Promise((r) => setTimeout(r, 50));
    gcMs = 0;
    const cpu0 = process.cpuUsage();
    const t2 = performance.now();
    if (decoded.stateMachine !== undefined) machine.restore(decoded.stateMachine);
    const t3 = performance.now();
    // CPU of every thread (V8's parallel GC helpers too): less sensitive to the machine's load.
    const cpu = process.cpuUsage(cpu0);
    const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
    // GC entries are delivered after the restore's synchronous turn.
    await new Promise((r) => setTimeout(r, 50));
    console.log(
      `round ${round + 1}: crc+head ${(t1 - t0).toFixed(0)} ms, restore ${(t3 - t2).toFixed(0)} ms ` +
        `(CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms) ` +
        `(GC ${gcMs.toFixed(0)} ms), heap ${heapMiB.toFixed(0)} MiB (load ${load})`,
    );
    machine = undefined;
  }
  obs.disconnect();
}

export async function run(argv: string[]): Promise<void> {
  const write = flag(argv, '--write');
  if (write !== undefined) {
    writeSnapshot(Number(flag(argv, '--keys') ?? 1_048_576), write);
    return;
  }
  const file = flag(argv, '--snap-file');
  if (file === undefined) throw new Error('--snap-file PATH (or --keys N --write PATH) is required');
  await restoreRounds(file, Number(flag(argv, '--rounds') ?? 3));
}
