/**
 * `npm run bench -- alloc [gc|profile] [--puts N] [--warmup N] [--in-flight N] [--survivors]`: bytes allocated and
 * CPU used per put, on a 3-member cluster with fsync on, puts of 256-byte values one at a time
 * (put-1's pattern; `--in-flight 64` is the scale load's) after a warm-up of the same puts
 * (docs/performance.md, "Single writes (issue 14)").
 *
 * - `gc` (default): members as processes (bench/targets.ts) with `--trace-gc --trace-gc-nvp`; the
 *   `allocated=` bytes of every GC of each member during the measured puts, divided by the puts
 *   (the granularity is one GC: a scavenge is a few MB here, ±2–3 KB a put over 3,000 puts), its
 *   scavenges and mark-compacts, and each member's CPU per put (/proc/<pid>/stat).
 * - `profile`: the three members and the SDK client in this process, V8's sampling heap profiler
 *   with the objects later collected by scavenges and mark-compacts included, so that it samples
 *   what was allocated, not what survived; prints bytes per put by area (folder) and by function.
 *   With `--survivors`, only what outlived every scavenge it met (promoted to the old generation,
 *   or still young at the end): the old generation's intake, live data and garbage that waits for
 *   a full GC alike. Run the bench process with the member's semi-space for the member's figures
 *   (`node --max-semi-space-size=32 dist/bench/index.js alloc profile --survivors`).
 *
 * To compare two builds, run this file from each build's dist (the members run the code of the dist
 * the file is in), interleaved: only pairs a minute apart compare on a shared machine.
 */
import { Session } from 'node:inspector/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArgReader } from './args.js';
import { openDriver } from './drivers.js';
import { cpuMs, firstWrite, startCluster, stopCluster } from './targets.js';
import { startMember, type MemberHandle } from '../server/index.js';
import { freePorts } from '../test/helpers/ports.js';

const USAGE =
  'usage: npm run bench -- alloc [gc|profile] [--puts N] [--warmup N] [--size 3] [--in-flight 1] [--survivors] [--node-flag --max-semi-space-size=2 ...]';
const KEY_SPACE = 10_000;

interface AllocArgs {
  readonly mode: 'gc' | 'profile';
  readonly puts: number;
  readonly warmup: number;
  readonly size: number;
  /** Puts in flight at once: 1 is put-1's pattern, 64 the scale load's (bench/scale.ts). */
  readonly inFlight: number;
  /** `gc` only: more node/V8 flags for the members (a smaller semi-space: more GCs, a finer count). */
  readonly nodeFlags: readonly string[];
  /** `profile` only: leave out what a scavenge collected (see the file's comment). */
  readonly survivors: boolean;
}

function parse(argv: readonly string[]): AllocArgs {
  let mode: AllocArgs['mode'] = 'gc';
  let puts = 3000;
  let warmup = 3000;
  let size = 3;
  let inFlight = 1;
  const nodeFlags: string[] = [];
  let survivors = false;
  const r = new ArgReader(argv, USAGE);
  for (let f = r.flag(); f !== undefined; f = r.flag()) {
    if (f === 'gc' || f === 'profile') mode = f;
    else if (f === '--puts') puts = r.integer(f);
    else if (f === '--warmup') warmup = r.integer(f);
    else if (f === '--size') size = r.integer(f);
    else if (f === '--in-flight') inFlight = r.integer(f);
    else if (f === '--node-flag') nodeFlags.push(r.value(f));
    else if (f === '--survivors') survivors = true;
    else throw r.unknown(f);
  }
  return { mode, puts, warmup, size, inFlight, nodeFlags, survivors };
}

export async function run(argv: string[]): Promise<void> {
  const a = parse(argv);
  console.log(
    `alloc ${a.mode}: ${a.puts} puts (${a.inFlight} in flight) after ${a.warmup}, load average ${loadavg()[0]?.toFixed(2)}`,
  );
  if (a.mode === 'gc') await runGc(a);
  else await runProfile(a);
  console.log(`load average at the end ${loadavg()[0]?.toFixed(2)}`);
}

/**
 * `n` puts of 256-byte values on random keys of put-1's key space, `inFlight` at a time (each
 * caller issues its next put when its previous one returned).
 */
async function putLoop(
  put: (key: string, value: Uint8Array) => Promise<void>,
  n: number,
  inFlight: number,
): Promise<number> {
  const value = new Uint8Array(256).fill(120);
  const start = performance.now();
  let issued = 0;
  const caller = async (): Promise<void> => {
    while (issued < n) {
      issued++;
      const k = Math.floor(Math.random() * KEY_SPACE);
      await put(`bench/kv/${k.toString().padStart(5, '0')}`, value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, caller));
  return performance.now() - start;
}

interface GcSummary {
  readonly allocated: number;
  readonly promoted: number;
  readonly scavenges: number;
  readonly markCompacts: number;
}

/** Sums the `--trace-gc-nvp` lines of `text` (one line per GC). */
export function sumGcLines(text: string): GcSummary {
  let allocated = 0;
  let promoted = 0;
  let scavenges = 0;
  let markCompacts = 0;
  for (const line of text.split('\n')) {
    const alloc = /\ballocated=(\d+)/.exec(line);
    if (alloc === null) continue;
    allocated += Number(alloc[1]);
    promoted += Number(/\bpromoted=(\d+)/.exec(line)?.[1] ?? 0);
    const kind = /\bgc=(\w+)/.exec(line)?.[1];
    if (kind === 's') scavenges++;
    else if (kind === 'mc' || kind === 'mmc') markCompacts++;
  }
  return { allocated, promoted, scavenges, markCompacts };
}

async function runGc(a: AllocArgs): Promise<void> {
  const logDir = mkdtempSync(join(tmpdir(), 'bench-alloc-'));
  try {
    const cluster = await startCluster('concord', {
      size: a.size,
      nodeFlags: ['--trace-gc', '--trace-gc-nvp', ...a.nodeFlags],
      logDir,
      warmupPuts: a.warmup,
    });
    try {
      const leader = await cluster.target.waitForLeader();
      const logOf = (name: string): string => {
        try {
          return readFileSync(join(logDir, `concord-${name}.log`), 'utf8');
        } catch {
          return '';
        }
      };
      const members = cluster.target.members;
      const logStart = members.map((m) => logOf(m.name).length);
      const cpuStart = members.map((m) => cpuMs(m.proc?.pid));
      const ms = await putLoop((k, v) => cluster.driver.put(k, v), a.puts, a.inFlight);
      const cpuEnd = members.map((m) => cpuMs(m.proc?.pid));
      console.log(`${a.puts} puts in ${ms.toFixed(0)} ms (${((ms * 1000) / a.puts).toFixed(0)} µs a put)`);
      console.log(
        '| member | role | KB allocated a put | KB promoted a put | scavenges | mark-compacts | CPU ms a put |',
      );
      console.log('| --- | --- | --- | --- | --- | --- | --- |');
      members.forEach((m, i) => {
        const s = sumGcLines(logOf(m.name).slice(logStart[i]));
        const cpu = ((cpuEnd[i] as number) - (cpuStart[i] as number)) / a.puts;
        const role = m === leader ? 'leader' : 'follower';
        console.log(
          `| ${m.name} | ${role} | ${(s.allocated / a.puts / 1024).toFixed(1)} | ${(s.promoted / a.puts / 1024).toFixed(2)} | ${s.scavenges} | ${s.markCompacts} | ${cpu.toFixed(3)} |`,
        );
      });
    } finally {
      await stopCluster(cluster);
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// profile: the whole cluster and its client in this process

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly ProfileNode[];
}

/** The folder a script belongs to, for the totals by area. */
function areaOf(url: string): string {
  const m = /\/dist\/((?:server|client)\/[^/]+|bench|test)\//.exec(url);
  if (m !== null) return m[1] as string;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (nm !== null) return `node_modules/${nm[1]}`;
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  return url === '' ? '(native)' : 'other';
}

async function runProfile(a: AllocArgs): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'bench-alloc-profile-'));
  const ports = await freePorts(a.size * 2);
  const specs = Array.from({ length: a.size }, (_, i) => ({
    name: `m${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const handles: MemberHandle[] = [];
  try {
    for (const s of specs)
      handles.push(
        await startMember({
          name: s.name,
          dataDir: join(root, s.name),
          listenClientUrls: [s.clientUrl],
          listenPeerUrls: [s.peerUrl],
          initialAdvertisePeerUrls: [s.peerUrl],
          initialCluster: specs.map((x) => ({ name: x.name, peerUrls: [x.peerUrl] })),
          initialClusterToken: 'bench-alloc',
          logLevel: 'warn',
        }),
      );
    const driver = openDriver(
      'concord',
      specs.map((s) => s.clientUrl),
    );
    try {
      await firstWrite(driver, 40);
      await putLoop((k, v) => driver.put(k, v), a.warmup, a.inFlight);
      const session = new Session();
      session.connect();
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !a.survivors,
      });
      const ms = await putLoop((k, v) => driver.put(k, v), a.puts, a.inFlight);
      const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as {
        profile: { head: ProfileNode };
      };
      session.disconnect();
      console.log(
        `${a.puts} puts in ${ms.toFixed(0)} ms${a.survivors ? ', what outlived its scavenges only' : ''}`,
      );
      report(profile.head, a.puts);
    } finally {
      await driver.close();
    }
  } finally {
    for (const h of handles) await h.stop().catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
}

function report(head: ProfileNode, puts: number): void {
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode): void => {
    if (n.selfSize > 0) {
      const { functionName, url, lineNumber } = n.callFrame;
      const area = areaOf(url);
      byArea.set(area, (byArea.get(area) ?? 0) + n.selfSize);
      const file = url.replace(/^.*\/dist\//, '').replace(/^.*node_modules\//, '');
      const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
      byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
      total += n.selfSize;
    }
    for (const c of n.children) walk(c);
  };
  walk(head);
  const kb = (b: number): string => (b / puts / 1024).toFixed(2);
  console.log(`total ${kb(total)} KB a put (members and client together)`);
  console.log('| area | KB a put |\n| --- | --- |');
  for (const [area, b] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 25))
    console.log(`| ${area} | ${kb(b)} |`);
  console.log('| function | KB a put |\n| --- | --- |');
  for (const [fn, b] of [...byFn].sort((x, y) => y[1] - x[1]).slice(0, 45))
    console.log(`| ${fn} | ${kb(b)} |`);
}
