/**
 * Read-only views of the other recipes' key layouts (read/write locks, elections, semaphores, the
 * service registry, config documents), for the web console beside inspect.ts. Each reader is one
 * range read (plus, for the registry, one lease read per distinct lease), so what it returns is a
 * snapshot at `revision`. The recipes' module headers are the reference for each layout:
 *
 *   rwlocks     concord/rwlocks/<name>/r|w/<lease hex>-<random>   one create-revision line for
 *               both kinds; a reader holds when no older writer key exists, a writer when no older
 *               key at all exists.
 *   elections   concord/elections/<name>/<lease hex>-<random>     the lowest create revision leads;
 *               its value is the leader's value.
 *   semaphores  concord/semaphores/<name> = {"limit", "holders"}  waiters write nothing.
 *   services    concord/services/<service>/<id> = {"id","address","meta"} on the instance's lease.
 *   config      any key holding a JSON document (the recipe has no prefix of its own): the
 *               caller names the prefix to read.
 */
import type { KeyValue, KvClient, LeaseApi } from '../client/index.js';
import { decodeName, type InspectOptions } from './inspect.js';
import { sig, text } from './internal.js';
import { ELECTION_PREFIX } from './election.js';
import { parseInstance, SERVICE_PREFIX, type ServiceInstance } from './registry.js';
import { RWLOCK_PREFIX } from './rwlock.js';
import { parseSemaphoreRecord, SEMAPHORE_PREFIX } from './semaphore.js';

/** Groups the keys under `prefix` by their first path segment (the recipe instance's name). */
function byFirstSegment(
  prefix: string,
  kvs: readonly KeyValue[],
): Map<string, { rest: string; kv: KeyValue }[]> {
  const groups = new Map<string, { rest: string; kv: KeyValue }[]>();
  for (const kv of kvs) {
    const after = text(kv.key).slice(prefix.length);
    const slash = after.indexOf('/');
    if (slash <= 0 || slash === after.length - 1) continue; // not a recipe key
    const name = decodeName(after.slice(0, slash));
    const group = groups.get(name) ?? [];
    group.push({ rest: after.slice(slash + 1), kv });
    groups.set(name, group);
  }
  return groups;
}

export interface RwLockEntry {
  readonly key: string;
  readonly mode: 'read' | 'write';
  /** Create revision: place in line, and the fencing token while held. */
  readonly token: number;
  readonly leaseId: number;
}

export interface RwLockState {
  readonly name: string;
  /** Several readers, or one writer. */
  readonly holders: readonly RwLockEntry[];
  /** In line order. */
  readonly waiters: readonly RwLockEntry[];
}

/** Every read/write lock with any key: who holds it (readers or one writer) and who waits. */
export async function inspectRwLocks(
  kv: KvClient,
  options: InspectOptions = {},
): Promise<{ revision: number; rwlocks: readonly RwLockState[] }> {
  const r = await kv.getPrefix(RWLOCK_PREFIX, {
    sortTarget: 'create',
    sortOrder: 'ascend',
    ...sig(options.signal),
  });
  const rwlocks: RwLockState[] = [];
  for (const [name, keys] of byFirstSegment(RWLOCK_PREFIX, r.kvs)) {
    const holders: RwLockEntry[] = [];
    const waiters: RwLockEntry[] = [];
    let writerSeen = false; // an older writer key exists
    let anySeen = false; // an older key of either kind exists
    for (const { rest, kv: k } of keys) {
      const kind = rest.slice(0, 2);
      if (kind !== 'r/' && kind !== 'w/') continue;
      const entry: RwLockEntry = {
        key: text(k.key),
        mode: kind === 'r/' ? 'read' : 'write',
        token: k.createRevision,
        leaseId: k.lease,
      };
      const holds = entry.mode === 'read' ? !writerSeen : !anySeen;
      (holds ? holders : waiters).push(entry);
      anySeen = true;
      if (entry.mode === 'write') writerSeen = true;
    }
    if (holders.length + waiters.length > 0) rwlocks.push({ name, holders, waiters });
  }
  rwlocks.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, rwlocks };
}

export interface Candidate {
  readonly key: string;
  readonly value: string;
  /** Create revision: the term while leading. */
  readonly revision: number;
  readonly leaseId: number;
}

export interface ElectionState {
  readonly name: string;
  readonly leader: Candidate;
  /** Mod revision of the leader's key (moves with every proclaim). */
  readonly leaderModRevision: number;
  /** The next leaders, in campaign order. */
  readonly candidates: readonly Candidate[];
}

/** Every election with a candidate: its leader, the leader's value and the candidates in line. */
export async function inspectElections(
  kv: KvClient,
  options: InspectOptions = {},
): Promise<{ revision: number; elections: readonly ElectionState[] }> {
  const r = await kv.getPrefix(ELECTION_PREFIX, {
    sortTarget: 'create',
    sortOrder: 'ascend',
    ...sig(options.signal),
  });
  const elections: ElectionState[] = [];
  for (const [name, keys] of byFirstSegment(ELECTION_PREFIX, r.kvs)) {
    const [first, ...rest] = keys.map(({ kv: k }) => k);
    if (first === undefined) continue;
    const candidate = (k: KeyValue): Candidate => ({
      key: text(k.key),
      value: text(k.value),
      revision: k.createRevision,
      leaseId: k.lease,
    });
    elections.push({
      name,
      leader: candidate(first),
      leaderModRevision: first.modRevision,
      candidates: rest.map(candidate),
    });
  }
  elections.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, elections };
}

export type SemaphoreView =
  | {
      readonly name: string;
      readonly valid: true;
      readonly limit: number;
      readonly holders: readonly string[];
      /** Mod revision of the record. */
      readonly modRevision: number;
    }
  | { readonly name: string; readonly valid: false; readonly error: string; readonly modRevision: number };

/**
 * Every semaphore record. Waiters leave no key in this recipe (they watch the record), so they
 * cannot be listed: a record with holders ≥ limit is full and any acquirer is waiting.
 */
export async function inspectSemaphores(
  kv: KvClient,
  options: InspectOptions = {},
): Promise<{ revision: number; semaphores: readonly SemaphoreView[] }> {
  const r = await kv.getPrefix(SEMAPHORE_PREFIX, sig(options.signal));
  const semaphores = r.kvs.map((k): SemaphoreView => {
    const name = decodeName(text(k.key).slice(SEMAPHORE_PREFIX.length));
    try {
      const { limit, holders } = parseSemaphoreRecord(text(k.value));
      return { name, valid: true, limit, holders, modRevision: k.modRevision };
    } catch (err) {
      return {
        name,
        valid: false,
        error: err instanceof Error ? err.message : String(err),
        modRevision: k.modRevision,
      };
    }
  });
  semaphores.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, semaphores };
}

export interface LeaseHealth {
  /** Seconds left when read; -1: the lease is gone (the entry goes with it at the next apply). */
  readonly ttlSec: number;
  readonly grantedTtlSec: number;
}

export interface ServiceInstanceView {
  readonly key: string;
  /** Undefined when the stored entry is not one the registry wrote (bad JSON or fields). */
  readonly instance: ServiceInstance | undefined;
  readonly leaseId: number;
  /** Undefined for an entry without a lease (not written by `register`). */
  readonly lease: LeaseHealth | undefined;
}

export interface ServiceView {
  readonly name: string;
  readonly instances: readonly ServiceInstanceView[];
}

/** Every registered service with its instances, their metadata and the health of their leases. */
export async function inspectServices(
  kv: KvClient,
  lease: LeaseApi,
  options: InspectOptions = {},
): Promise<{ revision: number; services: readonly ServiceView[] }> {
  const r = await kv.getPrefix(SERVICE_PREFIX, sig(options.signal));
  const leaseIds = [...new Set(r.kvs.map((k) => k.lease).filter((id) => id !== 0))];
  const health = new Map<number, LeaseHealth>(
    await Promise.all(
      leaseIds.map(async (id): Promise<[number, LeaseHealth]> => {
        const t = await lease.timeToLive(id, sig(options.signal));
        return [id, { ttlSec: t.ttlSec, grantedTtlSec: t.grantedTtlSec }];
      }),
    ),
  );
  const services: ServiceView[] = [];
  for (const [name, keys] of byFirstSegment(SERVICE_PREFIX, r.kvs)) {
    const instances = keys.map(({ kv: k }): ServiceInstanceView => ({
      key: text(k.key),
      instance: parseInstance(name, k),
      leaseId: k.lease,
      lease: k.lease === 0 ? undefined : health.get(k.lease),
    }));
    services.push({ name, instances });
  }
  services.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, services };
}

export type ConfigDocument =
  | {
      readonly key: string;
      readonly valid: true;
      /** The parsed JSON document. */
      readonly value: unknown;
      readonly version: number;
      readonly modRevision: number;
      readonly createRevision: number;
    }
  | {
      readonly key: string;
      readonly valid: false;
      readonly raw: string;
      readonly error: string;
      readonly version: number;
      readonly modRevision: number;
      readonly createRevision: number;
    };

/**
 * The config documents under `prefix` (subscribeConfig's default decoding: JSON), each with its
 * version; a value that is not JSON is reported as invalid, as subscribers would see it.
 */
export async function inspectConfigs(
  kv: KvClient,
  prefix: string,
  options: InspectOptions & { readonly limit?: number } = {},
): Promise<{ revision: number; documents: readonly ConfigDocument[]; more: boolean }> {
  const r = await kv.getPrefix(prefix, { limit: options.limit ?? 200, ...sig(options.signal) });
  const documents = r.kvs.map((k): ConfigDocument => {
    const raw = text(k.value);
    const at = {
      key: text(k.key),
      version: k.version,
      modRevision: k.modRevision,
      createRevision: k.createRevision,
    };
    try {
      return { ...at, valid: true, value: JSON.parse(raw) as unknown };
    } catch (err) {
      return { ...at, valid: false, raw, error: err instanceof Error ? err.message : String(err) };
    }
  });
  return { revision: r.header.revision, documents, more: r.more };
}
