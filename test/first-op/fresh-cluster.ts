/**
 * A brand-new cluster for one first-operation case: a new temporary data directory, members started
 * in this process with `startMember` (what `concord serve` runs), and nothing written by the test
 * before the operation under test. Waiting for the cluster only observes it (each member knows the
 * leader); it never writes.
 *
 * Timings are short (heartbeat 20 ms, election 100–200 ms) and fsync is off so that a fresh
 * cluster per case stays cheap (a 3-member cluster forms in about half a second); neither changes
 * what a new store looks like to its first client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../client/index.js';
import { startMember, type MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';
import { freePorts } from '../helpers/ports.js';

export interface FreshCluster {
  readonly size: number;
  /** Client URLs of every member (http://127.0.0.1:port), the value of CONCORD_ENDPOINTS. */
  readonly endpoints: readonly string[];
  /** A client of every member, with quick reconnects; the caller closes it. */
  client(): Client;
  /** The members' last log lines, for a failed case's report. */
  logs(): string;
  stop(): Promise<void>;
}

const LOG_KEEP_CHARS = 8000;

export async function startFreshCluster(size: number): Promise<FreshCluster> {
  try {
    return await tryStart(size);
  } catch (err) {
    // A port picked as free can be taken before the member binds it (the harness's race, not the
    // member's): pick new ports once.
    if (!String(err instanceof Error ? err.stack : err).includes('EADDRINUSE')) throw err;
    return tryStart(size);
  }
}

async function tryStart(size: number): Promise<FreshCluster> {
  const root = mkdtempSync(join(tmpdir(), 'concord-first-op-'));
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `f${i + 1}`,
    clientUrl: `http://127.0.0.1:${ports[2 * i]}`,
    peerUrl: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const logs = new Map(specs.map((s) => [s.name, '']));
  const started = await Promise.allSettled(
    specs.map((s) =>
      startMember(
        {
          name: s.name,
          dataDir: join(root, s.name),
          listenClientUrls: [s.clientUrl],
          listenPeerUrls: [s.peerUrl],
          initialAdvertisePeerUrls: [s.peerUrl],
          initialCluster: specs.map((x) => ({ name: x.name, peerUrls: [x.peerUrl] })),
          initialClusterToken: 'first-op',
          heartbeatInterval: 20,
          electionTimeout: size === 1 ? 100 : 200,
          logLevel: 'info',
          unsafeNoFsync: true,
        },
        { logWrite: (line) => logs.set(s.name, (logs.get(s.name)! + line).slice(-LOG_KEEP_CHARS)) },
      ),
    ),
  );
  const members = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await stop();
    throw failed.reason;
  }
  try {
    await eventually(
      'every member to know the leader',
      () => (everyoneKnowsLeader(members) ? true : undefined),
      {
        timeoutMs: 10_000,
        intervalMs: 10,
      },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    size,
    endpoints: specs.map((s) => s.clientUrl),
    client: () =>
      new Client({
        endpoints: specs.map((s) => s.clientUrl),
        requestTimeoutMs: 5000,
        backoff: { initialDelayMs: 20, maxDelayMs: 200 },
      }),
    logs: () => [...logs].map(([name, text]) => `--- ${name}\n${text}`).join('\n'),
    stop,
  };
}

function everyoneKnowsLeader(members: readonly MemberHandle[]): boolean {
  const leader = members[0]?.internals.core.replica.leaderId() ?? 0;
  return (
    leader !== 0 &&
    members.every((m) => m.internals.core.replica.leaderId() === leader) &&
    members.some((m) => m.internals.core.replica.isLeader())
  );
}
