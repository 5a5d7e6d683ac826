/**
 * Real Concord members as child processes on loopback, for the cluster tests. Member i listens
 * for peers on 127.0.0.(i+1), behind a TcpProxy that the test controls, and serves clients on
 * 127.0.0.1. Requests go through the etcd-compatible HTTP JSON gateway, exactly as curl would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/ports.js';
import { TcpProxy } from './tcp-proxy.js';

const MAIN = join(fileURLToPath(import.meta.url), '..', '..', '..', 'server', 'cli', 'main.js');

export interface HarnessMember {
  readonly name: string;
  readonly host: string;
  readonly clientUrl: string;
  readonly dataDir: string;
  readonly proxy: TcpProxy;
  readonly args: string[];
  process: ChildProcess | undefined;
  /** Stopped with SIGSTOP and not yet continued (absent: never paused). */
  paused?: boolean;
  log: string;
}

export interface HarnessOptions {
  readonly size: number;
  readonly snapshotCount?: number;
  readonly heartbeatIntervalMs?: number;
  readonly electionTimeoutMs?: number;
  readonly extraArgs?: readonly string[];
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** base64 of the smallest key greater than every key with this prefix (etcd's range_end for a prefix). */
function prefixEndB64(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      bytes[i]!++;
      return bytes.subarray(0, i + 1).toString('base64');
    }
  }
  return b64('\0');
}

export class ClusterHarness {
  readonly members: HarnessMember[] = [];
  private readonly root: string;

  private constructor(private readonly options: HarnessOptions) {
    this.root = mkdtempSync(join(tmpdir(), 'concord-cluster-'));
  }

  static async start(options: HarnessOptions): Promise<ClusterHarness> {
    for (let attempt = 1; ; attempt++) {
      const h = new ClusterHarness(options);
      try {
        await h.init();
        return h;
      } catch (err) {
        const logs = h.logs();
        const exits = h.members.map(
          (m) => `${m.name}: exit ${String(m.process?.exitCode ?? m.process?.signalCode ?? 'running')}`,
        );
        // members already started must not outlive a failed start (nobody else holds their PIDs)
        await h.stop().catch(() => undefined);
        // A port picked as free can be taken (by any outgoing connection's ephemeral port) before the
        // member binds it: that is the harness's race, not the member's, so it picks new ports once.
        if (attempt === 1 && logs.includes('EADDRINUSE')) continue;
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(`cluster did not start: ${why}\n${exits.join(', ')}\n${logs}`, { cause: err });
      }
    }
  }

  private async init(): Promise<void> {
    const specs: { name: string; host: string; clientPort: number; peerPort: number; proxyPort: number }[] =
      [];
    for (let i = 0; i < this.options.size; i++) {
      const host = `127.0.0.${i + 1}`;
      specs.push({
        name: `m${i + 1}`,
        host,
        clientPort: await freePort(),
        peerPort: await freePort(host),
        proxyPort: await freePort(host),
      });
    }
    const initialCluster = specs.map((s) => `${s.name}=http://${s.host}:${s.proxyPort}`).join(',');
    for (const s of specs) {
      const proxy = new TcpProxy(s.host, s.proxyPort, s.host, s.peerPort);
      await proxy.start();
      const dataDir = join(this.root, s.name);
      const args = [
        MAIN,
        'serve',
        '--name',
        s.name,
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        `http://127.0.0.1:${s.clientPort}`,
        '--listen-peer-urls',
        `http://${s.host}:${s.peerPort}`,
        '--initial-advertise-peer-urls',
        `http://${s.host}:${s.proxyPort}`,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-token',
        'harness',
        '--heartbeat-interval',
        String(this.options.heartbeatIntervalMs ?? 50),
        '--election-timeout',
        String(this.options.electionTimeoutMs ?? 500),
        '--snapshot-count',
        String(this.options.snapshotCount ?? 10000),
        '--log-level',
        'warn',
        ...(this.options.extraArgs ?? []),
      ];
      this.members.push({
        name: s.name,
        host: s.host,
        clientUrl: `http://127.0.0.1:${s.clientPort}`,
        dataDir,
        proxy,
        args,
        process: undefined,
        paused: false,
        log: '',
      });
    }
    for (const m of this.members) this.spawn(m);
    await this.waitForLeader();
  }

  private spawn(m: HarnessMember): void {
    const child = spawn(process.execPath, m.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    m.process = child;
    const keep = (chunk: Buffer): void => {
      m.log = (m.log + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  member(name: string): HarnessMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  /** kill -9 (or another signal) by PID; waits for the process to exit. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(name);
    const child = m.process;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    m.process = undefined;
    m.paused = false;
  }

  /** SIGSTOP by PID: the process freezes with its sockets open, as under a long GC or VM pause. */
  pause(name: string): void {
    const m = this.member(name);
    if (m.process?.pid === undefined || m.paused === true) return;
    process.kill(m.process.pid, 'SIGSTOP');
    m.paused = true;
  }

  /** SIGCONT by PID. */
  resume(name: string): void {
    const m = this.member(name);
    if (m.process?.pid === undefined || m.paused !== true) return;
    process.kill(m.process.pid, 'SIGCONT');
    m.paused = false;
  }

  restart(name: string): void {
    const m = this.member(name);
    if (m.process !== undefined) throw new Error(`${name} is still running`);
    this.spawn(m);
  }

  async request<T>(name: string, path: string, body: unknown, timeoutMs = 3000): Promise<T> {
    const res = await fetch(`${this.member(name).clientUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${name} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async put(name: string, key: string, value: string): Promise<{ header: { revision: string } }> {
    return this.request(name, '/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  async get(name: string, key: string, serializable = false): Promise<string | undefined> {
    const res = await this.request<{ kvs?: { value?: string }[] }>(name, '/v3/kv/range', {
      key: b64(key),
      serializable,
    });
    const kv = res.kvs?.[0];
    return kv === undefined ? undefined : unb64(kv.value);
  }

  async status(
    name: string,
  ): Promise<{ leader: string; header: { member_id: string; revision?: string }; raftIndex?: string }> {
    return this.request(name, '/v3/maintenance/status', {});
  }

  async metric(name: string, metric: string): Promise<number | undefined> {
    const res = await fetch(`${this.member(name).clientUrl}/metrics`, { signal: AbortSignal.timeout(3000) });
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${metric} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  }

  /** Every key and value under `prefix` as one member sees it locally (serializable). */
  async dump(name: string, prefix = ''): Promise<{ revision: string; kvs: Record<string, string> }> {
    const key = prefix === '' ? b64('\0') : b64(prefix);
    const rangeEnd = prefix === '' ? b64('\0') : prefixEndB64(prefix);
    const res = await this.request<{
      header: { revision?: string };
      kvs?: { key: string; value?: string }[];
    }>(name, '/v3/kv/range', {
      key,
      range_end: rangeEnd,
      serializable: true,
    });
    const kvs: Record<string, string> = {};
    for (const kv of res.kvs ?? []) kvs[unb64(kv.key)] = unb64(kv.value);
    return { revision: res.header.revision ?? '0', kvs };
  }

  /** Cut `name` off from every other member, both directions. */
  isolate(name: string): void {
    const m = this.member(name);
    m.proxy.block();
    for (const other of this.members) if (other !== m) other.proxy.block(m.host);
  }

  /** Cut the link from `from` to `to` in that direction only: `from`'s messages to `to` are lost. */
  blockOneWay(from: string, to: string): void {
    this.member(to).proxy.block(this.member(from).host);
  }

  /** Symmetric partition: members in different groups cannot talk; members left out keep every link. */
  partition(groups: readonly (readonly string[])[]): void {
    for (const [i, a] of groups.entries()) {
      for (const [j, b] of groups.entries()) {
        if (i === j) continue;
        for (const from of a) for (const to of b) this.blockOneWay(from, to);
      }
    }
  }

  heal(): void {
    for (const m of this.members) m.proxy.unblock();
  }

  running(): HarnessMember[] {
    return this.members.filter((m) => m.process !== undefined);
  }

  /** Running and not paused: the members that can answer a request. */
  responsive(): HarnessMember[] {
    return this.members.filter((m) => m.process !== undefined && m.paused !== true);
  }

  /** The name of the member that every running member agrees is leader. */
  async waitForLeader(timeoutMs = 20_000): Promise<string> {
    return eventually(
      'a leader agreed by every running member',
      async () => {
        const views = await Promise.all(this.responsive().map((m) => this.status(m.name)));
        const leaders = new Set(views.map((v) => v.leader));
        if (leaders.size !== 1) return undefined;
        const leaderId = [...leaders][0]!;
        if (leaderId === '0' || leaderId === undefined) return undefined;
        const idx = views.findIndex((v) => v.header.member_id === leaderId);
        return idx < 0 ? undefined : this.responsive()[idx]!.name;
      },
      { timeoutMs },
    );
  }

  async stop(): Promise<void> {
    for (const m of this.members) this.resume(m.name);
    for (const m of this.members) await this.kill(m.name, 'SIGKILL');
    for (const m of this.members) await m.proxy.close();
    rmSync(this.root, { recursive: true, force: true });
  }

  logs(): string {
    return this.members.map((m) => `--- ${m.name}\n${m.log}`).join('\n');
  }
}
