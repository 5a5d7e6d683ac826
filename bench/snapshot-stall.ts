/**
 * `npm run bench -- snapshot-stall [--keys 200000] [--chunk 10000] [--snapshot-count 10000]
 *   [--log-ratio 0.1] [--value-bytes 256] [--in-flight 64] [--dir /tmp]`
 *
 * How long a member stalls while it takes snapshots as its data grows. One voter in process — the
 * production Replica, StateMachine and RaftStorage on the real disk (fsync on) — loads `--keys`
 * keys of `--value-bytes` values with `--in-flight` puts outstanding, in chunks of `--chunk`
 * keys; a snapshot is due every `--snapshot-count` applied entries and, unless `--log-ratio 0`,
 * once the log since the newest one weighs that share of it (server/storage/snapshot-policy.ts;
 * an older build ignores the option). Per chunk of acknowledged puts
 * (rows close half a chunk past each multiple, so that a snapshot due at a multiple falls inside a
 * row) it prints:
 *
 * - the longest event-loop delay (perf_hooks.monitorEventLoopDelay): how long nothing else —
 *   heartbeats, peer messages, client requests — could run;
 * - the longest gap between two applies (the Ready loop's own stall);
 * - the longest put latency, and the snapshots completed during the chunk;
 * - the process's CPU time (user + system) per 1,000 puts: what the snapshots cost each put, the
 *   number that stays meaningful on a loaded machine, where wall-clock rates do not.
 *
 * Nothing here depends on the snapshot implementation beyond `Replica`'s public surface, so the
 * same file measures an older build (see docs/performance.md, "Snapshot stalls").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { encodeCommand, StateMachine, type ApplyResult } from '../server/apply/index.js';
import { StateMachinePort } from '../server/member/state-machine-port.js';
import { NodeClock } from '../server/platform/node-clock.js';
import { NodeDisk } from '../server/platform/node-disk.js';
import { NodeTimers } from '../server/platform/node-timers.js';
import { SeededRandom } from '../server/platform/random.js';
import { bootstrapEntries, encodeReplicaSnapshot, MemberRegistry, Replica } from '../server/replica/index.js';
import { RaftStorage } from '../server/storage/index.js';

interface Args {
  keys: number;
  chunk: number;
  snapshotCount: number;
  valueBytes: number;
  inFlight: number;
  dir: string;
  logRatio: number | undefined;
}

function parse(args: string[]): Args {
  const out: Args = {
    keys: 200_000,
    chunk: 10_000,
    snapshotCount: 10_000,
    valueBytes: 256,
    inFlight: 64,
    dir: tmpdir(),
    logRatio: undefined,
  };
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1] ?? '';
    switch (args[i]) {
      case '--keys':
        out.keys = Number(v);
        break;
      case '--chunk':
        out.chunk = Number(v);
        break;
      case '--snapshot-count':
        out.snapshotCount = Number(v);
        break;
      case '--value-bytes':
        out.valueBytes = Number(v);
        break;
      case '--in-flight':
        out.inFlight = Number(v);
        break;
      case '--dir':
        out.dir = v;
        break;
      case '--log-ratio':
        out.logRatio = Number(v);
        if (!(out.logRatio >= 0)) throw new Error('bench snapshot-stall: bad --log-ratio');
        break;
      default:
        throw new Error(`bench snapshot-stall: unknown option ${args[i]}`);
    }
  }
  for (const n of [out.keys, out.chunk, out.snapshotCount, out.inFlight])
    if (!(Number.isSafeInteger(n) && n > 0)) throw new Error('bench snapshot-stall: bad options');
  return out;
}

const enc = new TextEncoder();

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  const dataDir = mkdtempSync(join(args.dir, 'concord-snapshot-stall-'));
  const clock = new NodeClock();
  const timers = new NodeTimers();
  const members = new MemberRegistry();
  const { storage, boot } = await RaftStorage.open(new NodeDisk(), {
    dataDir,
    clusterId: 'bench',
    memberId: 1,
    initialConfState: { voters: [], learners: [] },
    initialSnapshotData: encodeReplicaSnapshot(members, undefined),
    logger: { warn: () => {} },
  });
  const { entries, hardState } = bootstrapEntries([
    { id: 1, name: 'bench', peerUrls: ['http://127.0.0.1:1'], clientUrls: [] },
  ]);
  await storage.save({ snapshot: undefined, entries, hardState });
  const machine = new StateMachine();
  const replica = new Replica<ApplyResult>({
    id: 1,
    boot: { ...boot, entries, hardState },
    platform: { clock, timers, random: new SeededRandom(1) },
    storage,
    stateMachine: new StateMachinePort(machine, clock),
    peers: { send: () => {} },
    tickIntervalMs: 100,
    electionTicks: 10,
    snapshotCount: args.snapshotCount,
    ...(args.logRatio === undefined ? {} : { snapshotLogRatio: args.logRatio }),
    snapshotCatchUpEntries: 5000,
    requestTimeoutMs: 60_000,
  });
  replica.start();
  while (!replica.isLeader()) await new Promise((r) => setTimeout(r, 10));

  let lastApply = performance.now();
  let maxApplyGap = 0;
  replica.onApplied(() => {
    const now = performance.now();
    maxApplyGap = Math.max(maxApplyGap, now - lastApply);
    lastApply = now;
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const value = new Uint8Array(args.valueBytes).fill(0x61);
  console.log(
    `snapshot-stall: ${args.keys.toLocaleString('en-US')} keys of ${args.valueBytes} B, ` +
      `${args.inFlight} in flight, snapshot every ${args.snapshotCount.toLocaleString('en-US')} entries` +
      (args.logRatio === undefined ? '' : ` and ${args.logRatio} × the last one in log`) +
      ', fsync on',
  );
  console.log(
    '  keys      max loop delay   max apply gap   max put latency   snapshots   puts/s   CPU ms/1k puts',
  );
  // One continuous load (no pause between rows). A row closes half a chunk past each multiple of
  // the chunk, so that the snapshot due at a multiple of --snapshot-count (when it equals the
  // chunk) falls inside a row, not on its edge where its stall would be split between two rows.
  let next = 0;
  let done = 0;
  let maxLatency = 0;
  let rowStart = performance.now();
  let rowDone = 0;
  let rowCpu = process.cpuUsage();
  let snapshotsBefore = replica.stats().snapshotsTaken;
  const half = Math.floor(args.chunk / 2);
  let rowEnd = Math.min(args.keys, args.chunk + half);
  const closeRow = (): void => {
    const seconds = (performance.now() - rowStart) / 1000;
    const snapshots = replica.stats().snapshotsTaken - snapshotsBefore;
    const cpu = process.cpuUsage(rowCpu);
    const cpuMsPer1k = (cpu.user + cpu.system) / (done - rowDone);
    console.log(
      `  ${String(rowEnd).padStart(7)}   ${(loop.max / 1e6).toFixed(1).padStart(10)} ms   ` +
        `${maxApplyGap.toFixed(1).padStart(10)} ms   ${maxLatency.toFixed(1).padStart(12)} ms   ` +
        `${String(snapshots).padStart(9)}   ${Math.round((done - rowDone) / seconds)
          .toString()
          .padStart(6)}   ${cpuMsPer1k.toFixed(0).padStart(14)}`,
    );
    rowCpu = process.cpuUsage();
    loop.reset();
    maxApplyGap = 0;
    maxLatency = 0;
    rowStart = performance.now();
    rowDone = done;
    snapshotsBefore += snapshots;
    rowEnd = Math.min(args.keys, rowEnd + args.chunk);
  };
  const worker = async (): Promise<void> => {
    while (next < args.keys) {
      const i = next++;
      const key = enc.encode(`bench/${String(i).padStart(8, '0')}`);
      const t0 = performance.now();
      await replica.propose(encodeCommand({ type: 'put', request: { key, value } }));
      maxLatency = Math.max(maxLatency, performance.now() - t0);
      if (++done >= rowEnd) closeRow();
    }
  };
  await Promise.all(Array.from({ length: args.inFlight }, worker));
  loop.disable();
  await replica.stop();
  await storage.close();
  rmSync(dataDir, { recursive: true, force: true });
}
