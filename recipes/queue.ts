/**
 * A work queue with priorities, blocking dequeue and acknowledgements.
 *
 *   const q = new WorkQueue(client, 'thumbnails', { ttlSec: 10 });
 *   await q.enqueue(JSON.stringify(job), { priority: 0 });       // 0 = most urgent
 *   const item = await q.dequeue({ signal });                    // waits by watching
 *   await process(item.value);
 *   await item.ack();
 *
 * Layout under `concord/queues/<name>/`:
 *   p/<priority, 3 digits>/<id>  pending item (value = payload), no lease
 *   i/<id>                       in flight: {"priority", "value"}, no lease
 *   c/<id>                       claim: the consumer's identity, attached to its session lease
 *   d/<id>                       acked (empty), attached to a lease of `dedupWindowSec`: an
 *                                enqueue retried with the same id inside the window is a no-op
 * A dequeue moves p/… to i/<id> and creates c/<id> in ONE transaction that compares the pending
 * key's mod revision, so two consumers can never both take the same item.
 *
 * Semantics (chosen and guaranteed)
 * - Order: lowest priority number first; FIFO (create revision) within a priority.
 * - An item is delivered to exactly one consumer at a time. `ack()` deletes it for good.
 * - Visibility timeout = the consumer's session: if the consumer dies (or its session is lost, or
 *   it calls `nack()`) before acking, its claim key disappears with the lease and the item goes
 *   back to the end of its priority's line, to be delivered again. So delivery is at-least-once
 *   across consumer failures and exactly-once for consumers that ack while alive; `item.signal`
 *   tells a consumer its claim is gone (stop, the item will be redone elsewhere).
 * - Orphaned in-flight items are requeued by the next `dequeue` of any consumer (a dequeue watches
 *   the whole queue, so a claim expiring wakes waiting consumers).
 * - Blocking `dequeue` waits by watching the queue prefix (no polling); it takes a signal.
 *
 * Failure behaviour: member failover is ridden out by the SDK; an IndeterminateError while
 * claiming is settled by reading the claim key. An IndeterminateError from `enqueue` means the item
 * may or may not be queued: pass `id` to make a retry safe — a retry with the same id is a no-op
 * (`queued: false`) while the item is pending, in flight, or acked less than `dedupWindowSec`
 * (default 10 minutes) ago; after that window the id may be used again.
 */
import { nanoid } from 'nanoid';
import { ClientError, Cmp, Op, type KvClient, type KeyValue, type Session } from '../client/index.js';
import { RecipeError, RecipeErrorCode, invalidArgument } from './errors.js';
import { checkName, sig, text, waitChange, withDeadline } from './internal.js';
import { scopedSession, type ScopedSession, type SessionChoice } from './session-scope.js';

export const QUEUE_PREFIX = 'concord/queues/';
export const QUEUE_DEFAULTS = {
  priority: 100,
  maxPriority: 999,
  orphanScanLimit: 64,
  dedupWindowSec: 600,
} as const;

export interface QueueOptions extends SessionChoice {
  /** This consumer's identity, stored in its claims (default: random). */
  readonly consumerId?: string;
  /**
   * How long an acked item's id is remembered, so that a retried enqueue with that id does not
   * queue it again (default 600 s; 0 remembers nothing). Each consumer's acks share one lease of
   * this TTL, renewed by a fresh grant once half of it has passed.
   */
  readonly dedupWindowSec?: number;
}

export interface EnqueueOptions {
  /** 0 (most urgent) … 999; default 100. */
  readonly priority?: number;
  /** Item id (default random); an enqueue retried with the same id is not duplicated. */
  readonly id?: string;
  readonly signal?: AbortSignal;
}

/** An item held by this consumer. */
export class QueueItem {
  /** @internal */
  constructor(
    private readonly queue: WorkQueue,
    readonly id: string,
    readonly value: string,
    readonly priority: number,
    /** Revision of the dequeue. */
    readonly revision: number,
    private readonly session: Session,
  ) {}

  /** Aborts when this consumer's claim may be gone (its session lost): the item will be redone. */
  get signal(): AbortSignal {
    return this.session.signal;
  }

  /**
   * Done: deletes the item (and remembers its id for the dedup window). False if the claim was
   * already lost (the item may be redelivered).
   */
  async ack(options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    const q = this.queue;
    const dedupLease = await q.dedupLease(options.signal);
    const done = dedupLease === undefined ? [] : [Op.put(q.doneKey(this.id), '', { lease: dedupLease })];
    const r = await q.kv
      .txn()
      .if(Cmp.lease(q.claimKey(this.id), '==', this.session.leaseId))
      .then(Op.delete(q.claimKey(this.id)), Op.delete(q.inflightKey(this.id)), ...done)
      .commit(sig(options.signal));
    return r.succeeded;
  }

  /** Gives the item back at once (to the end of its priority's line). False if the claim was lost. */
  async nack(options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    const r = await this.queue.kv
      .txn()
      .if(Cmp.lease(this.queue.claimKey(this.id), '==', this.session.leaseId))
      .then(
        Op.delete(this.queue.claimKey(this.id)),
        Op.delete(this.queue.inflightKey(this.id)),
        Op.put(this.queue.pendingKey(this.priority, this.id), this.value),
      )
      .commit(sig(options.signal));
    return r.succeeded;
  }
}

export class WorkQueue implements AsyncDisposable {
  readonly base: string;
  readonly consumerId: string;
  private scoped: Promise<ScopedSession> | undefined;
  private dedup: Promise<{ readonly id: number; readonly renewAtMs: number }> | undefined;

  constructor(
    readonly kv: KvClient,
    readonly name: string,
    private readonly options: QueueOptions = {},
  ) {
    this.base = `${QUEUE_PREFIX}${checkName('queue name', name)}/`;
    this.consumerId = options.consumerId ?? nanoid(10);
    const dedup = options.dedupWindowSec;
    if (dedup !== undefined && (!Number.isSafeInteger(dedup) || dedup < 0))
      throw invalidArgument('dedupWindowSec must be an integer ≥ 0');
  }

  pendingKey(priority: number, id: string): string {
    return `${this.base}p/${String(priority).padStart(3, '0')}/${id}`;
  }
  inflightKey(id: string): string {
    return `${this.base}i/${id}`;
  }
  claimKey(id: string): string {
    return `${this.base}c/${id}`;
  }
  doneKey(id: string): string {
    return `${this.base}d/${id}`;
  }

  /** @internal The lease acked ids hang on (undefined when dedup is off). */
  async dedupLease(signal: AbortSignal | undefined): Promise<number | undefined> {
    const windowSec = this.options.dedupWindowSec ?? QUEUE_DEFAULTS.dedupWindowSec;
    if (windowSec === 0) return undefined;
    const current = this.dedup;
    if (current !== undefined) {
      const lease = await current.catch(() => undefined);
      // a marker must live at least half the window: past that, ids go on a new lease
      if (lease !== undefined && Date.now() < lease.renewAtMs) return lease.id;
      if (this.dedup !== current) return this.dedupLease(signal);
    }
    const granted = this.kv.lease
      .grant(windowSec, sig(signal))
      .then((g) => ({ id: g.id, renewAtMs: Date.now() + (g.ttlSec * 1000) / 2 }));
    this.dedup = granted;
    granted.catch(() => {
      if (this.dedup === granted) this.dedup = undefined;
    });
    return (await granted).id;
  }

  /**
   * Adds an item; resolves with its id, the revision of the enqueue, and whether it was queued
   * now (false: an item with this id is pending, in flight or was acked within the dedup window).
   */
  async enqueue(
    value: string,
    options: EnqueueOptions = {},
  ): Promise<{ id: string; revision: number; queued: boolean }> {
    const priority = options.priority ?? QUEUE_DEFAULTS.priority;
    if (!Number.isSafeInteger(priority) || priority < 0 || priority > QUEUE_DEFAULTS.maxPriority)
      throw invalidArgument(`priority must be an integer in [0, ${QUEUE_DEFAULTS.maxPriority}]`);
    const id = options.id ?? nanoid(16);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id))
      throw invalidArgument('item id must be 1–64 characters [A-Za-z0-9_-]');
    const key = this.pendingKey(priority, id);
    const r = await this.kv
      .txn()
      .if(Cmp.missing(key), Cmp.missing(this.inflightKey(id)), Cmp.missing(this.doneKey(id)))
      .then(Op.put(key, value))
      .commit(sig(options.signal));
    return { id, revision: r.revision, queued: r.succeeded };
  }

  /** Pending items (not in flight). */
  async size(options: { readonly signal?: AbortSignal } = {}): Promise<number> {
    return (await this.kv.getPrefix(`${this.base}p/`, { countOnly: true, ...sig(options.signal) })).count;
  }

  private session(signal: AbortSignal | undefined): Promise<ScopedSession> {
    const current = this.scoped;
    if (current !== undefined) return current;
    const created = scopedSession(this.kv, this.options, signal);
    this.scoped = created;
    created.catch(() => (this.scoped = undefined));
    return created;
  }

  /** Waits for the next item and claims it for this consumer. */
  async dequeue(
    options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
  ): Promise<QueueItem> {
    const signal = withDeadline(options.signal, options.timeoutMs, `dequeue ${this.name}`);
    for (;;) {
      signal?.throwIfAborted();
      const scoped = await this.session(signal);
      if (scoped.session.isLost) {
        this.scoped = undefined;
        continue;
      }
      const r = await this.tryDequeueAt(scoped.session, signal);
      if (r.item !== undefined) return r.item;
      await waitChange(this.kv, { prefix: this.base }, r.revision, signal);
    }
  }

  /** The next item if one is pending now, else undefined. */
  async tryDequeue(options: { readonly signal?: AbortSignal } = {}): Promise<QueueItem | undefined> {
    const scoped = await this.session(options.signal);
    return (await this.tryDequeueAt(scoped.session, options.signal)).item;
  }

  private async tryDequeueAt(
    session: Session,
    signal: AbortSignal | undefined,
  ): Promise<{ item: QueueItem | undefined; revision: number }> {
    await this.requeueOrphans(signal);
    for (;;) {
      const head = await this.kv.getPrefix(`${this.base}p/`, {
        sortTarget: 'key',
        sortOrder: 'ascend',
        limit: 1,
        keysOnly: true,
        ...sig(signal),
      });
      const first = head.kvs[0];
      if (first === undefined) return { item: undefined, revision: head.revision };
      const bucket = text(first.key).slice(0, `${this.base}p/000/`.length);
      const oldest = await this.kv.getPrefix(bucket, {
        sortTarget: 'create',
        sortOrder: 'ascend',
        limit: 1,
        ...sig(signal),
      });
      const kv = oldest.kvs[0];
      if (kv === undefined) continue;
      const item = await this.claim(kv, session, signal);
      if (item !== undefined) return { item, revision: item.revision };
    }
  }

  private async claim(
    kv: KeyValue,
    session: Session,
    signal: AbortSignal | undefined,
  ): Promise<QueueItem | undefined> {
    const key = text(kv.key);
    const rest = key.slice(`${this.base}p/`.length);
    const priority = Number(rest.slice(0, 3));
    const id = rest.slice(4);
    const value = text(kv.value);
    try {
      const r = await this.kv
        .txn()
        .if(Cmp.modRevision(key, '==', kv.modRevision))
        .then(
          Op.delete(key),
          Op.put(this.inflightKey(id), JSON.stringify({ priority, value })),
          Op.put(this.claimKey(id), this.consumerId, { lease: session.leaseId }),
        )
        .commit(sig(signal));
      return r.succeeded ? new QueueItem(this, id, value, priority, r.revision, session) : undefined;
    } catch (e) {
      if (!(e instanceof ClientError && e.mayHaveApplied)) throw e;
      const claim = await this.kv.get(this.claimKey(id), sig(signal));
      return claim !== undefined && claim.lease === session.leaseId && claim.createRevision > kv.modRevision
        ? new QueueItem(this, id, value, priority, claim.createRevision, session)
        : undefined;
    }
  }

  /** Puts in-flight items whose claim is gone back into the pending line. */
  private async requeueOrphans(signal: AbortSignal | undefined): Promise<void> {
    const inflight = await this.kv.getPrefix(`${this.base}i/`, {
      limit: QUEUE_DEFAULTS.orphanScanLimit,
      ...sig(signal),
    });
    if (inflight.kvs.length === 0) return;
    const claims = await this.kv.getPrefix(`${this.base}c/`, { keysOnly: true, ...sig(signal) });
    const claimed = new Set(claims.kvs.map((k) => text(k.key).slice(`${this.base}c/`.length)));
    for (const kv of inflight.kvs) {
      const id = text(kv.key).slice(`${this.base}i/`.length);
      if (claimed.has(id)) continue;
      let parsed: { priority: number; value: string };
      try {
        parsed = JSON.parse(text(kv.value)) as { priority: number; value: string };
      } catch (e) {
        throw new RecipeError(RecipeErrorCode.InvalidValue, `in-flight record ${id} is not JSON`, {
          cause: e,
        });
      }
      try {
        await this.kv
          .txn()
          .if(Cmp.missing(this.claimKey(id)), Cmp.modRevision(this.inflightKey(id), '==', kv.modRevision))
          .then(Op.delete(this.inflightKey(id)), Op.put(this.pendingKey(parsed.priority, id), parsed.value))
          .commit(sig(signal));
      } catch (e) {
        if (!(e instanceof ClientError && e.mayHaveApplied)) throw e; // the CAS makes a re-run harmless
      }
    }
  }

  /** Closes this consumer's own session: its unacked items return to the queue. Idempotent. */
  async close(): Promise<void> {
    const s = this.scoped;
    this.scoped = undefined;
    if (s !== undefined) await (await s.catch(() => undefined))?.release();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
