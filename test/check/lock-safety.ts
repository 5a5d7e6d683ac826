/**
 * Lock and semaphore safety over what the workers recorded.
 *
 * A distributed lock cannot promise that two clients never *believe* they hold it at once: a
 * holder that is paused or cut off keeps believing until it learns its lease is gone. What it can
 * promise, with fencing, is that the resource it guards is never corrupted: every hold carries a
 * token (the lock key's create revision, increasing across holders), the guarded register accepts
 * a write only if its token is at least the highest it has accepted, and so a stale holder's late
 * write is rejected (Kleppmann, "How to do distributed locking"). The rules checked here:
 *
 * 1. tokens are distinct per lock, and a hold that began after another one ended has a larger token;
 * 2. the register's accepted writes never go back in token (a stale token accepted);
 * 3. every accepted write comes from a token some hold was given;
 * 4. two holds that overlap in time are allowed only when the register never accepted a write of
 *    the older token after one of the newer (the fencing really separated them);
 * 5. a semaphore of N never has more than N holders at once.
 *
 * Intervals must be conservative: `acquiredMs` is when the client learned it holds, `endMs` when
 * it asked to release or learned the hold was lost (Infinity while still held at the end).
 *
 * Example: A holds token 5 over [0, 100), B token 9 over [50, 80); the register accepted 5, 9, 5.
 * Rule 2 and rule 4 fire: the write of token 5 after 9 is a stale write that got through.
 */

import { groupBy } from './group-by.js';

export interface LockHold {
  readonly lock: string;
  readonly holder: string;
  readonly acquiredMs: number;
  readonly endMs: number;
  readonly ended: 'released' | 'lost' | 'open';
  readonly token: number;
}

/** A write the guarded register accepted, in the register's own order. */
export interface GuardedWrite {
  readonly lock: string;
  readonly holder: string;
  readonly token: number;
}

export interface SemaphoreHold {
  readonly semaphore: string;
  readonly holder: string;
  readonly acquiredMs: number;
  readonly endMs: number;
}

export type SafetyViolation =
  | {
      readonly type: 'duplicate-token';
      readonly lock: string;
      readonly token: number;
      readonly holders: readonly string[];
    }
  | {
      readonly type: 'token-not-increasing';
      readonly lock: string;
      readonly earlier: LockHold;
      readonly later: LockHold;
    }
  | {
      readonly type: 'stale-token-accepted';
      readonly lock: string;
      readonly index: number;
      readonly token: number;
      readonly after: number;
    }
  | {
      readonly type: 'write-without-hold';
      readonly lock: string;
      readonly index: number;
      readonly token: number;
    }
  | {
      readonly type: 'unfenced-overlap';
      readonly lock: string;
      readonly older: LockHold;
      readonly newer: LockHold;
    }
  | {
      readonly type: 'over-capacity';
      readonly semaphore: string;
      readonly atMs: number;
      readonly limit: number;
      readonly holders: readonly string[];
    };

export function describeViolation(v: SafetyViolation): string {
  switch (v.type) {
    case 'duplicate-token':
      return `lock ${v.lock}: token ${v.token} given to ${v.holders.join(', ')}`;
    case 'token-not-increasing':
      return `lock ${v.lock}: ${v.later.holder} acquired at ${v.later.acquiredMs} after ${v.earlier.holder} ended at ${v.earlier.endMs} but got token ${v.later.token} <= ${v.earlier.token}`;
    case 'stale-token-accepted':
      return `lock ${v.lock}: register accepted token ${v.token} (write ${v.index}) after token ${v.after}`;
    case 'write-without-hold':
      return `lock ${v.lock}: register accepted token ${v.token} (write ${v.index}) that no hold was given`;
    case 'unfenced-overlap':
      return `lock ${v.lock}: ${v.older.holder} (token ${v.older.token}, [${v.older.acquiredMs}, ${v.older.endMs})) and ${v.newer.holder} (token ${v.newer.token}, [${v.newer.acquiredMs}, ${v.newer.endMs})) overlapped and both wrote interleaved`;
    case 'over-capacity':
      return `semaphore ${v.semaphore}: ${v.holders.length} holders > ${v.limit} at ${v.atMs}: ${v.holders.join(', ')}`;
  }
}

/** Rules 1–4 for every lock in the log. */
export function checkLockSafety(
  holds: readonly LockHold[],
  writes: readonly GuardedWrite[],
): SafetyViolation[] {
  const violations: SafetyViolation[] = [];
  const writesByLock = groupBy(writes, (w) => w.lock);
  const holdsByLock = groupBy(holds, (h) => h.lock);
  for (const lock of new Set([...holdsByLock.keys(), ...writesByLock.keys()])) {
    const hs = [...(holdsByLock.get(lock) ?? [])].sort((a, b) => a.acquiredMs - b.acquiredMs);
    const ws = writesByLock.get(lock) ?? [];
    const byToken = groupBy(hs, (h) => String(h.token));
    for (const [token, same] of byToken) {
      if (same.length > 1)
        violations.push({
          type: 'duplicate-token',
          lock,
          token: Number(token),
          holders: same.map((h) => h.holder),
        });
    }
    for (const a of hs) {
      for (const b of hs) {
        if (a.endMs <= b.acquiredMs && a.token >= b.token && a !== b && a.token !== b.token)
          violations.push({ type: 'token-not-increasing', lock, earlier: a, later: b });
      }
    }
    // Rule 2 and 3, and for rule 4 the register position of each token's first and last write.
    let highest = -Infinity;
    const first = new Map<number, number>();
    const lastAt = new Map<number, number>();
    ws.forEach((w, index) => {
      if (!byToken.has(String(w.token)))
        violations.push({ type: 'write-without-hold', lock, index, token: w.token });
      if (w.token < highest)
        violations.push({ type: 'stale-token-accepted', lock, index, token: w.token, after: highest });
      highest = Math.max(highest, w.token);
      if (!first.has(w.token)) first.set(w.token, index);
      lastAt.set(w.token, index);
    });
    for (let i = 0; i < hs.length; i++) {
      for (let j = i + 1; j < hs.length; j++) {
        const [older, newer] = hs[i]!.token <= hs[j]!.token ? [hs[i]!, hs[j]!] : [hs[j]!, hs[i]!];
        const overlap = older.acquiredMs < newer.endMs && newer.acquiredMs < older.endMs;
        if (!overlap) continue;
        const olderLast = lastAt.get(older.token);
        const newerFirst = first.get(newer.token);
        const interleaved = olderLast !== undefined && newerFirst !== undefined && olderLast > newerFirst;
        if (older.token === newer.token || interleaved)
          violations.push({ type: 'unfenced-overlap', lock, older, newer });
      }
    }
  }
  return violations;
}

/** Rule 5: at no instant more than `limit` holders of one semaphore. */
export function checkSemaphore(holds: readonly SemaphoreHold[], limit: number): SafetyViolation[] {
  const violations: SafetyViolation[] = [];
  for (const [semaphore, hs] of groupBy(holds, (h) => h.semaphore)) {
    // Ends sort before starts at the same instant: a release and an acquire at one moment do not overlap.
    const events = hs.flatMap((h) => [
      { atMs: h.acquiredMs, delta: 1, h },
      { atMs: h.endMs, delta: -1, h },
    ]);
    events.sort((a, b) => a.atMs - b.atMs || a.delta - b.delta);
    const current = new Set<SemaphoreHold>();
    let reported = false;
    for (const e of events) {
      if (e.delta < 0) {
        current.delete(e.h);
        reported = false;
        continue;
      }
      current.add(e.h);
      if (current.size > limit && !reported) {
        violations.push({
          type: 'over-capacity',
          semaphore,
          atMs: e.atMs,
          limit,
          holders: [...current].map((h) => h.holder),
        });
        reported = true;
      }
    }
  }
  return violations;
}
