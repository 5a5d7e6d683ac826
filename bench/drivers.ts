/**
 * The same operations against both targets: Concord through its SDK (client/index.ts), etcd
 * through the `etcd3` npm client (what a Node user of etcd would use). With the `etcd3` client
 * chosen for both, Concord is driven like etcd, over etcd's gRPC API, so that a comparison does
 * not mix two clients. The workloads only see `Driver`.
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

/** Which client drives a target: each target's own (Concord's SDK, etcd3 for etcd), or etcd3 for both. */
export type DriverClient = 'native' | 'etcd3';
export const DRIVER_CLIENTS: readonly DriverClient[] = ['native', 'etcd3'];

export interface Driver {
  readonly target: TargetName;
  readonly client: DriverClient;
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

/** The client library behind a driver. */
export function clientLibrary(d: Driver): 'concord-sdk' | 'etcd3' {
  return d.target === 'concord' && d.client === 'native' ? 'concord-sdk' : 'etcd3';
}

export interface DriverOptions {
  readonly requestTimeoutMs?: number;
  /** 'native' by default. */
  readonly client?: DriverClient;
  /**
   * etcd3 only: send the first URL, scheme included, as every call's `:authority`, as etcdctl 3.4
   * does with URL endpoints (a member then serves the connection through its authority shim).
   */
  readonly schemeAuthority?: boolean;
}

/** Opens a driver to the target whose members serve these client URLs. */
export function openDriver(
  target: TargetName,
  clientUrls: readonly string[],
  options: DriverOptions = {},
): Driver {
  if (target === 'concord' && (options.client ?? 'native') === 'native')
    return new ConcordDriver(clientUrls, options);
  return new EtcdDriver(target, clientUrls, options);
}

const utf8 = new TextDecoder();

class ConcordDriver implements Driver {
  readonly target = 'concord' as const;
  readonly client = 'native' as const;
  private readonly sdk: Client;

  constructor(urls: readonly string[], options: DriverOptions) {
    this.sdk = new Client({
      endpoints: [...urls],
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      clientName: 'bench',
    });
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.sdk.put(key, value);
  }

  async get(key: string, serializable: boolean): Promise<void> {
    await this.sdk.get(key, { serializable });
  }

  async cas(key: string, modRev: number, value: Uint8Array): Promise<{ ok: boolean; modRev: number }> {
    const r = await this.sdk
      .txn()
      .if(Cmp.modRevision(key, '==', modRev))
      .then(Op.put(key, value))
      .else(Op.get(key))
      .commit();
    if (r.succeeded) return { ok: true, modRev: r.revision };
    return { ok: false, modRev: r.results[0]?.modRevision ?? 0 };
  }

  async watchPrefix(prefix: string, onPut: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    const w = this.sdk.watch({ prefix });
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
    const g = await this.sdk.lease.grant(ttlSec);
    const ka = await this.sdk.lease.keepAlive(g.id);
    await ka.revoke();
  }

  async grant(ttlSec: number): Promise<string> {
    return String((await this.sdk.lease.grant(ttlSec)).id);
  }

  async lockEnqueue(prefix: string, leaseId: string): Promise<LockTicket> {
    const myKey = `${prefix}${Number(leaseId).toString(16)}`;
    const owner = Op.prefix(prefix, { sortTarget: 'create', sortOrder: 'ascend', limit: 1 });
    const r = await this.sdk
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
    const r = await this.sdk.getPrefix(prefix, {
      maxCreateRevision: maxCreateRev,
      sortTarget: 'create',
      sortOrder: 'descend',
      limit: 1,
    });
    const kv = r.kvs[0];
    return kv === undefined ? undefined : { key: utf8.decode(kv.key), revision: r.revision };
  }

  async waitDelete(key: string, startRev: number): Promise<void> {
    const w = this.sdk.watch({ key, startRevision: startRev, filters: ['noPut'] });
    try {
      for await (const batch of w) if (batch.events.some((e) => e.type === EventType.Delete)) return;
    } finally {
      await w.close();
    }
  }

  async del(key: string): Promise<void> {
    await this.sdk.delete(key);
  }

  async close(): Promise<void> {
    await this.sdk.close();
  }
}

/** The `etcd3` npm client over gRPC: etcd's own driver, and Concord's when both use one client. */
class EtcdDriver implements Driver {
  readonly client: DriverClient;
  private readonly etcd: Etcd3;

  constructor(
    readonly target: TargetName,
    urls: readonly string[],
    options: DriverOptions,
  ) {
    this.client = target === 'etcd' ? 'native' : 'etcd3';
    const timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.etcd = new Etcd3({
      hosts: [...urls],
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      ...(options.schemeAuthority === true ? { grpcOptions: { 'grpc.default_authority': urls[0]! } } : {}),
    });
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    await this.etcd.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }

  async get(key: string, serializable: boolean): Promise<void> {
    await this.etcd.get(key).serializable(serializable).exec();
  }

  async cas(key: string, modRev: number, value: Uint8Array): Promise<{ ok: boolean; modRev: number }> {
    const r = await this.etcd
      .if(key, 'Mod', '==', modRev)
      .then(this.etcd.put(key).value(Buffer.from(value.buffer, value.byteOffset, value.byteLength)))
      .else(this.etcd.get(key))
      .commit();
    if (r.succeeded) return { ok: true, modRev: Number(r.header.revision) };
    return { ok: false, modRev: Number(r.responses[0]?.response_range?.kvs[0]?.mod_revision ?? 0) };
  }

  async watchPrefix(prefix: string, onPut: (value: Uint8Array) => void): Promise<() => Promise<void>> {
    const w = this.etcd.watch().prefix(prefix).watcher();
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
    const lease = this.etcd.lease(ttlSec, { autoKeepAlive: false });
    await lease.grant();
    await lease.keepaliveOnce();
    await lease.revoke();
  }

  async grant(ttlSec: number): Promise<string> {
    return (await this.etcd.leaseClient.leaseGrant({ TTL: ttlSec })).ID;
  }

  async lockEnqueue(prefix: string, leaseId: string): Promise<LockTicket> {
    const myKey = `${prefix}${BigInt(leaseId).toString(16)}`;
    const owner = (): ReturnType<Etcd3['getAll']> =>
      this.etcd.getAll().prefix(prefix).sort('Create', 'Ascend').limit(1);
    const r = await this.etcd
      .if(myKey, 'Create', '==', 0)
      .then(this.etcd.put(myKey).value('').lease(leaseId), owner())
      .else(this.etcd.get(myKey), owner())
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
    const r = await this.etcd.kv.range({
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
    const w = this.etcd.watch().key(key).startRevision(String(startRev)).watcher();
    await new Promise<void>((resolve, reject) => {
      w.once('delete', () => resolve());
      w.once('error', reject);
    });
    await w.cancel();
  }

  async del(key: string): Promise<void> {
    await this.etcd.delete().key(key);
  }

  close(): Promise<void> {
    this.etcd.close();
    return Promise.resolve();
  }
}
