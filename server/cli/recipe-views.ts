/**
 * `concord queue`, `concord registry` and `concord config`: what the recipes keep, read from their
 * key layouts (recipes/queue.ts, registry.ts, config.ts; the prefixes and parsers are imported from
 * there, so a layout change shows here at once). Each view reads every range at ONE revision (the
 * first read's), so the numbers it prints belong together. Read-only: nothing is written.
 */
import type { Client, KeyValue } from '../../client/index.js';
import { checkConfigValue, parseInstance, QUEUE_PREFIX, SERVICE_PREFIX } from '../../recipes/index.js';
import { prefixEndOf } from './key-range.js';
import { leaseHex, table, text, type Json } from './render.js';

/**
 * Drops only the absent fields. These views are Concord's own shapes, not etcd's: a 0 (priority 0,
 * the most urgent) or a false means what it says and stays.
 */
function defined(fields: Readonly<Record<string, Json | undefined>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  return out;
}

const enc = new TextEncoder();

/** Reads `prefix` at `revision` (0: now); the answer's revision for the next reads. */
async function readPrefix(
  client: Client,
  prefix: string,
  revision: number,
  signal: AbortSignal,
  keysOnly = false,
): Promise<{ kvs: readonly KeyValue[]; revision: number }> {
  const p = enc.encode(prefix);
  const r = await client.getRange(p, prefixEndOf(p), { revision, keysOnly, signal });
  return { kvs: r.kvs, revision: revision === 0 ? r.revision : revision };
}

/** The remaining TTL of each distinct lease (-1: expired or gone). */
async function leaseTtls(
  client: Client,
  ids: readonly number[],
  signal: AbortSignal,
): Promise<Map<number, { ttl: number; granted: number }>> {
  const out = new Map<number, { ttl: number; granted: number }>();
  for (const id of new Set(ids.filter((i) => i !== 0))) {
    const r = await client.lease.timeToLive(id, { signal });
    out.set(id, { ttl: r.ttlSec, granted: r.grantedTtlSec });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// queue

export interface QueueSummary {
  readonly name: string;
  readonly pending: number;
  readonly inFlight: number;
}

export interface InFlightItem {
  readonly id: string;
  readonly priority: number | undefined;
  /** The consumer holding the claim; undefined when the claim is gone (an orphan). */
  readonly consumer: string | undefined;
  readonly claimRevision: number | undefined;
  /** Revisions written since the claim (the store keeps no wall-clock time). */
  readonly ageRevisions: number | undefined;
  /** The claiming session's lease and its remaining TTL: when it reaches 0 the item goes back. */
  readonly lease: number;
  readonly leaseTtlSec: number | undefined;
}

export interface QueueView {
  readonly name: string;
  readonly revision: number;
  readonly pending: number;
  readonly byPriority: readonly { readonly priority: number; readonly count: number }[];
  readonly inFlight: readonly InFlightItem[];
  /** Acked ids remembered for the dedup window. */
  readonly acked: number;
}

/** Every queue under the recipes' prefix, with its depth. */
export async function listQueues(
  client: Client,
  signal: AbortSignal,
): Promise<{ revision: number; queues: QueueSummary[] }> {
  const r = await readPrefix(client, QUEUE_PREFIX, 0, signal, true);
  const byName = new Map<string, { pending: number; inFlight: number }>();
  for (const kv of r.kvs) {
    const [name, kind] = text(kv.key).slice(QUEUE_PREFIX.length).split('/');
    if (name === undefined || name === '') continue;
    const q = byName.get(name) ?? { pending: 0, inFlight: 0 };
    if (kind === 'p') q.pending += 1;
    if (kind === 'i') q.inFlight += 1;
    byName.set(name, q);
  }
  const queues = [...byName].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, q]) => ({ name, ...q }));
  return { revision: r.revision, queues };
}

export async function queueView(client: Client, name: string, signal: AbortSignal): Promise<QueueView> {
  const base = `${QUEUE_PREFIX}${name}/`;
  const pending = await readPrefix(client, `${base}p/`, 0, signal, true);
  const revision = pending.revision;
  const inflight = await readPrefix(client, `${base}i/`, revision, signal);
  const claims = await readPrefix(client, `${base}c/`, revision, signal);
  const acked = await readPrefix(client, `${base}d/`, revision, signal, true);

  const counts = new Map<number, number>();
  for (const kv of pending.kvs) {
    const priority = Number(text(kv.key).slice(`${base}p/`.length, `${base}p/`.length + 3));
    counts.set(priority, (counts.get(priority) ?? 0) + 1);
  }
  const claimOf = new Map(claims.kvs.map((kv) => [text(kv.key).slice(`${base}c/`.length), kv]));
  const ttls = await leaseTtls(
    client,
    claims.kvs.map((kv) => kv.lease),
    signal,
  );
  const inFlight = inflight.kvs.map((kv): InFlightItem => {
    const id = text(kv.key).slice(`${base}i/`.length);
    const claim = claimOf.get(id);
    let priority: number | undefined;
    try {
      const p = (JSON.parse(text(kv.value)) as { priority?: unknown }).priority;
      if (typeof p === 'number') priority = p;
    } catch {
      // A record that is not JSON: shown without its priority.
    }
    return {
      id,
      priority,
      consumer: claim === undefined ? undefined : text(claim.value),
      claimRevision: claim?.createRevision,
      ageRevisions: claim === undefined ? undefined : revision - claim.createRevision,
      lease: claim?.lease ?? 0,
      leaseTtlSec: claim === undefined ? undefined : ttls.get(claim.lease)?.ttl,
    };
  });
  return {
    name,
    revision,
    pending: pending.kvs.length,
    byPriority: [...counts].sort(([a], [b]) => a - b).map(([priority, count]) => ({ priority, count })),
    inFlight,
    acked: acked.kvs.length,
  };
}

export function queueListJson(r: { revision: number; queues: readonly QueueSummary[] }): Json {
  return {
    revision: r.revision,
    queues: r.queues.map((q) => ({ name: q.name, pending: q.pending, inFlight: q.inFlight })),
  };
}

export function queueListLines(r: { queues: readonly QueueSummary[] }): string[] {
  if (r.queues.length === 0) return ['no queues'];
  return table(
    ['QUEUE', 'PENDING', 'IN FLIGHT'],
    r.queues.map((q) => [q.name, String(q.pending), String(q.inFlight)]),
  ).split('\n');
}

export function queueJson(v: QueueView): Json {
  return {
    name: v.name,
    revision: v.revision,
    pending: v.pending,
    byPriority: v.byPriority.map((p) => ({ priority: p.priority, count: p.count })),
    inFlight: v.inFlight.map((i) =>
      defined({
        id: i.id,
        priority: i.priority,
        consumer: i.consumer,
        claimRevision: i.claimRevision,
        ageRevisions: i.ageRevisions,
        lease: i.lease,
        leaseTTL: i.leaseTtlSec,
        orphaned: i.consumer === undefined,
      }),
    ),
    acked: v.acked,
    // The queue recipe keeps no dead-letter keys: an item whose consumer dies is redelivered.
    deadLetters: 0,
  };
}

export function queueLines(v: QueueView): string[] {
  const prios = v.byPriority.map((p) => `priority ${p.priority}: ${p.count}`).join(', ');
  const out = [
    `queue ${v.name} at revision ${v.revision}`,
    `pending: ${v.pending}${prios === '' ? '' : ` (${prios})`}`,
    `in flight: ${v.inFlight.length}`,
  ];
  if (v.inFlight.length > 0)
    out.push(
      ...table(
        ['ID', 'PRIORITY', 'CONSUMER', 'CLAIMED AT', 'AGE (REVISIONS)', 'SESSION TTL'],
        v.inFlight.map((i) => [
          i.id,
          i.priority === undefined ? '?' : String(i.priority),
          i.consumer ?? '(orphaned: requeued by the next dequeue)',
          i.claimRevision === undefined ? '' : String(i.claimRevision),
          i.ageRevisions === undefined ? '' : String(i.ageRevisions),
          i.leaseTtlSec === undefined ? '' : i.leaseTtlSec < 0 ? 'expired' : `${i.leaseTtlSec}s`,
        ]),
      ).split('\n'),
    );
  out.push(
    `acked ids remembered: ${v.acked}`,
    'dead letters: none (the queue recipe keeps none: an item whose consumer dies is redelivered)',
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// registry

export interface InstanceView {
  readonly service: string;
  readonly id: string;
  /** undefined: the stored entry is not a valid registration (the recipe skips it). */
  readonly address: string | undefined;
  readonly meta: Readonly<Record<string, string>>;
  readonly revision: number;
  readonly lease: number;
  readonly leaseTtlSec: number | undefined;
  readonly leaseGrantedTtlSec: number | undefined;
}

export interface RegistryView {
  readonly revision: number;
  readonly instances: readonly InstanceView[];
}

export async function registryView(
  client: Client,
  service: string | undefined,
  signal: AbortSignal,
): Promise<RegistryView> {
  const r = await readPrefix(
    client,
    service === undefined ? SERVICE_PREFIX : `${SERVICE_PREFIX}${service}/`,
    0,
    signal,
  );
  const ttls = await leaseTtls(
    client,
    r.kvs.map((kv) => kv.lease),
    signal,
  );
  const instances = r.kvs.flatMap((kv): InstanceView[] => {
    const rest = text(kv.key).slice(SERVICE_PREFIX.length);
    const slash = rest.indexOf('/');
    if (slash <= 0) return [];
    const svc = rest.slice(0, slash);
    const parsed = parseInstance(svc, kv);
    const ttl = ttls.get(kv.lease);
    return [
      {
        service: svc,
        id: parsed?.id ?? rest.slice(slash + 1),
        address: parsed?.address,
        meta: parsed?.meta ?? {},
        revision: kv.modRevision,
        lease: kv.lease,
        leaseTtlSec: ttl?.ttl,
        leaseGrantedTtlSec: ttl?.granted,
      },
    ];
  });
  return { revision: r.revision, instances };
}

export function registryJson(v: RegistryView): Json {
  const services = new Map<string, Json[]>();
  for (const i of v.instances) {
    const list = services.get(i.service) ?? [];
    list.push(
      defined({
        id: i.id,
        address: i.address,
        meta: i.meta,
        revision: i.revision,
        lease: i.lease,
        leaseTTL: i.leaseTtlSec,
        grantedTTL: i.leaseGrantedTtlSec,
        valid: i.address !== undefined,
      }),
    );
    services.set(i.service, list);
  }
  return {
    revision: v.revision,
    services: [...services].map(([name, instances]) => ({ name, instances })),
  };
}

export function registryLines(v: RegistryView): string[] {
  if (v.instances.length === 0) return ['no registered instances'];
  const out: string[] = [];
  const services = [...new Set(v.instances.map((i) => i.service))];
  for (const s of services) {
    const mine = v.instances.filter((i) => i.service === s);
    out.push(`${s}: ${mine.length} instance${mine.length === 1 ? '' : 's'}`);
    out.push(
      ...table(
        ['ID', 'ADDRESS', 'META', 'LEASE', 'TTL'],
        mine.map((i) => [
          i.id,
          i.address ?? '(not a valid registration)',
          Object.entries(i.meta)
            .map(([k, val]) => `${k}=${val}`)
            .join(','),
          i.lease === 0 ? '' : leaseHex(i.lease),
          i.leaseTtlSec === undefined
            ? ''
            : i.leaseTtlSec < 0
              ? 'expired'
              : `${i.leaseTtlSec}s of ${i.leaseGrantedTtlSec ?? '?'}s`,
        ]),
      ).split('\n'),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// config

export interface ConfigDocument {
  readonly key: string;
  readonly version: number;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly lease: number;
  /** JSON type of the document, or 'invalid' when it is not JSON (subscribeConfig reports it so). */
  readonly type: 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null' | 'invalid';
  readonly value: Json | undefined;
  readonly raw: string;
  readonly error: string | undefined;
}

export interface ConfigView {
  readonly revision: number;
  readonly documents: readonly ConfigDocument[];
}

function jsonType(v: unknown): ConfigDocument['type'] {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'object' || t === 'string' || t === 'number' || t === 'boolean' ? t : 'invalid';
}

export async function configView(client: Client, prefix: string, signal: AbortSignal): Promise<ConfigView> {
  const r = await readPrefix(client, prefix, 0, signal);
  const documents = r.kvs.map((kv): ConfigDocument => {
    const raw = text(kv.value);
    // The recipe's own check (subscribeConfig's default: JSON), so "invalid" means the same here.
    const checked = checkConfigValue<Json>(raw, {});
    return {
      key: text(kv.key),
      version: kv.version,
      createRevision: kv.createRevision,
      modRevision: kv.modRevision,
      lease: kv.lease,
      type: checked.ok ? jsonType(checked.value) : 'invalid',
      value: checked.ok ? checked.value : undefined,
      raw,
      error: checked.ok ? undefined : String((checked.error as Error).message ?? checked.error),
    };
  });
  return { revision: r.revision, documents };
}

export function configJson(v: ConfigView): Json {
  return {
    revision: v.revision,
    documents: v.documents.map((d) => {
      const base = defined({
        key: d.key,
        version: d.version,
        create_revision: d.createRevision,
        mod_revision: d.modRevision,
        lease: d.lease,
        type: d.type,
      });
      return d.value === undefined
        ? { ...base, raw: d.raw, error: d.error ?? '' }
        : { ...base, value: d.value };
    }),
  };
}

export function configLines(v: ConfigView): string[] {
  if (v.documents.length === 0) return ['no documents'];
  const out: string[] = [];
  for (const d of v.documents) {
    if (out.length > 0) out.push('');
    out.push(`${d.key}  version ${d.version}  revision ${d.modRevision}  ${d.type}`);
    if (d.value !== undefined) out.push(...JSON.stringify(d.value, null, 2).split('\n'));
    else out.push(`not JSON (${d.error ?? ''}):`, d.raw);
  }
  return out;
}

/** etcdctl-like `-w fields` for a view: one `"path" : value` line per leaf of its JSON. */
export function jsonFieldLines(value: Json, path = ''): string[] {
  if (value === null || typeof value !== 'object') {
    const v = typeof value === 'string' ? JSON.stringify(value) : String(value);
    return [`"${path}" : ${v}`];
  }
  const entries: [string, Json][] = Array.isArray(value)
    ? (value as readonly Json[]).map((v, i) => [`${path}[${i}]`, v])
    : Object.entries(value).map(([k, v]) => [path === '' ? k : `${path}.${k}`, v]);
  return entries.flatMap(([p, v]) => jsonFieldLines(v, p));
}
