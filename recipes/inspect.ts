/**
 * Read-only views of the recipes' key layouts, for operators (the web console; later the CLI).
 * Built only on the public client, like the recipes themselves: each reader is one range read (or
 * a few), so what it returns is a consistent snapshot at `revision`.
 *
 * Layouts read here (the recipes' module headers are the reference):
 *   locks   concord/locks/<name>/<lease hex>-<random>   value = owner string; the lowest create
 *           revision holds the lock and that create revision is its fencing token.
 *   queues  concord/queues/<name>/p/<prio>/<id>   pending
 *                                  i/<id>          in flight: {"priority", "value"}
 *                                  c/<id>          claim: consumer id, on the consumer's lease
 *                                  d/<id>          acked id remembered for dedup
 * Names are stored URI-encoded by the recipes; they are decoded here.
 */
import { CompactedError, type KeyValue, type KvClient, type LeaseApi } from '../client/index.js';
import { LOCK_PREFIX } from './lock.js';
import { QUEUE_PREFIX } from './queue.js';

export interface InspectOptions {
  readonly signal?: AbortSignal;
}

const decoder = new TextDecoder();
const text = (b: Uint8Array): string => decoder.decode(b);
const sig = (o: InspectOptions): { signal?: AbortSignal } =>
  o.signal === undefined ? {} : { signal: o.signal };

/** A recipe name as the recipes store it (URI-encoded), decoded; shown as stored if it does not decode. */
export function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // written by something other than the recipes: show it as stored
  }
}

export interface LockContender {
  readonly key: string;
  /** The owner string stored as the key's value. */
  readonly owner: string;
  /** The key's create revision: the fencing token while it holds the lock. */
  readonly token: number;
  readonly leaseId: number;
}

export interface LockState {
  readonly name: string;
  readonly holder: LockContender;
  /** In line order (next holder first). */
  readonly waiters: readonly LockContender[];
}

export interface LocksSnapshot {
  /** The store revision the snapshot was read at. */
  readonly revision: number;
  readonly locks: readonly LockState[];
}

/** Every lock that has at least one contender, with its holder and waiters. */
export async function inspectLocks(kv: KvClient, options: InspectOptions = {}): Promise<LocksSnapshot> {
  const r = await kv.getPrefix(LOCK_PREFIX, { sortTarget: 'create', sortOrder: 'ascend', ...sig(options) });
  const byName = new Map<string, LockContender[]>();
  for (const k of r.kvs) {
    const key = text(k.key);
    const rest = key.slice(LOCK_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) continue; // not a contender key
    const name = decodeName(rest.slice(0, slash));
    const line = byName.get(name) ?? [];
    // sorted by create revision, so pushing keeps line order
    line.push({ key, owner: text(k.value), token: k.createRevision, leaseId: k.lease });
    byName.set(name, line);
  }
  const locks: LockState[] = [];
  for (const [name, [holder, ...waiters]] of byName) {
    if (holder !== undefined) locks.push({ name, holder, waiters });
  }
  locks.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, locks };
}

export interface QueueClaim {
  readonly id: string;
  readonly priority: number | undefined;
  /** The consumer holding the item (the claim key's value); undefined: orphaned, to be requeued. */
  readonly consumer: string | undefined;
  /** Create revision of the claim (or of the in-flight key when orphaned). */
  readonly claimedRevision: number;
  readonly leaseId: number;
}

export interface QueueState {
  readonly name: string;
  /** Pending items (waiting to be dequeued). */
  readonly depth: number;
  /** Pending items per priority (0 = most urgent). */
  readonly byPriority: Readonly<Record<number, number>>;
  readonly inFlight: readonly QueueClaim[];
  /** Acked ids still remembered for deduplication. */
  readonly acked: number;
}

export interface QueuesSnapshot {
  readonly revision: number;
  readonly queues: readonly QueueState[];
}

interface QueueParts {
  pending: KeyValue[];
  inflight: KeyValue[];
  claims: Map<string, KeyValue>;
  acked: number;
}

/** Every queue with any key, its depth and in-flight items with their claims. */
export async function inspectQueues(kv: KvClient, options: InspectOptions = {}): Promise<QueuesSnapshot> {
  const r = await kv.getPrefix(QUEUE_PREFIX, { sortTarget: 'create', sortOrder: 'ascend', ...sig(options) });
  const parts = new Map<string, QueueParts>();
  for (const k of r.kvs) {
    const rest = text(k.key).slice(QUEUE_PREFIX.length);
    const [rawName, kind, ...tail] = rest.split('/');
    if (rawName === undefined || rawName === '' || kind === undefined || tail.length === 0) continue;
    const name = decodeName(rawName);
    let q = parts.get(name);
    if (q === undefined) {
      q = { pending: [], inflight: [], claims: new Map(), acked: 0 };
      parts.set(name, q);
    }
    if (kind === 'p') q.pending.push(k);
    else if (kind === 'i') q.inflight.push(k);
    else if (kind === 'c') q.claims.set(tail.join('/'), k);
    else if (kind === 'd') q.acked++;
  }
  const queues: QueueState[] = [];
  for (const [name, q] of parts) {
    const byPriority: Record<number, number> = {};
    for (const k of q.pending) {
      const prio = Number(text(k.key).slice(QUEUE_PREFIX.length).split('/')[2]);
      if (Number.isInteger(prio)) byPriority[prio] = (byPriority[prio] ?? 0) + 1;
    }
    const inFlight = q.inflight.map((k): QueueClaim => {
      const id = text(k.key).split('/').slice(4).join('/');
      const claim = q.claims.get(id);
      return {
        id,
        priority: inflightPriority(k.value),
        consumer: claim === undefined ? undefined : text(claim.value),
        claimedRevision: (claim ?? k).createRevision,
        leaseId: claim?.lease ?? 0,
      };
    });
    queues.push({ name, depth: q.pending.length, byPriority, inFlight, acked: q.acked });
  }
  queues.sort((a, b) => a.name.localeCompare(b.name));
  return { revision: r.header.revision, queues };
}

function inflightPriority(value: Uint8Array): number | undefined {
  try {
    const parsed = JSON.parse(text(value)) as { priority?: unknown };
    return typeof parsed.priority === 'number' ? parsed.priority : undefined;
  } catch {
    return undefined;
  }
}

export interface LeaseState {
  readonly id: number;
  /** Seconds left when read (-1: expired between the listing and the read). */
  readonly ttlSec: number;
  readonly grantedTtlSec: number;
  readonly keys: readonly string[];
}

/** Every lease with its remaining TTL and attached keys (one read per lease, at most `limit`). */
export async function inspectLeases(
  lease: LeaseApi,
  options: InspectOptions & { readonly limit?: number } = {},
): Promise<{ leases: readonly LeaseState[]; more: boolean }> {
  const ids = await lease.leases(sig(options));
  const limit = options.limit ?? 200;
  const leases = await Promise.all(
    ids.slice(0, limit).map(async (id): Promise<LeaseState> => {
      const t = await lease.timeToLive(id, { keys: true, ...sig(options) });
      return { id, ttlSec: t.ttlSec, grantedTtlSec: t.grantedTtlSec, keys: t.keys.map(text) };
    }),
  );
  return { leases: leases.filter((l) => l.ttlSec >= 0), more: ids.length > limit };
}

/**
 * A key's versions, newest first, found by walking mod revisions back: the version before one
 * modified at revision m is the key read at m − 1. The walk covers the key's current life (since
 * its last creation, version 1) and stops early at the compaction horizon or after `limit`
 * versions (`complete: false`).
 */
export async function keyHistory(
  kv: KvClient,
  key: string,
  options: InspectOptions & { readonly limit?: number } = {},
): Promise<{ versions: readonly KeyValue[]; complete: boolean }> {
  const limit = options.limit ?? 50;
  const versions: KeyValue[] = [];
  let current = await kv.get(key, sig(options));
  while (current !== undefined && versions.length < limit) {
    versions.push(current);
    if (current.version <= 1) return { versions, complete: true };
    try {
      current = await kv.get(key, { revision: current.modRevision - 1, ...sig(options) });
    } catch (err) {
      if (err instanceof CompactedError) return { versions, complete: false };
      throw err;
    }
  }
  // stopped by the limit (or a version missing where one must exist): older versions not shown
  return { versions, complete: versions.length === 0 };
}
