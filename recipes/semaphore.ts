/**
 * A counting semaphore in the style of CoreOS locksmith: up to `limit` holders, each named by an
 * identity (a machine id, a pod name), recorded in one JSON key so operators can see and change it.
 *
 *   const sem = new Semaphore(client, 'reboot');
 *   await sem.setLimit(2);
 *   await using slot = await sem.acquire(machineId, { signal });
 *   // … reboot … (after the reboot, the same machineId calls acquire again and keeps its slot,
 *   // then releases it once healthy)
 *
 * Layout: `concord/semaphores/<name>` = {"limit": N, "holders": ["id", …]}, changed only by
 * compare-and-swap on its mod revision.
 *
 * Guarantees
 * - Never more than `limit` holders are recorded when a slot is granted (each grant is a CAS of the
 *   whole record). Lowering the limit evicts nobody: new grants wait until holders < limit.
 * - A holder is an identity, not a connection: slots are NOT tied to a lease. A machine that
 *   crashes or reboots while holding keeps its slot (that is the point: a node that is down stays
 *   counted against the limit) until it calls `release` itself or an operator releases it.
 *   `acquire` by an identity that already holds a slot returns that slot at once.
 * - acquire and release are idempotent by identity, so an IndeterminateError is resolved by
 *   re-reading the record.
 * - Waiters wake on every change of the record (a watch, not polling) and retry; order among
 *   waiters is not FIFO (as in locksmith). Fine for tens of holders; use the lock for long lines.
 * - A slot's `signal` aborts when its identity disappears from the record (operator release).
 *   No lease is involved, so the lease safety margin does not apply: a holder cut off from the
 *   cluster keeps its slot (nobody else gets it), and an operator's release is reported once the
 *   record has changed. A waiter has no session, so it never loses anything while it waits.
 */
import { ClientError, Cmp, Op, type KvClient } from '../client/index.js';
import { RecipeError, RecipeErrorCode, invalidArgument } from './errors.js';
import { checkName, sig, text, waitChange, withDeadline } from './internal.js';

export const SEMAPHORE_PREFIX = 'concord/semaphores/';
export const SEMAPHORE_DEFAULTS = { limit: 1, maxHolders: 10_000 } as const;

export interface SemaphoreState {
  readonly limit: number;
  readonly holders: readonly string[];
  /** Mod revision of the record (0: not created yet). */
  readonly revision: number;
}

export interface SemaphoreWaitOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Parses a stored record; throws RecipeError INVALID_VALUE on anything else. */
export function parseSemaphoreRecord(raw: string): { limit: number; holders: string[] } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new RecipeError(RecipeErrorCode.InvalidValue, 'semaphore record is not JSON', { cause: e });
  }
  if (typeof v !== 'object' || v === null)
    throw new RecipeError(RecipeErrorCode.InvalidValue, 'semaphore record is not an object');
  const o = v as { limit?: unknown; holders?: unknown };
  if (typeof o.limit !== 'number' || !Number.isSafeInteger(o.limit) || o.limit < 0)
    throw new RecipeError(RecipeErrorCode.InvalidValue, 'semaphore limit must be a non-negative integer');
  if (!Array.isArray(o.holders) || !o.holders.every((h) => typeof h === 'string'))
    throw new RecipeError(RecipeErrorCode.InvalidValue, 'semaphore holders must be strings');
  return { limit: o.limit, holders: o.holders as string[] };
}

function checkHolder(id: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 256)
    throw invalidArgument('holder identity must be a non-empty string of at most 256 characters');
  return id;
}

/** A granted slot. `release()` / `await using` give it back. */
export class SemaphoreSlot implements AsyncDisposable {
  private released: Promise<void> | undefined;
  private readonly lost = new AbortController();
  private readonly stopWatch = new AbortController();

  /** @internal */
  constructor(
    private readonly semaphore: Semaphore,
    readonly holderId: string,
    fromRevision: number,
  ) {
    void this.watchRecord(fromRevision);
  }

  /** Aborts (RecipeError LOST) when this identity is no longer a holder (operator release). */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  private async watchRecord(revision: number): Promise<void> {
    const s = this.stopWatch.signal;
    try {
      for (;;) {
        const state = await this.semaphore.state(sig(s));
        if (!state.holders.includes(this.holderId)) {
          this.lost.abort(new RecipeError(RecipeErrorCode.Lost, `${this.holderId} no longer holds a slot`));
          return;
        }
        revision = await waitChange(
          this.semaphore.kv,
          { key: this.semaphore.key },
          Math.max(revision, state.revision),
          s,
        );
      }
    } catch (e) {
      if (!s.aborted)
        this.lost.abort(new RecipeError(RecipeErrorCode.Lost, 'cannot follow the semaphore', { cause: e }));
    }
  }

  /** Releases the slot. Idempotent. */
  release(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    this.released ??= (async () => {
      this.stopWatch.abort();
      await this.semaphore.release(this.holderId, options);
      this.lost.abort(new Error('released'));
    })();
    return this.released;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

export class Semaphore {
  readonly key: string;

  constructor(
    readonly kv: KvClient,
    readonly name: string,
  ) {
    this.key = `${SEMAPHORE_PREFIX}${checkName('semaphore name', name)}`;
  }

  /** The record (a missing record reads as limit 1, no holders). */
  async state(options: { readonly signal?: AbortSignal } = {}): Promise<SemaphoreState> {
    const kv = await this.kv.get(this.key, sig(options.signal));
    if (kv === undefined) return { limit: SEMAPHORE_DEFAULTS.limit, holders: [], revision: 0 };
    return { ...parseSemaphoreRecord(text(kv.value)), revision: kv.modRevision };
  }

  /** Applies `change` by CAS until it sticks; `change` returns undefined to leave the record alone. */
  private async update(
    change: (s: SemaphoreState) => { limit: number; holders: string[] } | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ state: SemaphoreState; changed: boolean }> {
    for (;;) {
      const r = await this.kv.getRange(this.key, '', sig(signal));
      const cur = r.kvs[0];
      const state: SemaphoreState =
        cur === undefined
          ? { limit: SEMAPHORE_DEFAULTS.limit, holders: [], revision: 0 }
          : { ...parseSemaphoreRecord(text(cur.value)), revision: cur.modRevision };
      const next = change(state);
      if (next === undefined)
        return { state: { ...state, revision: Math.max(state.revision, r.revision) }, changed: false };
      const guard =
        cur === undefined ? Cmp.missing(this.key) : Cmp.modRevision(this.key, '==', cur.modRevision);
      try {
        const t = await this.kv
          .txn()
          .if(guard)
          .then(Op.put(this.key, JSON.stringify(next)))
          .commit(sig(signal));
        if (t.succeeded) return { state: { ...next, revision: t.revision }, changed: true };
      } catch (e) {
        if (!(e instanceof ClientError && e.mayHaveApplied)) throw e;
        // Outcome unknown: loop; `change` is idempotent by identity, so a re-read settles it.
      }
    }
  }

  /**
   * Waits for a slot for `holderId` (returns at once if it already holds one). Rejects with the
   * signal's reason, or RecipeError TIMEOUT after `timeoutMs`; a waiter leaves no trace.
   */
  async acquire(holderId: string, options: SemaphoreWaitOptions = {}): Promise<SemaphoreSlot> {
    checkHolder(holderId);
    const signal = withDeadline(options.signal, options.timeoutMs, `semaphore ${this.name}`);
    for (;;) {
      signal?.throwIfAborted();
      const r = await this.tryAcquireAt(holderId, signal);
      if (r.slot !== undefined) return r.slot;
      await waitChange(this.kv, { key: this.key }, r.revision, signal);
    }
  }

  /** A slot if one is free now (or already held by `holderId`), else undefined. */
  async tryAcquire(
    holderId: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<SemaphoreSlot | undefined> {
    checkHolder(holderId);
    return (await this.tryAcquireAt(holderId, options.signal)).slot;
  }

  private async tryAcquireAt(
    holderId: string,
    signal: AbortSignal | undefined,
  ): Promise<{ slot: SemaphoreSlot | undefined; revision: number }> {
    let granted = false;
    const { state } = await this.update((s) => {
      granted =
        s.holders.includes(holderId) || s.holders.length < Math.min(s.limit, SEMAPHORE_DEFAULTS.maxHolders);
      if (!granted || s.holders.includes(holderId)) return undefined;
      return { limit: s.limit, holders: [...s.holders, holderId] };
    }, signal);
    return {
      slot: granted ? new SemaphoreSlot(this, holderId, state.revision) : undefined,
      revision: state.revision,
    };
  }

  /** Removes `holderId` from the holders (the operator's unlock). True if it held a slot. */
  async release(holderId: string, options: { readonly signal?: AbortSignal } = {}): Promise<boolean> {
    checkHolder(holderId);
    let held = false;
    await this.update((s) => {
      if (!s.holders.includes(holderId)) return undefined;
      held = true;
      return { limit: s.limit, holders: s.holders.filter((h) => h !== holderId) };
    }, options.signal);
    return held;
  }

  /** Changes the limit; current holders are kept even above a lower limit. */
  async setLimit(limit: number, options: { readonly signal?: AbortSignal } = {}): Promise<SemaphoreState> {
    if (!Number.isSafeInteger(limit) || limit < 0 || limit > SEMAPHORE_DEFAULTS.maxHolders)
      throw invalidArgument(`limit must be an integer in [0, ${SEMAPHORE_DEFAULTS.maxHolders}]`);
    const { state } = await this.update(
      (s) => (s.limit === limit && s.revision !== 0 ? undefined : { limit, holders: [...s.holders] }),
      options.signal,
    );
    return state;
  }
}
