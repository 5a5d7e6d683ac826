/**
 * A Concord cluster whose members are Docker containers on one user-defined network, started with
 * testcontainers, and the faults the container suite injects into it: pause/unpause (the whole
 * process frozen, as a long GC pause or a stalled VM), network disconnect/connect (the member cut
 * off from its peers) and kill/start (a crash; the container keeps its filesystem, so the member
 * restarts from its own data dir).
 *
 * Members talk to each other by network alias (m1, m2, …). The test reaches each member's client
 * port through the port Docker publishes on the host, using the etcd-compatible HTTP gateway
 * exactly as curl would; when a member is cut off from the network, it is asked from inside its
 * own container instead (`docker exec` of node against 127.0.0.1).
 */
import {
  GenericContainer,
  getContainerRuntimeClient,
  Network,
  Wait,
  type StartedNetwork,
  type StartedTestContainer,
} from 'testcontainers';
import { eventually } from '../helpers/eventually.js';
import { run } from './docker-engine.js';
import { NODE_PATH_IN_IMAGE } from './image.js';

export const CLIENT_PORT = 2379;
export const PEER_PORT = 2380;
/** Label on every container and network of the suite, so leftovers of an aborted run can be found. */
export const SUITE_LABEL = 'concord.test';
export const SUITE_LABEL_VALUE = 'containers';

export interface ContainerClusterOptions {
  readonly image: string;
  /** Number of members (default 3). */
  readonly size?: number;
  readonly heartbeatIntervalMs?: number;
  readonly electionTimeoutMs?: number;
  /** Per-request deadline of the test's HTTP client (default 3000 ms). */
  readonly requestTimeoutMs?: number;
  /** Longest wait for a container to listen on its client port (default 30 000 ms). */
  readonly startupTimeoutMs?: number;
}

export interface ContainerMember {
  readonly name: string;
  readonly container: StartedTestContainer;
  /** Host port that reaches the member's client port; refreshed after every start and connect. */
  clientPort: number;
  /** Raft member id as the member reports it (derived from the token and peer URLs). */
  memberId: string;
  running: boolean;
  paused: boolean;
  connected: boolean;
}

export interface StatusResponse {
  leader?: string;
  header: { member_id: string; revision?: string };
  raftIndex?: string;
}

interface RangeResponse {
  header: { revision?: string };
  kvs?: { key: string; value?: string }[];
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** base64 of the smallest key greater than every key with this prefix (etcd's range_end). */
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

/** Removes containers (and their networks) left behind by an aborted earlier run of the suite. */
export async function removeLeftovers(): Promise<number> {
  const client = await getContainerRuntimeClient();
  const docker = client.container.dockerode;
  const leftovers = await docker.listContainers({
    all: true,
    filters: { label: [`${SUITE_LABEL}=${SUITE_LABEL_VALUE}`] },
  });
  const networks = new Set<string>();
  for (const info of leftovers) {
    for (const net of Object.values(info.NetworkSettings?.Networks ?? {})) {
      if (net.NetworkID !== undefined && net.NetworkID !== '') networks.add(net.NetworkID);
    }
    await docker.getContainer(info.Id).remove({ force: true });
  }
  for (const id of networks) {
    try {
      const net = docker.getNetwork(id);
      const info = (await net.inspect()) as { Name?: string; Labels?: Record<string, string> };
      if (info.Labels?.['org.testcontainers'] === 'true') await net.remove();
    } catch {
      // already gone, or still used by something else: left alone
    }
  }
  return leftovers.length;
}

export class ContainerCluster {
  readonly members: ContainerMember[] = [];
  private readonly requestTimeoutMs: number;

  private constructor(
    private readonly network: StartedNetwork,
    options: ContainerClusterOptions,
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3000;
  }

  static async start(options: ContainerClusterOptions): Promise<ContainerCluster> {
    const size = options.size ?? 3;
    if (!Number.isInteger(size) || size < 1 || size > 7) throw new RangeError('size must be 1..7');
    const heartbeat = options.heartbeatIntervalMs ?? 50;
    const election = options.electionTimeoutMs ?? 500;
    const startupTimeoutMs = options.startupTimeoutMs ?? 30_000;
    const network = await new Network().start();
    const cluster = new ContainerCluster(network, options);
    try {
      const names = Array.from({ length: size }, (_, i) => `m${i + 1}`);
      const initialCluster = names.map((n) => `${n}=http://${n}:${PEER_PORT}`).join(',');
      const settled = await Promise.allSettled(
        names.map((name) =>
          new GenericContainer(options.image)
            .withNetwork(network)
            .withNetworkAliases(name)
            .withHostname(name)
            .withLabels({ [SUITE_LABEL]: SUITE_LABEL_VALUE })
            .withExposedPorts(CLIENT_PORT)
            .withCommand([
              'serve',
              '--name',
              name,
              '--data-dir',
              `/data/${name}`,
              '--listen-client-urls',
              `http://0.0.0.0:${CLIENT_PORT}`,
              '--advertise-client-urls',
              `http://${name}:${CLIENT_PORT}`,
              '--listen-peer-urls',
              `http://0.0.0.0:${PEER_PORT}`,
              '--initial-advertise-peer-urls',
              `http://${name}:${PEER_PORT}`,
              '--initial-cluster',
              initialCluster,
              '--initial-cluster-token',
              'containers',
              '--heartbeat-interval',
              String(heartbeat),
              '--election-timeout',
              String(election),
            ])
            .withWaitStrategy(Wait.forHttp('/version', CLIENT_PORT).forStatusCode(200))
            .withStartupTimeout(startupTimeoutMs)
            .start(),
        ),
      );
      const started: StartedTestContainer[] = [];
      for (const r of settled) if (r.status === 'fulfilled') started.push(r.value);
      const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) {
        for (const c of started) await c.stop({ timeout: 0, remove: true });
        throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
      }
      for (const [i, container] of started.entries()) {
        cluster.members.push({
          name: names[i]!,
          container,
          clientPort: container.getMappedPort(CLIENT_PORT),
          memberId: '',
          running: true,
          paused: false,
          connected: true,
        });
      }
      await cluster.waitForLeader();
      for (const m of cluster.members) m.memberId = (await cluster.status(m.name)).header.member_id;
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  member(name: string): ContainerMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`no member ${name}`);
    return m;
  }

  nameOf(memberId: string): string | undefined {
    return this.members.find((m) => m.memberId === memberId)?.name;
  }

  /** Members that run, are not paused and are on the network: the ones the test can reach. */
  reachable(): ContainerMember[] {
    return this.members.filter((m) => m.running && !m.paused && m.connected);
  }

  // ---- the client side: the HTTP JSON gateway through the published port ----

  async request<T>(name: string, path: string, body: unknown, timeoutMs = this.requestTimeoutMs): Promise<T> {
    const m = this.member(name);
    const res = await fetch(`http://127.0.0.1:${m.clientPort}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${name} ${path}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as T;
  }

  /**
   * The same request made from inside the member's own container (to 127.0.0.1), for a member
   * that is cut off from the network. Slower (a node process per call): used sparingly.
   */
  async requestInside<T>(
    name: string,
    path: string,
    body: unknown,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<T> {
    const script = [
      `fetch('http://127.0.0.1:${CLIENT_PORT}${path}', {`,
      `  method: 'POST', headers: { 'content-type': 'application/json' },`,
      `  body: ${JSON.stringify(JSON.stringify(body))}, signal: AbortSignal.timeout(${timeoutMs}) })`,
      `.then(async (r) => { process.stdout.write(JSON.stringify({ status: r.status, text: await r.text() })); })`,
      `.catch((e) => { process.stdout.write(JSON.stringify({ status: 0, text: String(e && e.name) })); });`,
    ].join('\n');
    const result = await this.member(name).container.exec([NODE_PATH_IN_IMAGE, '-e', script]);
    const parsed = JSON.parse(result.stdout) as { status: number; text: string };
    if (parsed.status !== 200) throw new Error(`${name} (inside) ${path}: ${parsed.status} ${parsed.text}`);
    return JSON.parse(parsed.text) as T;
  }

  async put(name: string, key: string, value: string): Promise<void> {
    await this.request(name, '/v3/kv/put', { key: b64(key), value: b64(value) });
  }

  /** Linearizable read (through ReadIndex) unless `serializable`. */
  async get(name: string, key: string, serializable = false): Promise<string | undefined> {
    const res = await this.request<RangeResponse>(name, '/v3/kv/range', { key: b64(key), serializable });
    const kv = res.kvs?.[0];
    return kv === undefined ? undefined : unb64(kv.value);
  }

  async status(name: string): Promise<StatusResponse> {
    return this.request<StatusResponse>(name, '/v3/maintenance/status', {});
  }

  /** Every key and value under `prefix` as one member holds it locally (serializable read). */
  async dump(name: string, prefix: string, inside = false): Promise<Record<string, string>> {
    const body = { key: b64(prefix), range_end: prefixEndB64(prefix), serializable: true };
    const res = inside
      ? await this.requestInside<RangeResponse>(name, '/v3/kv/range', body)
      : await this.request<RangeResponse>(name, '/v3/kv/range', body);
    const kvs: Record<string, string> = {};
    for (const kv of res.kvs ?? []) kvs[unb64(kv.key)] = unb64(kv.value);
    return kvs;
  }

  /** Writes until one attempt is acknowledged (a put of the same value is idempotent). */
  async putEventually(name: string, key: string, value: string, timeoutMs = 20_000): Promise<void> {
    await eventually(
      `${name} to acknowledge ${key}`,
      async () => {
        await this.put(name, key, value);
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  /**
   * The name of the leader that every member in `among` (default: every reachable member) agrees
   * on, where the leader is itself one of `among`; `not` excludes a member id (a former leader).
   */
  async waitForLeader(
    among: readonly string[] = this.reachable().map((m) => m.name),
    options: { not?: string; timeoutMs?: number } = {},
  ): Promise<string> {
    return eventually(
      `a leader agreed by ${among.join(', ')}${options.not === undefined ? '' : ` other than ${options.not}`}`,
      async () => {
        const views = await Promise.all(among.map((n) => this.status(n)));
        const leaders = new Set(views.map((v) => v.leader ?? '0'));
        if (leaders.size !== 1) return undefined;
        const leaderId = [...leaders][0]!;
        if (leaderId === '0' || leaderId === options.not) return undefined;
        const idx = views.findIndex((v) => v.header.member_id === leaderId);
        return idx < 0 ? undefined : among[idx];
      },
      { timeoutMs: options.timeoutMs ?? 20_000, intervalMs: 100 },
    );
  }

  /** Waits until every member in `names` holds exactly `expected` under `prefix`. */
  async waitForConverged(
    names: readonly string[],
    prefix: string,
    expected: Record<string, string>,
    timeoutMs = 20_000,
  ): Promise<void> {
    const want = JSON.stringify(Object.entries(expected).sort());
    await eventually(
      `${names.join(', ')} to hold ${Object.keys(expected).length} keys under ${prefix}`,
      async () => {
        for (const n of names) {
          const got = JSON.stringify(Object.entries(await this.dump(n, prefix)).sort());
          if (got !== want) return undefined;
        }
        return true;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  // ---- faults ----

  private async dockerode(name: string) {
    const client = await getContainerRuntimeClient();
    return { client, container: client.container.getById(this.member(name).container.getId()) };
  }

  private async refreshClientPort(name: string): Promise<void> {
    const m = this.member(name);
    const { container } = await this.dockerode(name);
    const port = await eventually(`${name} to publish its client port`, async () => {
      const info = await container.inspect();
      const binding = info.NetworkSettings.Ports?.[`${CLIENT_PORT}/tcp`]?.[0];
      return binding === undefined ? undefined : Number(binding.HostPort);
    });
    m.clientPort = port;
  }

  /** docker pause: every process in the container is frozen (cgroup freezer). */
  async pause(name: string): Promise<void> {
    const { container } = await this.dockerode(name);
    await container.pause();
    this.member(name).paused = true;
  }

  async unpause(name: string): Promise<void> {
    const { container } = await this.dockerode(name);
    await container.unpause();
    this.member(name).paused = false;
  }

  /** docker network disconnect: the member loses its only network interface but keeps running. */
  async disconnect(name: string): Promise<void> {
    const { client } = await this.dockerode(name);
    const net = client.network.getById(this.network.getId());
    await net.disconnect({ Container: this.member(name).container.getId(), Force: true });
    this.member(name).connected = false;
  }

  /** docker network connect with the member's alias, so its peers find it under the same name. */
  async connect(name: string): Promise<void> {
    const { client, container } = await this.dockerode(name);
    await client.container.connectToNetwork(container, client.network.getById(this.network.getId()), [name]);
    this.member(name).connected = true;
    if (this.member(name).running) await this.refreshClientPort(name);
  }

  /** docker kill (SIGKILL): the member dies at once; the container and its filesystem remain. */
  async kill(name: string): Promise<void> {
    const { container } = await this.dockerode(name);
    await container.kill({ signal: 'SIGKILL' });
    await eventually(`${name} to exit`, async () =>
      (await container.inspect()).State.Running ? undefined : true,
    );
    this.member(name).running = false;
  }

  /** docker start of a killed member: the same container, so the same data dir. */
  async start(name: string): Promise<void> {
    const { container } = await this.dockerode(name);
    await container.start();
    const m = this.member(name);
    m.running = true;
    if (m.connected) {
      await this.refreshClientPort(name);
      await eventually(`${name} to answer on its client port`, async () => {
        await this.status(name);
        return true;
      });
    } else {
      await eventually(`${name} to answer inside its container`, async () => {
        await this.requestInside(name, '/v3/maintenance/status', {});
        return true;
      });
    }
  }

  /**
   * Undoes every fault (unpause, reconnect, start), judged by what Docker reports rather than by
   * this object's flags, so that it also repairs what a failed test left half done.
   */
  async heal(): Promise<void> {
    for (const m of this.members) {
      const { container } = await this.dockerode(m.name);
      const info = await container.inspect();
      if (info.State.Paused) await container.unpause();
      m.paused = false;
      const attached = Object.values(info.NetworkSettings.Networks ?? {}).some(
        (n) => n.NetworkID === this.network.getId(),
      );
      m.running = info.State.Running;
      if (attached) m.connected = true;
      else await this.connect(m.name);
      if (!info.State.Running) await this.start(m.name);
    }
  }

  /** The last lines each member logged, for a failed test's report. */
  async logs(lines = 60): Promise<string> {
    const out: string[] = [];
    for (const m of this.members) {
      try {
        const text = await run(
          'sh',
          ['-c', `docker logs --tail ${lines} ${m.container.getId()} 2>&1`],
          15_000,
        );
        out.push(`--- ${m.name}\n${text}`);
      } catch (err) {
        out.push(`--- ${m.name}: no logs (${String(err)})`);
      }
    }
    return out.join('\n');
  }

  async stop(): Promise<void> {
    const client = await getContainerRuntimeClient();
    for (const m of this.members) {
      try {
        await client.container.getById(m.container.getId()).remove({ force: true, v: true });
      } catch {
        // already removed
      }
    }
    try {
      await this.network.stop();
    } catch {
      // already removed
    }
  }
}
