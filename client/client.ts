/**
 * The public client. `Client` owns the connection (see core.ts); `client.namespace(prefix)` returns
 * a `KvClient` view over the same connection with every key under the prefix. Every method takes
 * `{ signal }`, is bounded by `requestTimeoutMs`, and rejects with a typed ClientError.
 *
 *   await using client = new Client({ endpoints: ['ws://127.0.0.1:2379'] });
 *   await client.put('greeting', 'hello');
 *   const kv = await client.get('greeting'); // KeyValue | undefined
 */
import { AuthApi } from './auth.js';
import { clusterApi, type ClusterApi } from './cluster.js';
import { maintenanceApi, type MaintenanceApi } from './maintenance.js';
import { ClientCore } from './core.js';
import {
  asJson,
  asText,
  deleteRequest,
  deleteResult,
  putRequest,
  putResult,
  rangeRequest,
  rangeResult,
  spacePrefixRange,
  type Abortable,
  type DeleteOptions,
  type DeleteResult,
  type GetOptions,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
} from './kv.js';
import {
  grantLease,
  KeepAliveImpl,
  leaseTimeToLive,
  revokeLease,
  type GrantOptions,
  type KeepAliveOptions,
  type LeaseGrant,
  type LeaseKeepAlive,
  type LeaseTimeToLive,
} from './lease.js';
import { KeySpace } from './namespace.js';
import { resolveOptions, type ClientOptions } from './options.js';
import type { KeyValue, MemberListResponse, ResponseHeader, StatusResponse } from './protocol/index.js';
import { Session, type SessionOptions } from './session.js';
import type { SnapshotDownload, SnapshotStreamOptions } from './snapshot.js';
import { StatusHub, TypedEmitter, type ClientEvents, type ClientState, type ClientStatus } from './status.js';
import { TxnBuilder } from './txn.js';
import { toBytes, type Bytes } from './util.js';
import { WatchImpl, type Watch, type WatchOptions } from './watch.js';

export interface CompactOptions extends Abortable {
  /** Answer only once the space is reclaimed. */
  readonly physical?: boolean;
}

/** Lease operations (shared by every view: leases are not namespaced; their keys are). */
export interface LeaseApi {
  grant(ttlSec: number, options?: GrantOptions): Promise<LeaseGrant>;
  revoke(id: number, options?: Abortable): Promise<void>;
  timeToLive(id: number, options?: Abortable & { readonly keys?: boolean }): Promise<LeaseTimeToLive>;
  /** Ids of every lease. */
  leases(options?: Abortable): Promise<readonly number[]>;
  /** Keeps lease `id` alive (renewing every TTL/3) until closed or lost; resolves after the first renewal. */
  keepAlive(id: number, options?: KeepAliveOptions): Promise<LeaseKeepAlive>;
}

/** Everything that works on keys; `Client` and its namespace views implement it. */
export interface KvClient {
  /** The view's key prefix (empty for the root). */
  readonly prefix: Uint8Array;
  get(key: Bytes, options?: GetOptions): Promise<KeyValue | undefined>;
  /** The value as UTF-8 text, or undefined. */
  getText(key: Bytes, options?: GetOptions): Promise<string | undefined>;
  /** The value parsed as JSON (unknown), or undefined. */
  getJson(key: Bytes, options?: GetOptions): Promise<unknown>;
  /** The value parsed as JSON and checked by `parse`, or undefined. */
  getJson<T>(
    key: Bytes,
    options: GetOptions & { readonly parse: (value: unknown) => T },
  ): Promise<T | undefined>;
  /** Keys in [key, rangeEnd). */
  getRange(key: Bytes, rangeEnd: Bytes, options?: RangeOptions): Promise<RangeResult>;
  /** Keys starting with `prefix` (in a namespace view, '' means every key of the namespace). */
  getPrefix(prefix: Bytes, options?: RangeOptions): Promise<RangeResult>;
  put(key: Bytes, value: Bytes, options?: PutOptions): Promise<PutResult>;
  /** JSON.stringify(value) as the value. */
  putJson(key: Bytes, value: unknown, options?: PutOptions): Promise<PutResult>;
  delete(key: Bytes, options?: DeleteOptions): Promise<DeleteResult>;
  deleteRange(key: Bytes, rangeEnd: Bytes, options?: DeleteOptions): Promise<DeleteResult>;
  deletePrefix(prefix: Bytes, options?: DeleteOptions): Promise<DeleteResult>;
  /** A typed transaction builder (see txn.ts). */
  txn(): TxnBuilder;
  /** Compacts history below `revision` (cluster-wide, not namespaced). */
  compact(revision: number, options?: CompactOptions): Promise<ResponseHeader>;
  /** An async iterator of changes; see watch.ts for the exactly-once guarantee. */
  watch(options: WatchOptions): Watch;
  readonly lease: LeaseApi;
  /** A lease kept alive for the life of the session (the base of recipes). */
  session(options?: SessionOptions): Promise<Session>;
  /** A view with every key under this view's prefix + `prefix`. */
  namespace(prefix: Bytes): KvClient;
}

class KvView implements KvClient {
  readonly lease: LeaseApi;

  constructor(
    protected readonly core: ClientCore,
    protected readonly space: KeySpace,
  ) {
    this.lease = {
      grant: (ttlSec, options) => grantLease(core, ttlSec, options),
      revoke: (id, options) => revokeLease(core, id, options),
      timeToLive: (id, options) => leaseTimeToLive(core, space, id, options),
      leases: async (options) => (await core.call('lease.leases', {}, options ?? {})).leases.map((l) => l.id),
      keepAlive: (id, options) => KeepAliveImpl.start(core, id, options),
    };
  }

  get prefix(): Uint8Array {
    return this.space.prefix;
  }

  async get(key: Bytes, options: GetOptions = {}): Promise<KeyValue | undefined> {
    const r = await this.core.call(
      'kv.range',
      rangeRequest(this.space, key, new Uint8Array(), options),
      options,
    );
    const kv = r.kvs[0];
    return kv === undefined ? undefined : this.space.kv(kv);
  }

  async getText(key: Bytes, options: GetOptions = {}): Promise<string | undefined> {
    const kv = await this.get(key, options);
    return kv === undefined ? undefined : asText(kv.value);
  }

  getJson(key: Bytes, options?: GetOptions): Promise<unknown>;
  getJson<T>(
    key: Bytes,
    options: GetOptions & { readonly parse: (value: unknown) => T },
  ): Promise<T | undefined>;
  async getJson<T>(
    key: Bytes,
    options: GetOptions & { readonly parse?: (value: unknown) => T } = {},
  ): Promise<unknown> {
    const kv = await this.get(key, options);
    if (kv === undefined) return undefined;
    const value = asJson(kv.value);
    return options.parse === undefined ? value : options.parse(value);
  }

  async getRange(key: Bytes, rangeEnd: Bytes, options: RangeOptions = {}): Promise<RangeResult> {
    const r = await this.core.call('kv.range', rangeRequest(this.space, key, rangeEnd, options), options);
    return rangeResult(this.space, r);
  }

  getPrefix(prefix: Bytes, options: RangeOptions = {}): Promise<RangeResult> {
    const { key, rangeEnd } = spacePrefixRange(this.space, prefix);
    return this.getRange(key, rangeEnd, options);
  }

  async put(key: Bytes, value: Bytes, options: PutOptions = {}): Promise<PutResult> {
    const r = await this.core.call('kv.put', putRequest(this.space, key, value, options), options);
    return putResult(this.space, r);
  }

  putJson(key: Bytes, value: unknown, options: PutOptions = {}): Promise<PutResult> {
    return this.put(key, JSON.stringify(value), options);
  }

  delete(key: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    return this.deleteRange(key, new Uint8Array(), options);
  }

  async deleteRange(key: Bytes, rangeEnd: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const r = await this.core.call(
      'kv.deleteRange',
      deleteRequest(this.space, key, rangeEnd, options),
      options,
    );
    return deleteResult(this.space, r);
  }

  deletePrefix(prefix: Bytes, options: DeleteOptions = {}): Promise<DeleteResult> {
    const { key, rangeEnd } = spacePrefixRange(this.space, prefix);
    return this.deleteRange(key, rangeEnd, options);
  }

  txn(): TxnBuilder {
    return new TxnBuilder(this.space, (request, options) => this.core.call('kv.txn', request, options));
  }

  async compact(revision: number, options: CompactOptions = {}): Promise<ResponseHeader> {
    const r = await this.core.call('kv.compact', { revision, physical: options.physical ?? false }, options);
    return r.header;
  }

  watch(options: WatchOptions): Watch {
    return new WatchImpl(this.core, this.space, options);
  }

  session(options: SessionOptions = {}): Promise<Session> {
    return Session.create(this.core, options);
  }

  namespace(prefix: Bytes): KvClient {
    return new KvView(this.core, this.space.child(toBytes(prefix)));
  }
}

/** Options of `client.ready()`. */
export interface ReadyOptions extends Abortable {
  /** Give up after this long (default `requestTimeoutMs`). */
  readonly timeoutMs?: number;
}

/**
 * A Concord client: one multiplexed WebSocket to one member at a time, failing over across
 * `endpoints`. Connects lazily (or on `ready()`); closed by `close()` or `await using`.
 *
 * It is a typed event emitter with the method set of Node's EventEmitter (events `state` and
 * `status`, see status.ts), so `events.once(client, 'state')` and `events.on(client, 'status')`
 * work as with any emitter.
 */
export class Client extends KvView implements AsyncDisposable {
  /** Users, roles and permissions (docs/auth.md). */
  readonly auth: AuthApi;
  private readonly emitter: TypedEmitter<ClientEvents>;
  private readonly hub: StatusHub;
  private closedReason: Promise<Error | undefined> | undefined;
  private maintenanceView: MaintenanceApi | undefined;
  private clusterView: ClusterApi | undefined;

  constructor(options: ClientOptions) {
    const resolved = resolveOptions(options);
    const emitter = new TypedEmitter<ClientEvents>();
    const hub = new StatusHub();
    const core = new ClientCore(resolved, {
      state: (s) => emitter.emit('state', s),
      status: (s) => {
        emitter.emit('status', s);
        hub.publish(s);
      },
    });
    super(core, new KeySpace(resolved.namespace));
    this.emitter = emitter;
    this.hub = hub;
    this.auth = new AuthApi(core);
  }

  /** The connection state. */
  get state(): ClientState {
    return this.core.state;
  }

  // ---- events: Node's EventEmitter methods, typed by ClientEvents --------------------------

  /** Listens to state changes or status events (typed). */
  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.on(event, listener);
    return this;
  }

  addListener<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.addListener(event, listener);
    return this;
  }

  prependListener<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.prependListener(event, listener);
    return this;
  }

  /** Listens to the next `event` only. */
  once<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.once(event, listener);
    return this;
  }

  prependOnceListener<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.prependOnceListener(event, listener);
    return this;
  }

  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.off(event, listener);
    return this;
  }

  removeListener<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): this {
    this.emitter.removeListener(event, listener);
    return this;
  }

  removeAllListeners(event?: keyof ClientEvents): this {
    this.emitter.removeAllListeners(event);
    return this;
  }

  setMaxListeners(n: number): this {
    this.emitter.setMaxListeners(n);
    return this;
  }

  getMaxListeners(): number {
    return this.emitter.getMaxListeners();
  }

  listeners<K extends keyof ClientEvents>(event: K): ClientEvents[K][] {
    return this.emitter.listeners(event);
  }

  rawListeners<K extends keyof ClientEvents>(event: K): ClientEvents[K][] {
    return this.emitter.rawListeners(event);
  }

  listenerCount<K extends keyof ClientEvents>(event: K, listener?: ClientEvents[K]): number {
    return this.emitter.listenerCount(event, listener);
  }

  eventNames(): (keyof ClientEvents)[] {
    return this.emitter.eventNames();
  }

  /** Emits an event to this client's listeners (the client's own use; part of the emitter shape). */
  emit<K extends keyof ClientEvents>(event: K, ...args: Parameters<ClientEvents[K]>): boolean {
    return this.emitter.emit(event, ...args);
  }

  /** Status events as an async iterable (single consumer per call); ends when the client closes. */
  status(): AsyncIterableIterator<ClientStatus> {
    const it = this.hub.subscribe();
    if (this.core.isClosed) it.stop();
    return it;
  }

  /**
   * Connects now (if not connected) and resolves once a member has welcomed the client. Rejects
   * with UnreachableError, whose message names why each endpoint failed (connection refused, TLS
   * handshake refused, ...), once every endpoint has failed `connectRounds` times or `timeoutMs`
   * (default `requestTimeoutMs`) has passed; with `signal.reason` if `signal` aborts first.
   */
  async ready(options: ReadyOptions = {}): Promise<void> {
    await this.core.ready(options.signal, options.timeoutMs);
  }

  /** The member this client is connected to (undefined while disconnected). */
  get endpoint(): string | undefined {
    return this.core.current()?.endpoint;
  }

  /** The status of the connected member. */
  async memberStatus(options: Abortable = {}): Promise<StatusResponse> {
    return this.maintenance.status(options);
  }

  /**
   * A backup of the connected member's state: the snapshot file, verified as it arrives (see
   * snapshot.ts). Resolves once the member has announced it; iterate the result for the bytes.
   */
  snapshot(options: SnapshotStreamOptions = {}): Promise<SnapshotDownload> {
    return this.maintenance.snapshot(options);
  }

  /** The members (the same as `cluster.memberList`). */
  async memberList(
    options: Abortable & { readonly linearizable?: boolean } = {},
  ): Promise<MemberListResponse> {
    return this.cluster.memberList(options);
  }

  /** etcd's Maintenance service: status, alarms, defragment, hash, hashKV, moveLeader. */
  get maintenance(): MaintenanceApi {
    return (this.maintenanceView ??= maintenanceApi(this.core));
  }

  /** etcd's Cluster service: member list, add, remove, update, promote. */
  get cluster(): ClusterApi {
    return (this.clusterView ??= clusterApi(this.core));
  }

  /**
   * Closes the connection; watches end, keep-alives stop (leases are not revoked). Resolves once
   * every socket and timer of the client is gone, so the process can exit. Idempotent.
   */
  close(): Promise<void> {
    if (this.closedReason === undefined) {
      this.closedReason = this.core.close().then(() => undefined);
    }
    return this.closedReason.then(() => undefined);
  }

  /** Resolves (never rejects) once the client is closed. */
  async closed(): Promise<Error | undefined> {
    if (this.core.isClosed && this.closedReason !== undefined) return this.closedReason;
    await new Promise<void>((resolve) => {
      const listener = (s: ClientState): void => {
        if (s === 'closed') {
          this.off('state', listener);
          resolve();
        }
      };
      if (this.core.isClosed) resolve();
      else this.on('state', listener);
    });
    return undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
