/**
 * A cluster of real member processes on loopback, either Concord (`concord serve`) or etcd 3.4
 * (Debian's `etcd`, package etcd-server), started with the same flags: the control runs of the
 * suites that compare Concord's answers with etcd's. Members are named m1..mN, serve clients on
 * 127.0.0.1 and peers on 127.0.0.1 with ports the kernel picks, keep their data in a temporary
 * directory, and are stopped by PID.
 *
 * Unlike test/cluster/harness.ts (Concord only, proxies on the peer links for fault injection),
 * nothing sits between the members here, so both kinds see the same topology.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.js';
import { freePort } from './ports.js';

const CONCORD_MAIN = join(fileURLToPath(import.meta.url), '..', '..', '..', 'server', 'cli', 'main.js');

export type ClusterKind = 'concord' | 'etcd';

export interface LocalMember {
  readonly name: string;
  /** host:port of the client listener (etcdctl's --endpoints form). */
  readonly endpoint: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  process: ChildProcess | undefined;
  log: string;
}

export function etcdAvailable(): boolean {
  const r = spawnSync('etcd', ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** In a `before` hook: fails under CI, else skips the suite, when etcd (the control) is missing. */
export function requireEtcd(ctx: Mocha.Context): void {
  if (etcdAvailable()) return;
  const message = 'etcd is not installed: `apt-get install etcd-server` provides it';
  if (process.env['CI'] === 'true') throw new Error(`${message} (.ci/run installs it; CI=true)`);
  console.warn(`\n  !!! SKIPPED: ${message}\n`);
  ctx.skip();
}

export class LocalCluster {
  readonly members: LocalMember[] = [];
  private readonly root: string;

  private constructor(readonly kind: ClusterKind) {
    this.root = mkdtempSync(join(tmpdir(), `local-${kind}-`));
  }

  /** Starts `size` members and resolves once every one answers /health with a leader known. */
  static async start(kind: ClusterKind, size = 3): Promise<LocalCluster> {
    const c = new LocalCluster(kind);
    try {
      const specs: { name: string; client: number; peer: number }[] = [];
      for (let i = 1; i <= size; i++)
        specs.push({ name: `m${i}`, client: await freePort(), peer: await freePort() });
      const initial = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');
      for (const s of specs) c.launch(s.name, s.client, s.peer, initial, 'new');
      await c.waitHealthy(c.members);
      return c;
    } catch (err) {
      const logs = c.logs();
      await c.stop();
      throw new Error(`${kind} cluster did not start: ${String(err)}\n${logs}`, { cause: err });
    }
  }

  get endpoints(): string[] {
    return this.members.filter((m) => m.process?.exitCode === null).map((m) => m.endpoint);
  }

  member(name: string): LocalMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  /** Ports for a member about to be added with `member add` (its peer URL is what add names). */
  async reserve(): Promise<{ client: number; peer: number; peerUrl: string }> {
    const client = await freePort();
    const peer = await freePort();
    return { client, peer, peerUrl: `http://127.0.0.1:${peer}` };
  }

  /**
   * Starts a member already added to the cluster (`--initial-cluster-state existing`), with the
   * ports `reserve` gave; `initialCluster` lists every member including it, as `member add` printed.
   */
  join(name: string, ports: { client: number; peer: number }, initialCluster: string): LocalMember {
    return this.launch(name, ports.client, ports.peer, initialCluster, 'existing');
  }

  /** Stops one member by PID (`signal`, SIGTERM by default, then SIGKILL) and waits for it to exit. */
  async stopMember(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const m = this.member(name);
    const child = m.process;
    m.process = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    for (const m of this.members) await this.stopMember(m.name);
    rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return this.members.map((m) => `--- ${this.kind} ${m.name}\n${m.log}`).join('\n');
  }

  private launch(
    name: string,
    client: number,
    peer: number,
    initialCluster: string,
    state: 'new' | 'existing',
  ): LocalMember {
    const dataDir = join(this.root, name);
    const clientUrl = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    // The same flags for both kinds: Concord's serve speaks etcd's. Raft timings are etcd's
    // defaults, so that a loaded machine does not turn the comparison into one of elections.
    const flags = [
      '--name', name,
      '--data-dir', dataDir,
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-token', 'local-cluster',
      '--initial-cluster-state', state,
      '--heartbeat-interval', '100',
      '--election-timeout', '1000',
      '--log-level', 'warn',
    ]; // prettier-ignore
    const child =
      this.kind === 'etcd'
        ? spawn('etcd', [...flags, '--logger', 'zap'], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(process.execPath, [CONCORD_MAIN, 'serve', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    const m: LocalMember = {
      name,
      endpoint: `127.0.0.1:${client}`,
      peerUrl,
      dataDir,
      process: child,
      log: '',
    };
    const keep = (chunk: Buffer): void => {
      m.log = (m.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.members.push(m);
    return m;
  }

  /** Every member's /health says true (both kinds serve it on the client port). */
  async waitHealthy(members: readonly LocalMember[], timeoutMs = 60_000): Promise<void> {
    const exited = await eventually(
      'members healthy',
      async () => {
        for (const m of members) {
          if (m.process === undefined || m.process.exitCode !== null) return m;
          const ok = await fetch(`http://${m.endpoint}/health`)
            .then(async (r) => ((await r.json()) as { health?: string }).health === 'true')
            .catch(() => false);
          if (!ok) return undefined;
        }
        return null;
      },
      { timeoutMs },
    );
    if (exited !== null) throw new Error(`${this.kind} ${exited.name} exited:\n${exited.log}`);
  }
}
