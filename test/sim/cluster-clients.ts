/**
 * The simulated clients (clients/) on a simulated cluster. Every incarnation of every member gets
 * the production request path (server/member/request-path.ts: MemberBackend, watch pump, lease
 * driver, physical compaction) when it starts, on that incarnation's platform, so a crash takes its
 * timers, watches and open calls with it; the clients reach a member only through that path.
 */
import type { ClientBackend } from '../../server/api/index.js';
import { assembleRequestPath } from '../../server/member/request-path.js';
import type { Cluster } from './cluster.js';
import type { ClientHost } from './clients/host.js';
import { SimClients, type SimClientsOptions, type SimClientsStats } from './clients/sim-clients.js';
import { slowCatchUpTimers } from './clients/slow-catch-up.js';

/** The sim's cluster id on every header (any constant: one cluster per run). */
const CLUSTER_ID = 1;

export class ClusterClients {
  private readonly backends = new Map<
    number,
    { readonly incarnation: number; readonly backend: ClientBackend }
  >();
  private readonly clients: SimClients;

  constructor(cluster: Cluster, options: Partial<SimClientsOptions> = {}) {
    const p = cluster.profile;
    cluster.onMemberStart((node, live) => {
      const path = assembleRequestPath({
        replica: live.replica,
        machine: live.machine,
        port: live.port,
        clock: live.platform,
        timers: slowCatchUpTimers(live.platform),
        clusterId: CLUSTER_ID,
        memberId: node.id,
        electionTimeoutMs: p.tickMs * p.electionTicks,
      });
      this.backends.set(node.id, { incarnation: live.incarnation, backend: path.backend });
    });
    const host: ClientHost = {
      scheduler: cluster.scheduler,
      random: cluster.random.fork(),
      trace: cluster.trace,
      memberIds: () => [...cluster.nodes.keys()],
      backend: (id) => {
        const live = cluster.nodes.get(id)?.live;
        const path = this.backends.get(id);
        return live !== undefined && path?.incarnation === live.incarnation ? path.backend : undefined;
      },
    };
    const auth = cluster.authChecker;
    const withAuth = { ...options, auth: true, authRaces: cluster.options.authRaces };
    this.clients = new SimClients(host, auth === undefined ? options : withAuth, auth);
  }

  start(): void {
    this.clients.start();
  }

  /** No new operations; those in flight may still complete (and are judged). */
  stop(): void {
    this.clients.stop();
  }

  /** Judges the recorded history; throws the first Violation. */
  check(): SimClientsStats {
    return this.clients.check();
  }
}
