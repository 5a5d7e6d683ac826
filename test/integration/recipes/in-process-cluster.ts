/**
 * Three real members in this process (startMember) over loopback, with fixed ports so a stopped
 * member comes back on the same URLs. `crash(name)` closes the client port and stops the core
 * without handing leadership over (the closest in-process thing to kill -9); `restart(name)` starts
 * it again from its data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../../client/index.js';
import { stopCore } from '../../../server/member/member.js';
import { startMember, type MemberConfig, type MemberHandle } from '../../../server/index.js';
import { eventually } from '../../helpers/eventually.js';
import { freePorts } from '../../helpers/ports.js';

interface Spec {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

export class InProcessCluster {
  private readonly handles = new Map<string, MemberHandle | undefined>();
  private readonly published = new Set<string>();

  private constructor(
    private readonly root: string,
    private readonly specs: readonly Spec[],
    private readonly extra: MemberConfig,
  ) {}

  /** `extra`: config every member gets on top of the cluster's (e.g. a short `authTokenTtl`). */
  static async start(size = 3, extra: MemberConfig = {}): Promise<InProcessCluster> {
    const root = mkdtempSync(join(tmpdir(), 'concord-recipes-'));
    const ports = await freePorts(size * 2);
    const specs = Array.from({ length: size }, (_, i) => ({
      name: `r${i + 1}`,
      clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
      peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
    }));
    const c = new InProcessCluster(root, specs, extra);
    await Promise.all(specs.map((s) => c.restart(s.name)));
    await c.waitForLeader();
    return c;
  }

  get endpoints(): string[] {
    return this.specs.map((s) => s.clientUrl);
  }

  client(requestTimeoutMs = 8000): Client {
    return new Client({
      endpoints: this.endpoints,
      requestTimeoutMs,
      backoff: { initialDelayMs: 20, maxDelayMs: 300 },
    });
  }

  async restart(name: string): Promise<void> {
    const spec = this.specs.find((s) => s.name === name)!;
    const handle = await startMember(
      {
        name,
        dataDir: join(this.root, name),
        listenClientUrls: [spec.clientUrl],
        listenPeerUrls: [spec.peerUrl],
        initialAdvertisePeerUrls: [spec.peerUrl],
        initialCluster: this.specs.map((s) => ({ name: s.name, peerUrls: [s.peerUrl] })),
        initialClusterToken: 'recipes',
        heartbeatInterval: 50,
        electionTimeout: 500,
        logLevel: 'info',
        unsafeNoFsync: true,
        ...this.extra,
      },
      {
        logWrite: (line) => {
          if (line.includes('published client URLs')) this.published.add(name);
        },
      },
    );
    this.handles.set(name, handle);
  }

  leaderName(): string | undefined {
    for (const [name, h] of this.handles) if (h?.internals.core.replica.isLeader() === true) return name;
    return undefined;
  }

  async waitForLeader(): Promise<string> {
    return eventually('a leader', () => this.leaderName(), { timeoutMs: 20_000 });
  }

  /** Stops a member abruptly: no leadership transfer, client connections dropped. */
  async crash(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (h === undefined) return;
    this.published.delete(name);
    this.handles.set(name, undefined);
    await h.internals.api.close();
    await stopCore(h.internals.core);
  }

  /** Crashes the leader, waits for a new one, restarts the old one. Returns the crashed name. */
  async crashLeader(): Promise<string> {
    const leader = await this.waitForLeader();
    await this.crash(leader);
    await eventually('a new leader', () => {
      const l = this.leaderName();
      return l !== undefined && l !== leader ? l : undefined;
    });
    await this.restart(leader);
    return leader;
  }

  async stop(): Promise<void> {
    for (const [name, h] of this.handles) {
      this.handles.set(name, undefined);
      if (h !== undefined) await h.stop().catch(() => undefined);
    }
    rmSync(this.root, { recursive: true, force: true });
  }
}
