/**
 * What every first-operation suite shares: the two topologies, a fresh cluster per case (mocha
 * hooks), and a deadline that turns a hang into a failure naming what hung.
 */
import type { Client } from '../../client/index.js';
import { startFreshCluster, type FreshCluster } from './fresh-cluster.js';

export interface Topology {
  readonly title: string;
  readonly size: number;
}

export const TOPOLOGIES: readonly Topology[] = [
  { title: 'a new single member', size: 1 },
  { title: 'a new 3-member cluster', size: 3 },
];

/** How long one operation under test may take before it counts as hung (normal: well under 1 s). */
export const OPERATION_DEADLINE_MS = 5000;

/** The longest a process may stay alive once its work is over (issue 12: 0.3 s). */
export const EXIT_WITHIN_MS = 300;

/**
 * Runs `fn` with a signal that aborts after `ms`, and fails with "<what> hung" at that moment even
 * if `fn` ignores the signal.
 */
export async function within<T>(
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
  ms = OPERATION_DEADLINE_MS,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new Error(`${what} hung: no outcome within ${ms} ms`);
      controller.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), hung]);
  } finally {
    clearTimeout(timer);
  }
}

export interface FreshContext {
  /** The brand-new cluster of the running case. */
  readonly cluster: FreshCluster;
  /** A client of it (created without any request; the first request is the case's). */
  readonly client: Client;
}

/**
 * Registers hooks that give each case of the enclosing `describe` a brand-new cluster of `size`
 * members and a client, and tear both down after it (printing the members' logs if it failed).
 */
export function useFreshCluster(size: number): FreshContext {
  let cluster: FreshCluster | undefined;
  let client: Client | undefined;
  beforeEach(async () => {
    cluster = await startFreshCluster(size);
    client = cluster.client();
  });
  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster !== undefined)
      process.stderr.write(`member logs of "${this.currentTest.fullTitle()}":\n${cluster.logs()}\n`);
    await client?.close();
    await cluster?.stop();
    client = undefined;
    cluster = undefined;
  });
  return {
    get cluster(): FreshCluster {
      if (cluster === undefined) throw new Error('no fresh cluster outside a test');
      return cluster;
    },
    get client(): Client {
      if (client === undefined) throw new Error('no client outside a test');
      return client;
    },
  };
}
