/** Shared setup for the SDK's unit tests: a fake cluster, a manual clock, and a client bound to both. */
import { Client, LeaseLostError, type ClientOptions, type ClientStatus } from '../../../client/index.js';
import { drainMicrotasks, ManualClock } from '../../helpers/manual-clock.js';
import { FakeCluster } from './fake-server.js';

export interface Rig {
  readonly cluster: FakeCluster;
  readonly clock: ManualClock;
  readonly client: Client;
  readonly statuses: ClientStatus[];
}

export function rig(options: Partial<ClientOptions> = {}, size = 3): Rig {
  const cluster = new FakeCluster(size);
  const clock = new ManualClock(0);
  const statuses: ClientStatus[] = [];
  let seed = 1;
  const client = new Client({
    endpoints: cluster.endpoints,
    transport: cluster,
    clock,
    // Liveness probes would add requests to every scenario; tests of it turn it on.
    livenessIntervalMs: 0,
    random: () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    },
    ...options,
  });
  client.on('status', (s) => statuses.push(s));
  return { cluster, clock, client, statuses };
}

/** Lets every pending promise callback, frame delivery and reconnect step run. */
export async function settle(): Promise<void> {
  await drainMicrotasks(20);
}

/** Settles until `check` holds, advancing the manual clock by `stepMs` between rounds if needed. */
export async function until(
  clock: ManualClock,
  what: string,
  check: () => boolean,
  stepMs = 0,
  rounds = 200,
): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (check()) return;
    if (stepMs > 0) await clock.advance(stepMs);
    else await settle();
  }
  throw new Error(`never happened: ${what}`);
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Resolves with what a promise settles to, to assert on rejections. */
export async function settled<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Advances the manual clock in steps until `p` settles (for calls that back off between retries). */
export async function drive<T>(
  clock: { advance(ms: number): Promise<void> },
  p: Promise<T>,
  stepMs = 50,
  rounds = 400,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let result: { ok: true; value: T } | { ok: false; error: unknown } | undefined;
  void settled(p).then((r) => (result = r));
  for (let i = 0; i < rounds && result === undefined; i++) {
    await settle();
    if (result === undefined) await clock.advance(stepMs);
  }
  if (result === undefined) throw new Error('the call never settled');
  return result;
}

/** Lease renewals the fake members have received, over every session. */
export const renewals = (cluster: FakeCluster): number =>
  cluster.members
    .flatMap((m) => [...m.sessions])
    .flatMap((s) => s.received)
    .filter((f) => f.type === 'renew').length;

/** Why a lease signal aborted (LeaseLostError's reason), if it did with one. */
export const reasonOf = (signal: AbortSignal): string | undefined =>
  signal.reason instanceof LeaseLostError ? signal.reason.reason : undefined;

/** Cuts the client off: every member down and its open connection dropped. */
export function cutOff(cluster: FakeCluster): void {
  for (const m of cluster.members) m.down = true;
  cluster.connectedMembers()[0]!.dropAll();
}
