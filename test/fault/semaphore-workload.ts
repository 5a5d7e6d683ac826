/**
 * The semaphore workload: a few workers, each with its own SDK client and holder identity, take a
 * slot of one `Semaphore` (recipes/semaphore.ts) with limit N, hold it for a while, and release
 * it; an operator process occasionally releases a random holder (the `unlock --holder id` of
 * locksmith) and reads the record. `checkSemaphore` (test/check/lock-safety.ts) then checks that
 * no instant had more than N holds.
 *
 * What a hold is. The recipe's slots are identities in one record changed only by CAS, not
 * leases: a slot is not lost when a session expires, only when an operator removes the identity
 * (the slot's `signal` fires when its watch sees that) or when the slot's watch fails. So a hold
 * here is the interval in which the identity is surely in the record, and the recorded interval
 * must lie inside it:
 * - it starts when `acquire` resolved (the granting CAS had committed, or a read saw the identity);
 * - it ends at the first of: `release` invoked, the slot's `signal` fired, or an operator
 *   release of that identity being invoked while the hold was open or still in flight when it
 *   began (`conservativeHolds` applies the last one afterwards, since the worker learns of it
 *   only through the signal, which fires after the record changed — in that gap another waiter
 *   may already hold the freed slot, legitimately).
 * A write whose outcome is unknown can apply late, after the worker has moved on: a `release`
 * that failed could remove the identity after the next `acquire` returned it "at once". So a
 * worker whose release failed abandons its identity (the operator removes it later, retrying)
 * and continues as `sem-<w>.<generation+1>`; an operator release that failed counts as in flight
 * for ever (`completeMs` Infinity), and the worker whose identity it was moves on likewise.
 */
import { Client } from '../../client/index.js';
import { Semaphore } from '../../recipes/index.js';
import { prng } from '../check/generate.js';
import type { SafetyViolation, SemaphoreHold } from '../check/lock-safety.js';
import { sleepUnlessAborted as sleep } from '../helpers/sleep.js';

export const SEMAPHORE_NAME = 'fault-semaphore';

/** An operator's release of `holder`: in flight from `invokeMs` to `completeMs` (Infinity: unknown). */
export interface SemaphoreEviction {
  readonly holder: string;
  readonly invokeMs: number;
  readonly completeMs: number;
}

export interface RecordedSemaphoreHold extends SemaphoreHold {
  /** How the worker's view of the hold ended. */
  readonly ended: 'released' | 'lost' | 'open';
}

/**
 * The holds cut at operator releases: a hold of identity X over [a, e) and a release of X in
 * flight over [i, c) with i < e and c > a ends at max(a, i); holds cut to nothing are dropped.
 */
export function conservativeHolds(
  holds: readonly SemaphoreHold[],
  evictions: readonly SemaphoreEviction[],
): SemaphoreHold[] {
  const out: SemaphoreHold[] = [];
  for (const h of holds) {
    let endMs = h.endMs;
    for (const e of evictions)
      if (e.holder === h.holder && e.invokeMs < endMs && e.completeMs > h.acquiredMs)
        endMs = Math.max(h.acquiredMs, e.invokeMs);
    if (endMs > h.acquiredMs) out.push({ ...h, endMs });
  }
  return out;
}

export interface SemaphoreWorkloadOptions {
  readonly workers: number;
  /** N: the limit set before the run. */
  readonly limit: number;
  readonly endpoints: readonly string[];
  readonly requestTimeoutMs: number;
  readonly seed: number;
  /** A hold lasts a random time in this range (ends early if the signal fires). */
  readonly holdMs: readonly [number, number];
  /** The operator acts every so often (0, 0: never). */
  readonly operatorEveryMs: readonly [number, number];
}

export const SEMAPHORE_WORKLOAD_DEFAULTS = {
  workers: 4,
  limit: 2,
  holdMs: [20, 600],
  operatorEveryMs: [2_000, 5_000],
} as const;

export class SemaphoreWorkload {
  readonly holds: RecordedSemaphoreHold[] = [];
  readonly evictions: SemaphoreEviction[] = [];
  /** Violations seen by the operator in the record itself (more holders than the limit). */
  readonly recordViolations: SafetyViolation[] = [];
  acquireErrors = 0;
  releaseErrors = 0;
  /** Holds that ended because the slot's signal fired. */
  lostHolds = 0;
  private readonly stop$ = new AbortController();
  private running: Promise<void>[] = [];
  private readonly clients: Client[] = [];
  /** Identities no worker uses any more that may still be in the record; the operator removes them. */
  private readonly abandoned = new Set<string>();
  /** Identities whose operator release failed: their worker must move on. */
  private readonly retired = new Set<string>();

  constructor(private readonly options: SemaphoreWorkloadOptions) {}

  private client(): Client {
    const c = new Client({
      endpoints: this.options.endpoints,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    this.clients.push(c);
    return c;
  }

  /** Sets the limit (retried: the cluster may still be settling), then starts the workers. */
  async start(): Promise<void> {
    const sem = new Semaphore(this.client(), SEMAPHORE_NAME);
    for (let attempt = 0; ; attempt++) {
      try {
        await sem.setLimit(this.options.limit, {
          signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await sleep(250);
      }
    }
    this.running = Array.from({ length: this.options.workers }, (_, w) => this.worker(w));
    if (this.options.operatorEveryMs[1] > 0) this.running.push(this.operator(sem));
  }

  async stop(): Promise<void> {
    this.stop$.abort();
    await Promise.all(this.running);
    for (const c of this.clients) await c.close();
  }

  /** The holds to check: cut at operator releases. */
  checkedHolds(): SemaphoreHold[] {
    return conservativeHolds(this.holds, this.evictions);
  }

  private async worker(w: number): Promise<void> {
    const rnd = prng(this.options.seed * 7919 + w);
    const [lo, hi] = this.options.holdMs;
    const sem = new Semaphore(this.client(), SEMAPHORE_NAME);
    const stop = this.stop$.signal;
    let generation = 0;
    let holder = `sem-${w}.${generation}`;
    const moveOn = (): void => {
      this.abandoned.add(holder);
      holder = `sem-${w}.${++generation}`;
    };
    while (!stop.aborted) {
      if (this.retired.has(holder)) moveOn();
      let slot;
      try {
        slot = await sem.acquire(holder, { timeoutMs: 10_000, signal: stop });
      } catch {
        if (!stop.aborted) this.acquireErrors++;
        await sleep(100, stop);
        continue;
      }
      const acquiredMs = performance.now();
      let lostMs: number | undefined;
      const onLost = (): void => {
        lostMs = performance.now();
      };
      slot.signal.addEventListener('abort', onLost, { once: true });
      await sleep(lo + rnd() * (hi - lo), slot.signal);
      slot.signal.removeEventListener('abort', onLost);
      const releaseMs = performance.now();
      if (lostMs !== undefined) this.lostHolds++;
      this.holds.push({
        semaphore: SEMAPHORE_NAME,
        holder,
        acquiredMs,
        endMs: lostMs ?? releaseMs,
        ended: lostMs !== undefined ? 'lost' : 'released',
      });
      try {
        await slot.release({ signal: AbortSignal.timeout(4 * this.options.requestTimeoutMs) });
      } catch {
        this.releaseErrors++;
        moveOn();
      }
    }
  }

  /** Every few seconds: read the record (check it), release a random holder, clean up. */
  private async operator(sem: Semaphore): Promise<void> {
    const rnd = prng(this.options.seed * 7919 + 997);
    const [lo, hi] = this.options.operatorEveryMs;
    const stop = this.stop$.signal;
    const timeout = (): AbortSignal => AbortSignal.timeout(2 * this.options.requestTimeoutMs);
    for (;;) {
      await sleep(lo + rnd() * (hi - lo), stop);
      if (stop.aborted) return;
      for (const id of [...this.abandoned]) {
        try {
          await sem.release(id, { signal: timeout() });
          this.abandoned.delete(id);
        } catch {
          // Try again next time.
        }
      }
      let holders: readonly string[];
      try {
        const state = await sem.state({ signal: timeout() });
        holders = state.holders;
        if (holders.length > state.limit || new Set(holders).size !== holders.length)
          this.recordViolations.push({
            type: 'over-capacity',
            semaphore: SEMAPHORE_NAME,
            atMs: performance.now(),
            limit: state.limit,
            holders,
          });
      } catch {
        continue;
      }
      const victims = holders.filter((h) => !this.abandoned.has(h));
      const victim = victims[Math.floor(rnd() * victims.length)];
      if (victim === undefined) continue;
      const invokeMs = performance.now();
      let completeMs = Infinity;
      try {
        await sem.release(victim, { signal: timeout() });
        completeMs = performance.now();
      } catch {
        // Even an error that says "not applied" may follow an earlier attempt of the recipe's CAS
        // loop whose outcome is unknown: in flight for ever, and the identity is retired.
        this.retired.add(victim);
      }
      this.evictions.push({ holder: victim, invokeMs, completeMs });
    }
  }
}
