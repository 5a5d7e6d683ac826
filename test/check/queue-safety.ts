/**
 * Work-queue safety over what producers and consumers recorded, against the semantics the queue
 * recipe documents (recipes/queue.ts, docs/recipes.md "Work queue") — no more, no less:
 *
 * - an item is delivered to exactly one consumer at a time (a dequeue moves it to in-flight and
 *   creates a claim on the consumer's session lease in one compare-and-swap);
 * - `ack()` deletes it for good: exactly-once for consumers that ack while alive;
 * - the visibility timeout is the consumer's session: the item is delivered again only after the
 *   claim is gone (the session's lease expired or was revoked, or the consumer nacked);
 * - nothing acknowledged as enqueued is lost; an enqueue whose outcome is unknown may or may not
 *   have queued the item.
 *
 * Rules checked (each item id is enqueued by at most one producer call, never retried):
 *
 * 1. `phantom`: a delivered (or finally remaining) item that no enqueue call could have queued:
 *    no enqueue of that id, an enqueue the client was told definitely did not apply, a delivery
 *    that completed before the enqueue was invoked, or a value that is not the one enqueued.
 * 2. `lost`: an item that was acknowledged as enqueued (or was delivered, so it existed), was
 *    never finished (no ack returned true, no ack with an unknown outcome) and is not in the
 *    queue at the end.
 * 3. `undrained`: an item still in the queue after the final drain (liveness: the drain consumer
 *    had every claim expire or revoked and still could not get it).
 * 4. `acked-twice`: two acks of one item returned true.
 * 5. `delivered-after-ack`: a delivery at a revision after the delivery whose ack returned true.
 * 6. `redelivered-while-claimed`: delivery j of an item after delivery k (higher revision) while
 *    k's claim provably still stood: the session k was delivered under later acknowledged some
 *    item successfully (an ack invoked after j completed returned true, so that lease was alive
 *    after j), and k's consumer had not nacked the item before j completed. A claim is deleted
 *    only by ack, nack or its lease ending, and a lease that ended never comes back, so the item
 *    could not have been pending for j. This is how the lease TTL is accounted for without clock
 *    assumptions: a redelivery that overlaps the old consumer's work is fine as long as that
 *    consumer's lease may have ended, and "may have ended" is refuted only by a later successful
 *    ack under the same lease.
 * 7. `duplicate-claim`: two deliveries of one item at the same revision.
 *
 * Example: `q-1` enqueued ok; consumer A (session 1) gets it at revision 10; consumer B (session 2)
 * gets it at revision 14 (completed at t = 500 ms); A then acks another item, invoked at
 * t = 520 ms, and that returns true. Session 1 was alive after B's delivery, A never nacked `q-1`,
 * so B was given an item still claimed by A: rule 6.
 */
import { groupBy } from './group-by.js';
import { Outcome } from './history.js';

export interface QueueEnqueue {
  readonly id: string;
  readonly value: string;
  readonly producer: number;
  readonly invokeMs: number;
  readonly completeMs: number;
  /** ok: queued; fail: definitely not queued (`mayHaveApplied === false`); indeterminate: unknown. */
  readonly outcome: Outcome;
}

export interface QueueDelivery {
  readonly id: string;
  readonly value: string;
  readonly consumer: string;
  /** The consumer session (lease) the claim was made under; unique within the history. */
  readonly session: number;
  /** The revision of the claim (`QueueItem.revision`). */
  readonly revision: number;
  readonly invokeMs: number;
  readonly completeMs: number;
}

export const SettleResult = {
  /** ack/nack returned true: the claim stood and the transaction applied. */
  Ok: 'ok',
  /** returned false: the claim was already gone. */
  ClaimLost: 'claim-lost',
  /** threw with `mayHaveApplied === false`. */
  NotApplied: 'not-applied',
  /** threw otherwise: may or may not have applied. */
  Unknown: 'unknown',
} as const;
export type SettleResult = (typeof SettleResult)[keyof typeof SettleResult];

/** An ack or nack of one delivery. */
export interface QueueSettle {
  readonly kind: 'ack' | 'nack';
  readonly id: string;
  readonly session: number;
  /** Revision of the delivery settled. */
  readonly deliveryRevision: number;
  readonly invokeMs: number;
  readonly completeMs: number;
  readonly result: SettleResult;
}

export interface QueueHistory {
  readonly enqueues: readonly QueueEnqueue[];
  readonly deliveries: readonly QueueDelivery[];
  readonly settles: readonly QueueSettle[];
  /** Item ids still in the queue (pending or in flight) when the run ended, after the drain. */
  readonly remaining: readonly string[];
}

export type QueueViolation =
  | { readonly type: 'phantom'; readonly id: string; readonly why: string }
  | { readonly type: 'lost'; readonly id: string; readonly why: string }
  | { readonly type: 'undrained'; readonly id: string }
  | { readonly type: 'acked-twice'; readonly id: string; readonly sessions: readonly number[] }
  | {
      readonly type: 'delivered-after-ack';
      readonly id: string;
      readonly ackedRevision: number;
      readonly later: QueueDelivery;
    }
  | {
      readonly type: 'redelivered-while-claimed';
      readonly id: string;
      readonly earlier: QueueDelivery;
      readonly later: QueueDelivery;
      /** The ack under the earlier session that proves its lease was alive after `later`. */
      readonly proof: QueueSettle;
    }
  | { readonly type: 'duplicate-claim'; readonly id: string; readonly revision: number };

const fmt = (d: QueueDelivery): string =>
  `${d.consumer}/session ${d.session} at rev ${d.revision} [${d.invokeMs.toFixed(1)}, ${d.completeMs.toFixed(1)}]`;

export function describeQueueViolation(v: QueueViolation): string {
  switch (v.type) {
    case 'phantom':
    case 'lost':
      return `queue item ${v.id} ${v.type}: ${v.why}`;
    case 'undrained':
      return `queue item ${v.id} still queued after the drain`;
    case 'acked-twice':
      return `queue item ${v.id} acked successfully by sessions ${v.sessions.join(', ')}`;
    case 'delivered-after-ack':
      return `queue item ${v.id} delivered to ${fmt(v.later)} after its delivery at rev ${v.ackedRevision} was acked`;
    case 'redelivered-while-claimed':
      return (
        `queue item ${v.id} delivered to ${fmt(v.later)} while claimed by ${fmt(v.earlier)}: ` +
        `session ${v.earlier.session} acked ${v.proof.id} successfully, invoked at ${v.proof.invokeMs.toFixed(1)}`
      );
    case 'duplicate-claim':
      return `queue item ${v.id} delivered twice at rev ${v.revision}`;
  }
}

export interface QueueStats {
  /** Enqueues by outcome. */
  readonly enqueuedOk: number;
  readonly enqueuedIndeterminate: number;
  readonly enqueuedFail: number;
  /** Distinct items delivered at least once, and deliveries in all. */
  readonly itemsDelivered: number;
  readonly deliveries: number;
  /** Items acknowledged (an ack returned true). */
  readonly itemsAcked: number;
  readonly nacks: number;
}

export function queueStats(h: QueueHistory): QueueStats {
  const count = (o: Outcome): number => h.enqueues.filter((e) => e.outcome === o).length;
  return {
    enqueuedOk: count(Outcome.Ok),
    enqueuedIndeterminate: count(Outcome.Indeterminate),
    enqueuedFail: count(Outcome.Fail),
    itemsDelivered: new Set(h.deliveries.map((d) => d.id)).size,
    deliveries: h.deliveries.length,
    itemsAcked: new Set(
      h.settles.filter((s) => s.kind === 'ack' && s.result === SettleResult.Ok).map((s) => s.id),
    ).size,
    nacks: h.settles.filter((s) => s.kind === 'nack').length,
  };
}

export function checkQueue(h: QueueHistory): QueueViolation[] {
  const violations: QueueViolation[] = [];
  const enqueues = groupBy(h.enqueues, (e) => e.id);
  const deliveries = groupBy(h.deliveries, (d) => d.id);
  const settles = groupBy(h.settles, (s) => s.id);
  const remaining = new Set(h.remaining);

  // For rule 6: per session, the latest invocation of an ack that returned true.
  const lastOkAckInvoke = new Map<number, QueueSettle>();
  for (const s of h.settles) {
    if (s.kind !== 'ack' || s.result !== SettleResult.Ok) continue;
    const prev = lastOkAckInvoke.get(s.session);
    if (prev === undefined || s.invokeMs > prev.invokeMs) lastOkAckInvoke.set(s.session, s);
  }

  for (const [id, es] of enqueues)
    if (es.length > 1)
      throw new Error(`queue history: item ${id} enqueued ${es.length} times (ids must be unique)`);

  const ids = new Set([...enqueues.keys(), ...deliveries.keys(), ...remaining]);
  for (const id of ids) {
    const enq = enqueues.get(id)?.[0];
    const ds = [...(deliveries.get(id) ?? [])].sort((a, b) => a.revision - b.revision);
    const ss = settles.get(id) ?? [];

    // Rule 1.
    if (ds.length > 0 || remaining.has(id)) {
      if (enq === undefined) violations.push({ type: 'phantom', id, why: 'never enqueued' });
      else if (enq.outcome === Outcome.Fail)
        violations.push({ type: 'phantom', id, why: 'its enqueue was reported as not applied' });
      else {
        const early = ds.find((d) => d.completeMs < enq.invokeMs);
        if (early !== undefined)
          violations.push({ type: 'phantom', id, why: `delivered to ${fmt(early)} before it was enqueued` });
        const wrong = ds.find((d) => d.value !== enq.value);
        if (wrong !== undefined)
          violations.push({
            type: 'phantom',
            id,
            why: `delivered with value ${JSON.stringify(wrong.value)}, enqueued ${JSON.stringify(enq.value)}`,
          });
      }
    }

    // Rules 2 and 3.
    const acks = ss.filter((s) => s.kind === 'ack');
    const okAcks = acks.filter((s) => s.result === SettleResult.Ok);
    const finished = okAcks.length > 0 || acks.some((s) => s.result === SettleResult.Unknown);
    const existed = enq?.outcome === Outcome.Ok || ds.length > 0;
    if (remaining.has(id)) violations.push({ type: 'undrained', id });
    else if (existed && !finished)
      violations.push({
        type: 'lost',
        id,
        why:
          ds.length === 0
            ? 'enqueued (acknowledged) but never delivered and not in the queue at the end'
            : `delivered ${ds.length} time(s), never acknowledged, and not in the queue at the end`,
      });

    // Rule 4.
    if (okAcks.length > 1)
      violations.push({ type: 'acked-twice', id, sessions: okAcks.map((s) => s.session) });

    // Rule 5.
    for (const a of okAcks) {
      const later = ds.find((d) => d.revision > a.deliveryRevision);
      if (later !== undefined)
        violations.push({ type: 'delivered-after-ack', id, ackedRevision: a.deliveryRevision, later });
    }

    // Rules 6 and 7.
    for (let j = 1; j < ds.length; j++) {
      const later = ds[j]!;
      for (let k = 0; k < j; k++) {
        const earlier = ds[k]!;
        if (earlier.revision === later.revision) {
          violations.push({ type: 'duplicate-claim', id, revision: later.revision });
          continue;
        }
        const proof = lastOkAckInvoke.get(earlier.session);
        if (proof === undefined || proof.invokeMs <= later.completeMs) continue;
        const nacked = ss.some(
          (s) =>
            s.kind === 'nack' &&
            s.session === earlier.session &&
            s.deliveryRevision === earlier.revision &&
            s.invokeMs < later.completeMs,
        );
        if (!nacked) violations.push({ type: 'redelivered-while-claimed', id, earlier, later, proof });
      }
    }
  }
  return violations;
}
