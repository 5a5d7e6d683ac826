/**
 * The same operations against both targets: Concord through its SDK (client/index.ts), etcd
 * through the `etcd3` npm client (what a Node user of etcd would use). The workloads only see
 * `Driver`.
 */
import { Etcd3 } from 'etcd3';
import { Client, Cmp, EventType, Op } from '../client/index.js';
import type { TargetName } from './stats.js';

export interface LockTicket {
  readonly myKey: string;
  /** create revision of my key */
  readonly myRev: number;
  /** create revision of the oldest key under the lock prefix (the owner) */
  readonly ownerRev: number;
}

export interface Driver {
  readonly target: TargetName;
  put(key: string, value: Uint8Array): Promise<void>;
  get(key: string, serializable: boolean): Promise<void>;
  /** One compare-and-swap attempt on modRevision; returns success and the key's modRevision now. */
  cas(key: string, modRev: number, value: Uint8Array): Promise<{ ok: boolean; modRev: number }>;
  /** Watches a prefix; `onPut` gets the value of every put. Resolves once the watch is created. */
  watchPrefix(prefix: string, onPut: (value: Uint8Array) => void): Promise<() => Promise<void>>;
  /** grant(ttl) → one keep-alive renewal → revoke */
  leaseCycle(ttlSec: number): Promise<void>;
  grant(ttlSec: number): Promise<string>;
  /** etcd's mutex step 1: create my key under the prefix (if absent) and read the owner. */
  lockEnqueue(prefix: string, leaseId: string): Promise<LockTicket>;
  /** The newest key under the prefix created before maxCreateRev, and the revision of that read. */
  lastBefore(prefix: string, maxCreateRev: number): Promise<{ key: string; revision: number } | undefined>;
  /** Resolves when `key` is deleted at or after startRev. */
  waitDelete(key: string, startRev: number): Promise<void>;
  del(key: string): Promise<void>;
  close(): Promise<void>;
}

export interface DriverOptions {
  readonly requestTimeoutMs?: number;
}

/** Opens a driver to the target whose members serve these client URLs. */
export function openDriver(
  target: TargetName,
  clientUrls: readonly string[],
  options: DriverOptions = {},
): Driver {
  return target === 'concord' ? new ConcordDriver(clientUrls, options) : new EtcdDriver(clientUrls, options);
}

const utf8 = new TextDecoder();

class ConcordDriver implements Driver {
  readonly target = 'concord' as const;
  private readonly client: Client;

  constructor(urls: readonly string[], options: DriverOptions) {
    this.client = new Client({
      endpoints: [...urls],
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      clientName: 'bench',
    });
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key, value);
  }

  async get(key: string, serializable: boolean): Promise<void> {
    await this.client.get(key, { serializable });
  }

  async cas(key: string, modRev: number, value: Uint8Array): Promise<{ ok: boolean; modRev: number }> {
    const r = await this.client
      .txn()
      .if(Cmp.modRevision(key, '==', modRev))
      .then(Op.put(key, value))
      .else(Op.get(key))
      .commit();
    if (r.succeeded) return { ok: true, modRev: r.revision };
    return { ok: false, modRev: r.results[0]?.modRevision ?? 0 };
  }

  async watchPrefix(prefix: string, onPut: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    const w = this.client.watch({ prefix });
    const loop = (async () => {
      try {
        for await (const batch of w)
          for (const e of batch.events) if (e.type === EventType.Put) onPut(e.kv.value);
      } catch {
        // closed
      }
    })();
    await w.ready();
    return async () => {
      await w.close();
      await loop;
    };
  }

  async leaseCycle(ttlSec: number): Promise<void> {
    const g = await this.client.lease.grant(ttlSec);
    const ka = await this.client.lease.keepAlive(g.id);
    await ka.revoke();
  }

  async grant(ttlSec: number): Promise<string> {
    return String((await this.client.lease.grant(ttlSec)).id);
  }

  async lockEnqueue(prefix: string, leaseId: string): Promise<LockTicket> {
    const myKey = `${prefix}${Number(leaseId).toString(16)}`;
    const owner = Op.prefix(prefix, { sortTarget: 'create', sortOrder: 'ascend', limit: 1 });
    const r = await this.client
      .txn()
      .if(Cmp.missing(myKey))
      .then(Op.put(myKey, '', { lease: Number(leaseId) }), owner)
      .else(Op.get(myKey), owner)
      .commit();
    if (r.succeeded) {
      return { myKey, myRev: r.revision, ownerRev: r.results[1].kvs[0]?.createRevision ?? 0 };
    }
    return {
      myKey,
      myRev: r.results[0]?.createRevision ?? 0,
      ownerRev: r.results[1].kvs[0]?.createRevision ?? 0,
    };
  }

  async lastBefore(
    prefix: string,
    maxCreateRev: number,
  ): Promise<{ key: string; revision: number } | undefined> {
    const r = await this.client.getPrefix(prefix, {
      maxCreateRevision: maxCreateRev,
      sortTarget: 'create',
      sortOrder: 'descend',
      limit: 1,
    });
    const kv = r.kvs[0];
    return kv === undefined ? undefined : { key: utf8.decode(kv.key), revision: r.revision };
  }

  async waitDelete(key: string, startRev: number): Promise<void> {
    const w = this.client.watch({ key, startRevision: startRev, filters: ['noPut'] });
    try {
      for await (const batch of w) if (batch.events.some((e) => e.type === EventType.Delete)) return;
    } finally {
      await w.close();
    }
  }

  async del(key: string): Promise<void> {
    await this.client.delete(key);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

class EtcdDriver implements Driver {
  readonly target = 'etcd' as const;
  private readonly client: Etcd3;

  constructor(urls: readonly string[], options: DriverOptions) {
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.client = new Etcd3({
      hosts: [...urls],
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
    });
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.client.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  async get(key: string, serializable: boolean): Promise<void> {
    await this.client.get(key).serializable(serializable).exec();
  }

  async cas(key: string, modRev: number, value: Uint8Array): Promise<{ ok: boolean; modRev: number }> {
    const r = await this.client
      .if(key, 'Mod', '==', modRev)
      .then(this.client.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength)))
      .else(this.client.get(key))
      .commit();
    if (r.succeeded) return { ok: true, modRev: Number(r.header.revision) };
    return { ok: false, modRev: Number(r.responses[0]?.response_range?.kvs[0]?.mod_revision ?? 0) };
  }

  async watchPrefix(prefix: string, onPut: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    const w = this.client.watch().prefix(prefix).watcher();
    w.on('put', (kv) => onPut(kv.value));
    await new Promise<void>((resolve, reject) => {
      w.once('connected', () => resolve());
      w.once('error', reject);
    });
    return async () => {
      await w.cancel();
    };
  }

  async leaseCycle(ttlSec: number): Promise<void> {
    const lease = this.client.lease(ttlSec, { autoKeepAlive: false });
    await lease.grant();
    await lease.keepaliveOnce();
    await lease.revoke();
  }

  async grant(ttlSec: number): Promise<string> {
    return (await this.client.leaseClient.leaseGrant({ TTL: ttlSec })).ID;
  }

  async lockEnqueue(prefix: string, leaseId: string): Promise<LockTicket> {
    const myKey = `${prefix}${BigInt(leaseId).toString(16)}`;
    const owner = (): ReturnType<Etcd3['getAll']> =>
      this.client.getAll().prefix(prefix).sort('Create', 'Ascend').limit(1);
    const r = await this.client
      .if(myKey, 'Create', '==', 0)
      .then(this.client.put(myKey).value('').lease(leaseId), owner())
      .else(this.client.get(myKey), owner())
      .commit();
    const ownerRev = Number(r.responses[1]?.response_range?.kvs[0]?.create_revision ?? 0);
    if (r.succeeded) return { myKey, myRev: Number(r.header.revision), ownerRev };
    return { myKey, myRev: Number(r.responses[0]?.response_range?.kvs[0]?.create_revision ?? 0), ownerRev };
  }

  async lastBefore(
    prefix: string,
    maxCreateRev: number,
  ): Promise<{ key: string; revision: number } | undefined> {
    const end = Buffer.from(prefix);
    end[end.length - 1]!++;
    const r = await this.client.kv.range({
      key: Buffer.from(prefix),
      range_end: end,
      max_create_revision: String(maxCreateRev),
      sort_target: 'Create',
      sort_order: 'Descend',
      limit: 1,
    });
    const kv = r.kvs[0];
    return kv === undefined ? undefined : { key: kv.key.toString(), revision: Number(r.header.revision) };
  }

  async waitDelete(key: string, startRev: number): Promise<void> {
    const w = this.client.watch().key(key).startRevision(String(startRev)).watcher();
    await new Promise<void>((resolve, reject) => {
      w.once('delete', () => resolve());
      w.once('error', reject);
    });
    await w.cancel();
  }

  async del(key: string): Promise<void> {
    await this.client.delete().key(key);
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }
}
