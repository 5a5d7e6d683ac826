/**
 * Service registry: instances register with a lease kept alive by heartbeats; clients discover the
 * live set and follow its changes (etcd's `naming/endpoints`, Consul-style registration).
 *
 *   await using reg = await register(client, { service: 'api', id: 'api-1', address: '10.0.0.5:8080', ttlSec: 5 });
 *   const live = await discover(client, 'api');
 *   for await (const set of watchService(client, 'api', { signal })) balancer.update(set);
 *
 * Layout: `concord/services/<service>/<id>` = {"id","address","meta"} attached to the instance's
 * session lease (renewed every TTL/3 by the SDK).
 *
 * Guarantees
 * - A registered instance stays visible while its process keeps the lease alive. It disappears
 *   when it closes (`close()` revokes the lease: at once) or dies (its lease expires: within
 *   `ttlSec` plus the cluster's lease-expiry check, about one election timeout).
 * - `registration.signal` aborts when the registration may be gone (lease lost or key deleted):
 *   re-register then.
 * - `watchService` yields the complete set first and then the complete set after every change, in
 *   revision order; across failovers it misses no change (SDK watch resume) and after a compaction
 *   it re-reads the set.
 * - Re-registering the same id replaces the previous entry (last writer wins).
 */
import { CompactedError, type KvClient, type KeyValue, type Session } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { checkName, sig, text } from './internal.js';
import { holdSignal } from './queue-key.js';
import { scopedSession, type ScopedSession } from './session-scope.js';

export const SERVICE_PREFIX = 'concord/services/';

export interface ServiceInstance {
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly meta: Readonly<Record<string, string>>;
  /** Revision at which this entry was written. */
  readonly revision: number;
}

export interface RegisterOptions {
  readonly service: string;
  readonly id: string;
  readonly address: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** Lease TTL; an instance that dies vanishes after about this long. Default 10. */
  readonly ttlSec?: number;
  /** For the session it creates: how long before the lease may expire `signal` fires (default TTL/3). */
  readonly safetyMarginMs?: number;
  /** Use this session instead of creating one (then `ttlSec` and `safetyMarginMs` must be absent). */
  readonly session?: Session;
  readonly signal?: AbortSignal;
}

export const REGISTRY_DEFAULTS = { ttlSec: 10 } as const;

function serviceKey(service: string, id: string): string {
  return `${servicePrefix(service)}${checkName('instance id', id)}`;
}

function servicePrefix(service: string): string {
  return `${SERVICE_PREFIX}${checkName('service', service)}/`;
}

/** Parses one stored entry; malformed entries are skipped by discover/watch (reported as undefined). */
export function parseInstance(service: string, kv: KeyValue): ServiceInstance | undefined {
  try {
    const v = JSON.parse(text(kv.value)) as { id?: unknown; address?: unknown; meta?: unknown };
    if (typeof v.id !== 'string' || typeof v.address !== 'string') return undefined;
    const meta: Record<string, string> = {};
    if (typeof v.meta === 'object' && v.meta !== null)
      for (const [k, val] of Object.entries(v.meta)) if (typeof val === 'string') meta[k] = val;
    return { service, id: v.id, address: v.address, meta, revision: kv.modRevision };
  } catch {
    return undefined;
  }
}

export class Registration implements AsyncDisposable {
  private closed: Promise<void> | undefined;
  /** @internal */
  constructor(
    readonly instance: ServiceInstance,
    private readonly scoped: ScopedSession,
    private readonly hold: { signal: AbortSignal; stop: () => void },
    private readonly kv: KvClient,
  ) {}

  /** Aborts when the registration may be gone (lease lost or entry deleted). */
  get signal(): AbortSignal {
    return this.hold.signal;
  }

  /** Deregisters now. Idempotent. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      this.hold.stop();
      try {
        await this.kv.delete(serviceKey(this.instance.service, this.instance.id));
      } catch {
        // The lease below takes the key with it.
      }
      await this.scoped.release();
    })();
    return this.closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Registers an instance and keeps it registered until `close()` or process death. */
export async function register(kv: KvClient, options: RegisterOptions): Promise<Registration> {
  if (typeof options.address !== 'string' || options.address.length === 0)
    throw invalidArgument('address must be a non-empty string');
  const key = serviceKey(options.service, options.id);
  const scoped = await scopedSession(
    kv,
    options.session !== undefined
      ? {
          session: options.session,
          ...(options.safetyMarginMs === undefined ? {} : { safetyMarginMs: options.safetyMarginMs }),
        }
      : {
          ttlSec: options.ttlSec ?? REGISTRY_DEFAULTS.ttlSec,
          ...(options.safetyMarginMs === undefined ? {} : { safetyMarginMs: options.safetyMarginMs }),
        },
    options.signal,
  );
  try {
    const value = JSON.stringify({ id: options.id, address: options.address, meta: options.meta ?? {} });
    const r = await kv.put(key, value, { lease: scoped.session.leaseId, ...sig(options.signal) });
    const instance = {
      service: options.service,
      id: options.id,
      address: options.address,
      meta: { ...(options.meta ?? {}) },
      revision: r.revision,
    };
    const hold = holdSignal(kv, { key, createRevision: r.revision }, scoped.session, r.revision);
    return new Registration(instance, scoped, hold, kv);
  } catch (e) {
    await scoped.release();
    throw e;
  }
}

/** The live instances of a service, sorted by id. */
export async function discover(
  kv: KvClient,
  service: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<ServiceInstance[]> {
  return (await readSet(kv, service, options.signal)).instances;
}

async function readSet(
  kv: KvClient,
  service: string,
  signal: AbortSignal | undefined,
): Promise<{ instances: ServiceInstance[]; revision: number }> {
  const r = await kv.getPrefix(servicePrefix(service), sig(signal));
  const instances = r.kvs
    .map((k) => parseInstance(service, k))
    .filter((i): i is ServiceInstance => i !== undefined);
  return {
    instances: instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    revision: r.revision,
  };
}

/** The full set now, then the full set after every change. */
export async function* watchService(
  kv: KvClient,
  service: string,
  options: { readonly signal?: AbortSignal } = {},
): AsyncGenerator<ServiceInstance[]> {
  const signal = options.signal;
  const prefix = servicePrefix(service);
  for (;;) {
    let set: { instances: ServiceInstance[]; revision: number };
    try {
      set = await readSet(kv, service, signal);
    } catch (e) {
      if (signal?.aborted === true) return;
      throw e;
    }
    const byKey = new Map(set.instances.map((i) => [`${prefix}${encodeURIComponent(i.id)}`, i]));
    yield [...byKey.values()];
    try {
      await using watch = kv.watch({ prefix, startRevision: set.revision + 1, ...sig(signal) });
      for await (const batch of watch) {
        if (batch.events.length === 0) continue;
        for (const e of batch.events) {
          const key = text(e.kv.key);
          const inst = e.type === 'put' ? parseInstance(service, e.kv) : undefined;
          if (inst === undefined) byKey.delete(key);
          else byKey.set(key, inst);
        }
        yield [...byKey.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      }
      return;
    } catch (e) {
      if (signal?.aborted === true) return;
      if (!(e instanceof CompactedError)) throw e;
      // Re-read the whole set and go on from there.
    }
  }
}

/** Picks instances in turn: a balancer over whatever set it is given each time. */
export function roundRobin(): (instances: readonly ServiceInstance[]) => ServiceInstance | undefined {
  let next = 0;
  return (instances) => {
    if (instances.length === 0) return undefined;
    const pick = instances[next % instances.length];
    next = (next + 1) % Number.MAX_SAFE_INTEGER;
    return pick;
  };
}

/** Picks a uniformly random instance (`random` injectable for tests). */
export function pickRandom(
  instances: readonly ServiceInstance[],
  random: () => number = Math.random,
): ServiceInstance | undefined {
  if (instances.length === 0) return undefined;
  const i = Math.min(instances.length - 1, Math.floor(random() * instances.length));
  return instances[i];
}
