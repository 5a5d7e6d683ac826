/**
 * Launchers of the two targets as separate processes on 127.0.0.1: Concord members
 * (`node dist/server/cli/main.js serve`) and etcd members (Debian's etcd 3.4). Both keep fsync on
 * and their default heartbeat (100 ms) and election timeout (1000 ms). Data lives in a fresh temp
 * directory that stop() removes; processes are stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
// the tests' port picker: one place that never hands out a port twice in a process
import { freePort } from '../test/helpers/ports.js';
import { openDriver, type Driver, type DriverClient } from './drivers.js';
import type { TargetName } from './stats.js';

const CONCORD_MAIN = join(fileURLToPath(import.meta.url), '..', '..', 'server', 'cli', 'main.js');

export interface TargetOptions {
  /** members: 3 by default, 1 on request */
  readonly size: number;
  /**
   * Concord only: write .cpuprofile files (node --cpu-prof) into a directory per member under this
   * one (`concord-<name>-<ms>/`, one file per thread: the member's worker and the main thread).
   */
  readonly cpuProfileDir?: string;
  /** Concord only: more node/V8 flags for each member (e.g. `--trace-gc`, `--max-semi-space-size=32`) */
  readonly nodeFlags?: readonly string[];
  /** write each member's whole stdout and stderr to `<logDir>/<target>-<member>.log` (appended) */
  readonly logDir?: string;
  /** how long to wait for a leader at start, ms */
  readonly startTimeoutMs?: number;
  /** `--snapshot-count` of both targets (their own default when absent: 10,000 and 100,000) */
  readonly snapshotCount?: number;
  /** `--quota-backend-bytes` of both targets (their own default when absent: 2 GiB) */
  readonly quotaBackendBytes?: number;
  /** startCluster's warm-up writes after the first (default WARMUP_PUTS) */
  readonly warmupPuts?: number | undefined;
  /** Concord only: V8's `--max-old-space-size` of each member, MiB (Node's default when absent) */
  readonly heapMiB?: number;
  /** The client startCluster's driver uses ('native' by default: drivers.ts). */
  readonly client?: DriverClient;
  /**
   * Concord only: each member's `--log-level` (default `warn`); `info` adds the snapshot lines
   * (`snapshot written`, `snapshot taken`) with their timestamps
   */
  readonly memberLogLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** What maintenance.status says about one member (the revision is this member's own). */
export interface MemberStatus {
  readonly memberId: string;
  /** '0' or '' while the member knows no leader */
  readonly leader: string;
  readonly revision: number;
}

export interface BenchMember {
  readonly name: string;
  readonly clientUrl: string;
  readonly dataDir: string;
  readonly args: readonly string[];
  proc: ChildProcess | undefined;
  log: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process in MiB (VmRSS of /proc/<pid>/status), NaN if unknown. */
export function rssMiB(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU time a process has used so far (user + system, all its threads), in ms: utime + stime of
 * /proc/<pid>/stat, counted in clock ticks of 10 ms (Linux's USER_HZ of 100). NaN if unknown.
 */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // after "pid (comm) ": state is field 0, utime field 11, stime field 12
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

/** Installs Debian's etcd-server if `etcd` is missing (root only). Returns why not, or undefined. */
export function ensureEtcd(log: (line: string) => void = console.error): string | undefined {
  if (spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0) return undefined;
  if (process.getuid?.() !== 0)
    return 'etcd is not installed and this is not root (apt-get install etcd-server)';
  log('bench: etcd missing; installing Debian etcd-server + etcd-client (apt-get)…');
  const upd = spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  const inst = spawnSync('apt-get', ['install', '-y', 'etcd-server', 'etcd-client'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (
    upd.status !== 0 ||
    inst.status !== 0 ||
    spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status !== 0
  )
    return 'apt-get install etcd-server failed';
  // The package may start a system etcd on 2379; the bench uses its own free ports anyway.
  return undefined;
}

/** Members still running, killed by PID if the benchmark process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      for (const c of running) c.kill('SIGKILL');
      process.exit(130);
    });
}

export class Target {
  readonly members: BenchMember[] = [];
  private readonly root: string;

  private constructor(
    readonly name: TargetName,
    private readonly options: TargetOptions,
  ) {
    if (options.size < 1 || options.size > 7) throw new RangeError(`size must be 1..7, got ${options.size}`);
    this.root = mkdtempSync(join(tmpdir(), `bench-${name}-`));
  }

  static async start(name: TargetName, options: TargetOptions): Promise<Target> {
    const t = new Target(name, options);
    try {
      await t.init();
    } catch (e) {
      await t.stop();
      throw e;
    }
    return t;
  }

  get clientUrls(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  private async init(): Promise<void> {
    const specs: { name: string; client: number; peer: number }[] = [];
    for (let i = 0; i < this.options.size; i++)
      specs.push({ name: `m${i + 1}`, client: await freePort(), peer: await freePort() });
    const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
    for (const s of specs) {
      const dataDir = join(this.root, s.name);
      const clientUrl = `http://127.0.0.1:${s.client}`;
      const peerUrl = `http://127.0.0.1:${s.peer}`;
      const common = [
        '--name',
        s.name,
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        clientUrl,
        '--advertise-client-urls',
        clientUrl,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        initial,
        '--initial-cluster-token',
        'bench',
        '--initial-cluster-state',
        'new',
        ...(this.options.snapshotCount === undefined
          ? []
          : ['--snapshot-count', String(this.options.snapshotCount)]),
        ...(this.options.quotaBackendBytes === undefined
          ? []
          : ['--quota-backend-bytes', String(this.options.quotaBackendBytes)]),
      ];
      const args =
        this.name === 'concord'
          ? [
              ...(this.options.heapMiB === undefined ? [] : [`--max-old-space-size=${this.options.heapMiB}`]),
              ...(this.options.nodeFlags ?? []),
              ...(this.options.cpuProfileDir === undefined
                ? []
                : [
                    // A directory per member: the member's worker thread writes its own profile
                    // next to the main thread's (one fixed --cpu-prof-name would make them collide).
                    '--cpu-prof',
                    '--cpu-prof-dir',
                    join(this.options.cpuProfileDir, `concord-${s.name}-${Date.now()}`),
                  ]),
              CONCORD_MAIN,
              'serve',
              ...common,
              '--log-level',
              this.options.memberLogLevel ?? 'warn',
            ]
          : [...common, '--logger', 'zap', '--log-level', 'error'];
      this.members.push({ name: s.name, clientUrl, dataDir, args, proc: undefined, log: '' });
    }
    for (const m of this.members) this.spawn(m);
    await this.waitForLeader(this.options.startTimeoutMs ?? 30_000);
  }

  private spawn(m: BenchMember): void {
    const cmd = this.name === 'concord' ? process.execPath : 'etcd';
    const child = spawn(cmd, m.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    m.proc = child;
    track(child);
    const file =
      this.options.logDir === undefined ? undefined : join(this.options.logDir, `${this.name}-${m.name}.log`);
    const keep = (chunk: Buffer): void => {
      m.log = (m.log + chunk.toString()).slice(-8_000);
      if (file !== undefined) appendFileSync(file, chunk);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (e) => keep(Buffer.from(String(e))));
  }

  private alive(m: BenchMember): boolean {
    return m.proc !== undefined && m.proc.exitCode === null && m.proc.signalCode === null;
  }

  /** A POST to the etcd-compatible JSON gateway both targets serve; undefined on any failure. */
  private async gateway(m: BenchMember, path: string, body: unknown): Promise<unknown> {
    try {
      const res = await fetch(`${m.clientUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(1000),
      });
      if (!res.ok) return undefined;
      return (await res.json()) as unknown;
    } catch {
      return undefined;
    }
  }

  /** maintenance.status of one member, whether or not it knows a leader. */
  async memberStatus(m: BenchMember): Promise<MemberStatus | undefined> {
    const j = (await this.gateway(m, '/v3/maintenance/status', {})) as
      | {
          leader?: string;
          header?: { member_id?: string; revision?: string | number };
        }
      | undefined;
    if (j?.header?.member_id === undefined) return undefined;
    return {
      memberId: j.header.member_id,
      leader: j.leader ?? '',
      revision: Number(j.header.revision ?? NaN),
    };
  }

  /** maintenance.status of a member that knows a leader (undefined otherwise). */
  async status(m: BenchMember): Promise<{ memberId: string; leader: string } | undefined> {
    const s = await this.memberStatus(m);
    if (s === undefined || s.leader === '' || s.leader === '0') return undefined;
    return { memberId: s.memberId, leader: s.leader };
  }

  /** One linearizable range of `key` on this member through the gateway; whether it succeeded. */
  async linearizableRead(m: BenchMember, key: string): Promise<boolean> {
    const j = await this.gateway(m, '/v3/kv/range', { key: Buffer.from(key).toString('base64') });
    return j !== undefined;
  }

  /** Snapshots this member took since it started (its /metrics), NaN if unknown. */
  async snapshotsTaken(m: BenchMember): Promise<number> {
    const metric =
      this.name === 'concord'
        ? 'concord_server_snapshots_taken_total'
        : 'etcd_debugging_snap_save_total_duration_seconds_count';
    try {
      const res = await fetch(`${m.clientUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
      if (!res.ok) return NaN;
      const line = (await res.text()).split('\n').find((l) => l.startsWith(`${metric} `));
      return line === undefined ? NaN : Number(line.slice(metric.length + 1));
    } catch {
      return NaN;
    }
  }

  /** The member that is leader for every live member, waiting up to timeoutMs. */
  async waitForLeader(timeoutMs = 15_000): Promise<BenchMember> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.members.filter((m) => this.alive(m));
      const st = await Promise.all(live.map((m) => this.status(m)));
      const leaders = new Set(st.map((s) => s?.leader));
      if (st.every((s) => s !== undefined) && leaders.size === 1) {
        const leaderId = st[0]!.leader;
        const idx = st.findIndex((s) => s!.memberId === leaderId);
        if (idx >= 0) return live[idx]!;
      }
      if (Date.now() > deadline) {
        const logs = this.members.map((m) => `--- ${m.name}\n${m.log.slice(-1500)}`).join('\n');
        throw new Error(`${this.name}: no agreed leader within ${timeoutMs} ms\n${logs}`);
      }
      await sleep(100);
    }
  }

  /** kill -9 of one member by PID; resolves once it exited. */
  async kill(m: BenchMember, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = m.proc;
    if (child === undefined || !this.alive(m)) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
    m.proc = undefined;
  }

  /** SIGTERM of one member by PID (SIGKILL after graceMs); its data directory stays. */
  async halt(m: BenchMember, graceMs = 10_000): Promise<void> {
    const child = m.proc;
    if (child === undefined || !this.alive(m)) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    m.proc = undefined;
  }

  restart(m: BenchMember): void {
    if (this.alive(m)) throw new Error(`${m.name} is still running`);
    this.spawn(m);
  }

  /** VmRSS per member in MiB (NaN for a stopped member). */
  rss(): Record<string, number> {
    return Object.fromEntries(
      this.members.map((m) => [m.name, rssMiB(this.alive(m) ? m.proc?.pid : undefined)]),
    );
  }

  /** CPU time used so far per member, ms (NaN for a stopped member): see `cpuMs`. */
  cpu(): Record<string, number> {
    return Object.fromEntries(
      this.members.map((m) => [m.name, cpuMs(this.alive(m) ? m.proc?.pid : undefined)]),
    );
  }

  /** Disk space each member's data directory takes, in bytes (allocated blocks, as `du`). */
  dataDirBytes(): Record<string, number> {
    return Object.fromEntries(this.members.map((m) => [m.name, diskUsage(m.dataDir)]));
  }

  /** SIGTERM (then SIGKILL after 10 s) every member, then remove the data directories. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => this.halt(m)));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Bytes allocated to a file or a directory tree (st_blocks × 512), 0 if it does not exist. */
export function diskUsage(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  let total = st.blocks * 512;
  if (st.isDirectory()) for (const f of readdirSync(path)) total += diskUsage(join(path, f));
  return total;
}

/**
 * Puts the warm-up sends after the first one succeeded. A fresh Concord member runs its request
 * path unoptimised at first: V8 compiles the hot functions only after many calls, and put-1's p50
 * fell from 4.6 to 1.3–1.8 ms over its first ~3,000 puts (load 18; etcd, compiled ahead of time,
 * went from 2.0 to 1.7 ms) — without this, `all` compared Concord's cold start with etcd's
 * steady state.
 */
export const WARMUP_PUTS = 3000;
/** One at a time, as put-1: with 16 in flight the per-Ready code ran 16× less often and stayed cold. */
const WARMUP_IN_FLIGHT = 1;

/** A started target and a driver connected to it, warmed up (see WARMUP_PUTS). */
export interface Cluster {
  readonly target: Target;
  readonly driver: Driver;
}

/**
 * Starts a target and connects a driver; the connection, the first election and the warm-up
 * happen outside any measurement: a first write retried while the cluster settles, then
 * WARMUP_PUTS more. Stop with
 * stopCluster().
 */
export async function startCluster(name: TargetName, options: TargetOptions): Promise<Cluster> {
  const target = await Target.start(name, options);
  const driver = openDriver(name, target.clientUrls, { client: options.client ?? 'native' });
  try {
    await firstWrite(driver, 20);
    let next = 0;
    const value = new Uint8Array(256);
    const warm = async (): Promise<void> => {
      for (let i = next++; i < (options.warmupPuts ?? WARMUP_PUTS); i = next++)
        await driver.put(`bench/warmup/${i % 64}`, value);
    };
    await Promise.all(Array.from({ length: WARMUP_IN_FLIGHT }, warm));
  } catch (e) {
    await stopCluster({ target, driver });
    throw e;
  }
  return { target, driver };
}

/** A first write, retried every 250 ms up to `attempts` times while a new cluster settles. */
export async function firstWrite(driver: Pick<Driver, 'put'>, attempts: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await driver.put('bench/warmup', new Uint8Array(8));
      return;
    } catch (e) {
      if (attempt >= attempts) throw e;
      await sleep(250);
    }
  }
}

export async function stopCluster(c: Cluster): Promise<void> {
  try {
    await c.driver.close();
  } finally {
    await c.target.stop();
  }
}
