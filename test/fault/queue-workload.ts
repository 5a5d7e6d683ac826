/**
 * The queue workload: producers enqueue uniquely numbered items into one `WorkQueue`
 * (recipes/queue.ts), consumers dequeue them and mostly ack, sometimes nack, sometimes "crash"
 * (close their queue handle, which revokes their session: the claims go and the items come back);
 * after the run every consumer closes, a drain consumer takes whatever is left, and the queue's
 * keys are listed. `checkQueue` (test/check/queue-safety.ts) then checks the history against the
 * recipe's documented semantics: no acknowledged enqueue lost, nothing delivered that was not
 * enqueued, exactly-once for items acked while the claim stood, redelivery only once the earlier
 * claim may have gone.
 *
 * Recording:
 * - an enqueue is `ok` when it resolved, `fail` when it threw with `mayHaveApplied === false`,
 *   else `indeterminate`; it is never retried (the recipe's retry-by-id is not idempotent once the
 *   item has been delivered and acked, see the report in docs/testing.md);
 * - a delivery is recorded when `dequeue` resolved, with the item's claim revision and the
 *   consumer session it was claimed under (told apart by the identity of `item.signal`, which is
 *   the session's signal);
 * - ack/nack record `true` (ok), `false` (claim already gone), or the error's `mayHaveApplied`;
 * - a consumer whose `item.signal` fired before it acked leaves the item (it will be redelivered).
 */
import { asText, Client, ClientError } from '../../client/index.js';
import { QUEUE_PREFIX, WorkQueue, type QueueItem } from '../../recipes/index.js';
import { Outcome } from '../check/history.js';
import { prng } from '../check/generate.js';
import {
  SettleResult,
  type QueueDelivery,
  type QueueEnqueue,
  type QueueHistory,
  type QueueSettle,
} from '../check/queue-safety.js';
import { sleepUnlessAborted as sleep } from '../helpers/sleep.js';

export const QUEUE_NAME = 'fault-queue';

export interface QueueWorkloadOptions {
  readonly producers: number;
  readonly consumers: number;
  readonly endpoints: readonly string[];
  readonly requestTimeoutMs: number;
  readonly seed: number;
  /** Pause between a producer's enqueues. */
  readonly produceEveryMs: number;
  /** A consumer's work on one item, a random time in this range. */
  readonly workMs: readonly [number, number];
  /** The consumers' session TTL (the visibility timeout). */
  readonly ttlSec: number;
  /** Chances per delivered item; the rest is acked. */
  readonly nackChance: number;
  readonly crashChance: number;
  /** How long the drain may take after the run before items left count as undrained. */
  readonly drainTimeoutMs: number;
}

export const QUEUE_WORKLOAD_DEFAULTS = {
  producers: 2,
  consumers: 3,
  produceEveryMs: 200,
  workMs: [0, 40],
  ttlSec: 3,
  nackChance: 0.05,
  crashChance: 0.03,
  drainTimeoutMs: 30_000,
} as const;

function settleResult(err: unknown): SettleResult {
  return err instanceof ClientError && !err.mayHaveApplied ? SettleResult.NotApplied : SettleResult.Unknown;
}

export class QueueWorkload {
  readonly enqueues: QueueEnqueue[] = [];
  readonly deliveries: QueueDelivery[] = [];
  readonly settles: QueueSettle[] = [];
  remaining: string[] = [];
  dequeueErrors = 0;
  crashes = 0;
  /** Items a consumer left because its item.signal fired before it acked. */
  abandoned = 0;
  /** Deliveries to the drain consumer after the run. */
  drained = 0;
  private readonly stop$ = new AbortController();
  private running: Promise<void>[] = [];
  private readonly clients: Client[] = [];
  private readonly sessions = new WeakMap<AbortSignal, number>();
  private nextSession = 1;

  constructor(private readonly options: QueueWorkloadOptions) {}

  private client(): Client {
    const c = new Client({
      endpoints: this.options.endpoints,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    this.clients.push(c);
    return c;
  }

  start(): void {
    this.running = [
      ...Array.from({ length: this.options.producers }, (_, p) => this.producer(p)),
      ...Array.from({ length: this.options.consumers }, (_, c) => this.consumer(c)),
    ];
  }

  /** Stops producers and consumers, drains the queue and lists what is left. */
  async stop(): Promise<void> {
    this.stop$.abort();
    await Promise.all(this.running);
    try {
      await this.drain();
    } finally {
      for (const c of this.clients) await c.close();
    }
  }

  history(): QueueHistory {
    return {
      enqueues: this.enqueues,
      deliveries: this.deliveries,
      settles: this.settles,
      remaining: this.remaining,
    };
  }

  private sessionOf(item: QueueItem): number {
    let s = this.sessions.get(item.signal);
    if (s === undefined) this.sessions.set(item.signal, (s = this.nextSession++));
    return s;
  }

  private async producer(p: number): Promise<void> {
    const q = new WorkQueue(this.client(), QUEUE_NAME);
    const stop = this.stop$.signal;
    for (let n = 0; !stop.aborted; n++) {
      const id = `p${p}-${n}`;
      const value = `item ${id}`;
      const invokeMs = performance.now();
      let outcome: Outcome;
      try {
        await q.enqueue(value, { id, signal: AbortSignal.timeout(2 * this.options.requestTimeoutMs) });
        outcome = Outcome.Ok;
      } catch (err) {
        outcome = err instanceof ClientError && !err.mayHaveApplied ? Outcome.Fail : Outcome.Indeterminate;
      }
      this.enqueues.push({ id, value, producer: p, invokeMs, completeMs: performance.now(), outcome });
      await sleep(this.options.produceEveryMs, stop);
    }
  }

  private async dequeueOne(q: WorkQueue, consumer: string, timeoutMs: number, signal?: AbortSignal) {
    const invokeMs = performance.now();
    const item = await q.dequeue({ timeoutMs, ...(signal !== undefined ? { signal } : {}) });
    const d: QueueDelivery = {
      id: item.id,
      value: item.value,
      consumer,
      session: this.sessionOf(item),
      revision: item.revision,
      invokeMs,
      completeMs: performance.now(),
    };
    this.deliveries.push(d);
    return { item, d };
  }

  private async settle(kind: 'ack' | 'nack', item: QueueItem, d: QueueDelivery): Promise<SettleResult> {
    const invokeMs = performance.now();
    let result: SettleResult;
    try {
      const signal = AbortSignal.timeout(2 * this.options.requestTimeoutMs);
      const ok = kind === 'ack' ? await item.ack({ signal }) : await item.nack({ signal });
      result = ok ? SettleResult.Ok : SettleResult.ClaimLost;
    } catch (err) {
      result = settleResult(err);
    }
    this.settles.push({
      kind,
      id: d.id,
      session: d.session,
      deliveryRevision: d.revision,
      invokeMs,
      completeMs: performance.now(),
      result,
    });
    return result;
  }

  private async consumer(c: number): Promise<void> {
    const rnd = prng(this.options.seed * 104_729 + c);
    const client = this.client();
    const name = `consumer-${c}`;
    const open = (): WorkQueue =>
      new WorkQueue(client, QUEUE_NAME, { ttlSec: this.options.ttlSec, consumerId: name });
    let q = open();
    const stop = this.stop$.signal;
    const [lo, hi] = this.options.workMs;
    while (!stop.aborted) {
      let got;
      try {
        got = await this.dequeueOne(q, name, 5_000, stop);
      } catch {
        if (!stop.aborted) this.dequeueErrors++;
        await sleep(50, stop);
        continue;
      }
      const { item, d } = got;
      await sleep(lo + rnd() * (hi - lo), item.signal);
      const r = rnd();
      if (item.signal.aborted) this.abandoned++;
      else if (r < this.options.crashChance) {
        this.crashes++;
        await q.close().catch(() => undefined);
        q = open();
      } else if (r < this.options.crashChance + this.options.nackChance) await this.settle('nack', item, d);
      else await this.settle('ack', item, d);
    }
    await q.close().catch(() => undefined);
  }

  /**
   * After the run: one consumer takes every item left (the other consumers have closed, so their
   * claims are revoked, or expire within their TTL) and acks it; when the queue looks empty, its
   * keys are listed. A drain ack that does not return true, or a dequeue that fails, closes the
   * drain's session, so a claim of unknown fate cannot keep an item.
   */
  private async drain(): Promise<void> {
    const client = this.client();
    const open = (): WorkQueue =>
      new WorkQueue(client, QUEUE_NAME, { ttlSec: this.options.ttlSec, consumerId: 'drain' });
    let q = open();
    const deadline = performance.now() + this.options.drainTimeoutMs;
    const base = `${QUEUE_PREFIX}${QUEUE_NAME}/`;
    const list = async (): Promise<string[]> => {
      const r = await client.getPrefix(base, {
        keysOnly: true,
        signal: AbortSignal.timeout(2 * this.options.requestTimeoutMs),
      });
      // d/<id> only remembers an acked id (the dedup window): not an item still in the queue
      const live = r.kvs.map((kv) => asText(kv.key).slice(base.length)).filter((k) => !k.startsWith('d/'));
      return [...new Set(live.map((k) => k.split('/').pop() ?? ''))];
    };
    const reopen = async (): Promise<void> => {
      await q.close().catch(() => undefined);
      q = open();
    };
    while (performance.now() < deadline) {
      try {
        const { item, d } = await this.dequeueOne(q, 'drain', 1_000);
        this.drained++;
        if ((await this.settle('ack', item, d)) !== SettleResult.Ok) await reopen();
      } catch {
        // A dequeue that failed (or timed out) may have claimed an item it could not report: a
        // new session lets that claim go with the old one.
        await reopen();
        try {
          if ((await list()).length === 0) break;
        } catch {
          // Listing failed: go on draining until the deadline.
        }
      }
    }
    await q.close().catch(() => undefined);
    for (let attempt = 0; ; attempt++) {
      try {
        this.remaining = await list();
        return;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(500);
      }
    }
  }
}
