/**
 * `npm run bench -- boot-ab fixture --out DIR [--keys 524288] [--catch-up-keys 30000]`
 * `npm run bench -- boot-ab time --fixture DIR --dists A,B [--rounds 3] [--scenario restart|catch-up]`
 *
 * Boots of one fixture compared across builds (issue 14, "Restart and catch-up"): a whole scale
 * run per measurement costs minutes of loading and its restart time moves ±2× with the machine's
 * load, so the data is loaded once and every boot starts from a fresh copy of it, the builds taking
 * turns (A, B, A, B, …) so that a change in the load hits both alike.
 *
 * `fixture` loads `--keys` distinct keys of 256-byte values into a 3-member Concord cluster (fsync
 * on, `--snapshot-count 10000`, 64 puts in flight, the keys of `scale`), stops it and copies the
 * data directories to `DIR/restart/`; then starts it again, stops a follower, writes
 * `--catch-up-keys` more keys, stops the rest and copies the directories to `DIR/catch-up/` (with
 * the lagging member's name in `DIR/fixture.json`). The members' command lines (their ports are in
 * the replicated membership, so a boot must reuse them) are saved beside.
 *
 * `time` boots each `--dists` build (a `dist` directory: `<dist>/server/cli/main.js` is run) from
 * fresh copies, `--rounds` times each, alternating:
 * - `restart`: all three at once, until a linearizable read succeeds on any of them;
 * - `catch-up`: the two up-to-date members first (until a read succeeds), then the lagging one,
 *   until its revision equals the leader's.
 * It prints per boot the time, the load average, and each member's `boot` log line (step times).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDriver } from './drivers.js';
import { startCluster, stopCluster } from './targets.js';
import { countedLoop } from './workloads.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** How long one boot may take before it counts as failed. */
const BOOT_TIMEOUT_MS = 10 * 60_000;
/** The placeholder of a member's data directory in the saved command lines. */
const DATA_DIR = '<data-dir>';

interface FixtureMember {
  readonly name: string;
  readonly clientUrl: string;
  /** `serve` and its flags (the data directory as DATA_DIR), without node and the script. */
  readonly serveArgs: readonly string[];
}

interface Fixture {
  readonly keys: number;
  readonly catchUpKeys: number;
  readonly lagging: string;
  readonly members: readonly FixtureMember[];
}

function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function makeFixture(argv: readonly string[]): Promise<void> {
  const out = resolve(flag(argv, '--out') ?? join(tmpdir(), 'boot-fixture'));
  const keys = Number(flag(argv, '--keys') ?? 524_288);
  const catchUpKeys = Number(flag(argv, '--catch-up-keys') ?? 30_000);
  const value = new Uint8Array(256);
  for (let i = 0; i < value.length; i++) value[i] = (i * 131 + 7) & 0xff;
  const c = await startCluster('concord', { size: 3, snapshotCount: 10_000, startTimeoutMs: 60_000 });
  try {
    const t = c.target;
    const t0 = performance.now();
    const r = await countedLoop(64, keys, (seq) =>
      c.driver.put(`scale/${seq.toString().padStart(10, '0')}`, value),
    );
    console.error(
      `loaded ${r.ops} keys (${r.errors} failed) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    const members: FixtureMember[] = t.members.map((m) => {
      const at = m.args.indexOf('serve');
      const serveArgs = m.args.slice(at).map((a) => (a === m.dataDir ? DATA_DIR : a));
      return { name: m.name, clientUrl: m.clientUrl, serveArgs };
    });
    await Promise.all(t.members.map((m) => t.halt(m, 120_000)));
    mkdirSync(out, { recursive: true });
    for (const m of t.members) cpSync(m.dataDir, join(out, 'restart', m.name), { recursive: true });

    for (const m of t.members) t.restart(m);
    const leader = await t.waitForLeader(BOOT_TIMEOUT_MS);
    const lagging = t.members.find((m) => m !== leader)!;
    await t.halt(lagging, 120_000);
    const writer = openDriver(
      'concord',
      t.members.filter((m) => m !== lagging).map((m) => m.clientUrl),
    );
    try {
      const w = await countedLoop(64, catchUpKeys, (seq) =>
        writer.put(`scale/catch-up/${seq.toString().padStart(8, '0')}`, value),
      );
      console.error(`wrote ${w.ops} keys (${w.errors} failed) with ${lagging.name} down`);
    } finally {
      await writer.close();
    }
    await Promise.all(t.members.map((m) => t.halt(m, 120_000)));
    for (const m of t.members) cpSync(m.dataDir, join(out, 'catch-up', m.name), { recursive: true });
    const fixture: Fixture = { keys, catchUpKeys, lagging: lagging.name, members };
    writeFileSync(join(out, 'fixture.json'), JSON.stringify(fixture, null, 1));
    console.error(`fixture in ${out}`);
  } finally {
    await stopCluster(c);
  }
}

interface Running {
  readonly member: FixtureMember;
  readonly proc: ChildProcess;
  log: string;
}

function startMember(dist: string, m: FixtureMember, dataDir: string): Running {
  const args = m.serveArgs.map((a) => (a === DATA_DIR ? dataDir : a));
  const level = args.indexOf('--log-level');
  if (level >= 0) args[level + 1] = 'info';
  else args.push('--log-level', 'info');
  const proc = spawn(process.execPath, [join(dist, 'server', 'cli', 'main.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: Running = { member: m, proc, log: '' };
  const keep = (chunk: Buffer): void => {
    running.log += chunk.toString();
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return running;
}

async function stopMember(r: Running): Promise<void> {
  if (r.proc.exitCode !== null || r.proc.signalCode !== null) return;
  const exited = new Promise<void>((done) => r.proc.once('exit', () => done()));
  r.proc.kill('SIGKILL');
  await exited;
}

async function gateway(url: string, path: string, body: unknown): Promise<unknown> {
  try {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(1000),
    });
    return res.ok ? ((await res.json()) as unknown) : undefined;
  } catch {
    return undefined;
  }
}

const readsOn = async (url: string): Promise<boolean> =>
  (await gateway(url, '/v3/kv/range', { key: Buffer.from('probe').toString('base64') })) !== undefined;

async function revisionOf(url: string): Promise<number> {
  const j = (await gateway(url, '/v3/maintenance/status', {})) as
    { header?: { revision?: string | number } } | undefined;
  return Number(j?.header?.revision ?? NaN);
}

async function until(done: () => Promise<boolean>, since: number): Promise<number> {
  while (performance.now() - since < BOOT_TIMEOUT_MS) {
    if (await done()) return performance.now() - since;
    await sleep(20);
  }
  return NaN;
}

/** The `boot` line's fields of a member's log, if it logged one. */
function bootLine(log: string): Record<string, unknown> | undefined {
  for (const line of log.split('\n')) {
    if (!line.includes('"boot"')) continue;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      if (j['msg'] === 'boot') return j;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

const STEPS = ['processAgeAtStartMs', 'walMs', 'snapshotMs', 'replayMs', 'restoreMs', 'listenMs'];

async function timeOne(
  dist: string,
  fixtureDir: string,
  fixture: Fixture,
  scenario: 'restart' | 'catch-up',
): Promise<{ ms: number; boots: string[] }> {
  const copy = mkdtempSync(join(tmpdir(), 'boot-ab-'));
  const running: Running[] = [];
  try {
    cpSync(join(fixtureDir, scenario), copy, { recursive: true });
    const start = (m: FixtureMember): Running => {
      const r = startMember(dist, m, join(copy, m.name));
      running.push(r);
      return r;
    };
    let ms: number;
    if (scenario === 'restart') {
      const t0 = performance.now();
      for (const m of fixture.members) start(m);
      ms = await until(
        async () => (await Promise.all(fixture.members.map((m) => readsOn(m.clientUrl)))).some((x) => x),
        t0,
      );
    } else {
      const others = fixture.members.filter((m) => m.name !== fixture.lagging);
      for (const m of others) start(m);
      await until(
        async () => (await Promise.all(others.map((m) => readsOn(m.clientUrl)))).some((x) => x),
        performance.now(),
      );
      const revisions = await Promise.all(others.map((m) => revisionOf(m.clientUrl)));
      const target = Math.max(...revisions.filter((r) => Number.isFinite(r)));
      const lagging = fixture.members.find((m) => m.name === fixture.lagging)!;
      const t0 = performance.now();
      start(lagging);
      ms = await until(async () => (await revisionOf(lagging.clientUrl)) >= target, t0);
    }
    const boots = running.map((r) => {
      const b = bootLine(r.log);
      const steps = STEPS.map((s) => `${s.replace(/Ms$/, '')} ${String(b?.[s] ?? '?')}`).join(', ');
      return `${r.member.name}: ${steps}`;
    });
    return { ms, boots };
  } finally {
    await Promise.all(running.map(stopMember));
    rmSync(copy, { recursive: true, force: true });
  }
}

async function timeBoots(argv: readonly string[]): Promise<void> {
  const fixtureDir = resolve(flag(argv, '--fixture') ?? join(tmpdir(), 'boot-fixture'));
  const dists = (flag(argv, '--dists') ?? '')
    .split(',')
    .filter((d) => d !== '')
    .map((d) => resolve(d));
  if (dists.length === 0) throw new Error('--dists A[,B…] is required');
  const rounds = Number(flag(argv, '--rounds') ?? 3);
  const scenario = flag(argv, '--scenario') === 'catch-up' ? 'catch-up' : 'restart';
  const fixture = JSON.parse(readFileSync(join(fixtureDir, 'fixture.json'), 'utf8')) as Fixture;
  const times = new Map<string, number[]>(dists.map((d) => [d, []]));
  for (let round = 0; round < rounds; round++) {
    for (const dist of round % 2 === 0 ? dists : [...dists].reverse()) {
      const load = loadavg()[0]!.toFixed(1);
      const { ms, boots } = await timeOne(dist, fixtureDir, fixture, scenario);
      times.get(dist)!.push(ms);
      console.log(`${scenario} ${dist}: ${(ms / 1000).toFixed(2)} s (load ${load})`);
      for (const b of boots) console.log(`  ${b}`);
    }
  }
  for (const [dist, ms] of times) {
    const sorted = [...ms].sort((a, b) => a - b);
    console.log(
      `${dist}: median ${((sorted[Math.floor(sorted.length / 2)] ?? NaN) / 1000).toFixed(2)} s of ${ms
        .map((m) => (m / 1000).toFixed(2))
        .join(', ')}`,
    );
  }
}

export async function run(argv: string[]): Promise<void> {
  const [mode, ...rest] = argv;
  if (mode === 'fixture') await makeFixture(rest);
  else if (mode === 'time') await timeBoots(rest);
  else throw new Error('usage: boot-ab fixture --out DIR [--keys N] | time --fixture DIR --dists A,B');
}
