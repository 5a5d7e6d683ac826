/**
 * Barriers (etcd's experimental `recipe.Barrier` and `recipe.DoubleBarrier`).
 *
 * `Barrier`: one party holds it; everybody else `wait()`s until it is released.
 *   Layout: `concord/barriers/<name>` (present = closed). `hold()` creates it (attached to a session
 *   if one is given, so a crashed holder does not block forever), `release()` deletes it, `wait()`
 *   returns once it is absent — watching the key, never polling.
 *
 * `DoubleBarrier`: `count` participants `enter()` and all proceed together once `count` have
 *   arrived; later they `leave()` and all return once everyone has left.
 *   Layout under `concord/barriers/<name>/`: `w/<lease hex>` one key per participant on its
 *   session's lease, and `ready` created by the participant that completed the count.
 *
 * Guarantees: `enter` returns only once `count` participants have entered; `leave` only once all
 * participants' keys are gone. A participant whose session dies is counted as having left (its key
 * goes with the lease), so a crashed participant cannot hold the others in `leave` for longer than
 * its TTL. All waits take a signal; an aborted `enter` removes the participant's key.
 */
import { Cmp, Op, type KvClient, type Session } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { checkName, hex, quietly, sig, waitChange, waitDelete, withDeadline } from './internal.js';

export const BARRIER_PREFIX = 'concord/barriers/';

export class Barrier {
  readonly key: string;
  constructor(
    readonly kv: KvClient,
    readonly name: string,
  ) {
    this.key = `${BARRIER_PREFIX}${checkName('barrier name', name)}`;
  }

  /** Closes the barrier (true if this call closed it, false if it was already closed). */
  async hold(options: { readonly session?: Session; readonly signal?: AbortSignal } = {}): Promise<boolean> {
    const lease = options.session?.leaseId ?? 0;
    const r = await this.kv
      .txn()
      .if(Cmp.missing(this.key))
      .then(Op.put(this.key, '', { lease }))
      .commit(sig(options.signal));
    return r.succeeded;
  }

  /** Opens the barrier: every waiter returns. */
  async release(options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    await this.kv.delete(this.key, sig(options.signal));
  }

  /** Returns once the barrier is open. */
  async wait(options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {}): Promise<void> {
    const signal = withDeadline(options.signal, options.timeoutMs, `barrier ${this.name}`);
    const r = await this.kv.getRange(this.key, '', sig(signal));
    if (r.kvs.length === 0) return;
    await waitDelete(this.kv, this.key, r.revision, signal);
  }
}

export class DoubleBarrier {
  readonly prefix: string;
  private entered: Session | undefined;

  constructor(
    readonly kv: KvClient,
    readonly name: string,
    /** How many participants make the barrier. */
    readonly count: number,
  ) {
    if (!Number.isSafeInteger(count) || count < 1) throw invalidArgument('count must be a positive integer');
    this.prefix = `${BARRIER_PREFIX}${checkName('barrier name', name)}/`;
  }

  private waiterKey(session: Session): string {
    return `${this.prefix}w/${hex(session.leaseId)}`;
  }

  /** Registers this participant (one per session) and returns once `count` have entered. */
  async enter(
    session: Session,
    options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
  ): Promise<void> {
    const signal = withDeadline(options.signal, options.timeoutMs, `enter ${this.name}`);
    const ready = `${this.prefix}ready`;
    try {
      await this.kv.put(this.waiterKey(session), '', { lease: session.leaseId, ...sig(signal) });
      this.entered = session;
      for (;;) {
        const r = await this.kv.getPrefix(`${this.prefix}w/`, { countOnly: true, ...sig(signal) });
        if (r.count >= this.count) {
          // Last to arrive: open the gate (attached to our lease so a stale gate cannot outlive us all).
          await this.kv
            .txn()
            .if(Cmp.missing(ready))
            .then(Op.put(ready, '', { lease: session.leaseId }))
            .commit(sig(signal));
          return;
        }
        const gate = await this.kv.get(ready, sig(signal));
        if (gate !== undefined) return;
        await waitChange(this.kv, { prefix: this.prefix }, r.revision, signal);
      }
    } catch (e) {
      await quietly(() => this.kv.delete(this.waiterKey(session)));
      this.entered = undefined;
      throw e;
    }
  }

  /** Removes this participant and returns once every participant has left. */
  async leave(options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {}): Promise<void> {
    const signal = withDeadline(options.signal, options.timeoutMs, `leave ${this.name}`);
    const session = this.entered;
    if (session === undefined) throw invalidArgument('leave() without enter()');
    await this.kv.delete(this.waiterKey(session), sig(signal));
    this.entered = undefined;
    for (;;) {
      const r = await this.kv.getPrefix(`${this.prefix}w/`, { limit: 1, keysOnly: true, ...sig(signal) });
      if (r.kvs.length === 0) {
        await quietly(() => this.kv.delete(`${this.prefix}ready`));
        return;
      }
      await waitChange(this.kv, { prefix: `${this.prefix}w/` }, r.revision, signal);
    }
  }
}
