/**
 * A distributed mutex with fencing tokens, over a session (a lease kept alive).
 *
 *   await using lock = await acquireLock(client, 'jobs/nightly', { ttlSec: 10, timeoutMs: 5000 });
 *   await storage.write(data, { fencingToken: lock.token, signal: lock.signal });
 *
 * Layout: one key per contender, `concord/locks/<name>/<lease hex>-<random>`, attached to the
 * session's lease (see queue-key.ts). The holder is the key with the lowest create revision.
 *
 * Guarantees
 * - Mutual exclusion as seen by the cluster: at any revision at most one contender's key is first.
 * - FIFO: contenders obtain the lock in the order their keys were created.
 * - Fencing: `token` is the key's create revision. Tokens strictly increase across successive
 *   holders of one lock, so a resource that remembers the highest token it accepted can reject a
 *   late write from a holder that lost the lock without knowing (GC pause, partition).
 * - `signal` aborts (reason RecipeError LOST) as soon as the lock may be lost: the session's lease
 *   expired or was revoked, the client could not renew it for `TTL − safetyMarginMs`, or the key
 *   was deleted (e.g. by an operator). Pass it to every operation done under the lock.
 * - Safety margin: a holder that is not paused hears of the loss at least `safetyMarginMs` (default
 *   TTL/3) minus the timer and clock-drift allowance (100 ms + 1 ms per TTL second) before anyone
 *   else can hold the lock (docs/client.md "The safety margin"): that is its time to stop.
 *
 * Failure behaviour
 * - Holder crashes: its lease expires after `ttlSec` and the next waiter obtains the lock.
 * - Holder is cut off: after `TTL − safetyMarginMs` without renewal its `signal` fires (client
 *   clock), a margin before the cluster may hand the lock on; a holder must stop at `signal`, and
 *   fencing tokens cover what the margin cannot (a paused process).
 * - Member or leader failure: the SDK fails over; waiting watches resume without missing the
 *   predecessor's deletion.
 * - A waiter whose own session is lost before its turn starts over with a fresh session (its old
 *   key is deleted), within its signal/timeoutMs; with the caller's session it rejects with
 *   RecipeError LOST — the session's loss is the caller's (queue-key.ts `waitInLine`).
 * - Aborted or timed-out acquire: the waiter deletes its own key (and closes its own session), so
 *   it never blocks the line; it rejects with `signal.reason` (RecipeError TIMEOUT for timeoutMs).
 */
import { nanoid } from 'nanoid';
import type { KvClient, Session } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { checkName, hex, sig, withDeadline } from './internal.js';
import {
  createContender,
  holdSignal,
  predecessor,
  removeContender,
  waitInLine,
  type Contender,
} from './queue-key.js';
import { scopedSession, type ScopedSession, type SessionChoice } from './session-scope.js';

export const LOCK_PREFIX = 'concord/locks/';

export interface LockOptions extends SessionChoice {
  /** Gives up waiting: rejects with the signal's reason and removes the waiter's key. */
  readonly signal?: AbortSignal;
  /** Gives up after this many milliseconds (RecipeError TIMEOUT). No default: wait forever. */
  readonly timeoutMs?: number;
  /** Stored in the lock key, so operators can see who holds it (default ''). */
  readonly owner?: string;
}

/** A held lock. Release it with `release()` or `await using`. */
export class LockHandle implements AsyncDisposable {
  private released: Promise<void> | undefined;

  /** @internal */
  constructor(
    /** The lock's name. */
    readonly name: string,
    private readonly contender: Contender,
    private readonly scoped: ScopedSession,
    private readonly hold: { signal: AbortSignal; stop: () => void; lose: (reason: unknown) => void },
    private readonly kv: KvClient,
  ) {}

  /** The fencing token: the key's create revision, increasing across holders. */
  get token(): number {
    return this.contender.createRevision;
  }

  /** The contender's key (under LOCK_PREFIX). */
  get key(): string {
    return this.contender.key;
  }

  /** The session whose lease carries the key. */
  get session(): Session {
    return this.scoped.session;
  }

  /** Aborts when the lock may be lost (RecipeError LOST). Also aborts after release. */
  get signal(): AbortSignal {
    return this.hold.signal;
  }

  get isHeld(): boolean {
    return !this.hold.signal.aborted;
  }

  /** Deletes the key (and closes the handle's own session). Idempotent; never rejects. */
  release(): Promise<void> {
    this.released ??= (async () => {
      this.hold.stop();
      await removeContender(this.kv, this.contender);
      this.hold.lose(new Error('released'));
      await this.scoped.release();
    })();
    return this.released;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

function lockPrefix(name: string): string {
  return `${LOCK_PREFIX}${checkName('lock name', name)}/`;
}

function lockKey(name: string, session: Session): string {
  return `${lockPrefix(name)}${hex(session.leaseId)}-${nanoid(8)}`;
}

/** Creates a contender key under `prefix` and waits for its turn (shared with the rwlock). */
export async function acquireQueued(
  kv: KvClient,
  options: LockOptions,
  what: string,
  makeKey: (session: Session) => string,
  among: (key: string) => string,
  name: string,
): Promise<LockHandle> {
  const signal = withDeadline(options.signal, options.timeoutMs, what);
  const { scoped, contender, revision } = await waitInLine(
    kv,
    options,
    signal,
    makeKey,
    options.owner ?? '',
    among,
  );
  return new LockHandle(name, contender, scoped, holdSignal(kv, contender, scoped.session, revision), kv);
}

/** Waits for the lock (FIFO) and returns the held handle. See the file header for guarantees. */
export function acquireLock(kv: KvClient, name: string, options: LockOptions = {}): Promise<LockHandle> {
  return acquireQueued(
    kv,
    options,
    `lock ${name}`,
    (s) => lockKey(name, s),
    () => lockPrefix(name),
    name,
  );
}

/** Takes the lock only if nobody holds or waits for it; undefined otherwise (no waiting). */
export async function tryLock(
  kv: KvClient,
  name: string,
  options: Omit<LockOptions, 'timeoutMs'> = {},
): Promise<LockHandle | undefined> {
  options.signal?.throwIfAborted();
  const scoped = await scopedSession(kv, options, options.signal);
  let contender: Contender | undefined;
  try {
    contender = await createContender(
      kv,
      scoped.session,
      lockKey(name, scoped.session),
      options.owner ?? '',
      options.signal,
    );
    const p = await predecessor(kv, lockPrefix(name), contender, options.signal);
    if (p.key !== undefined) {
      await removeContender(kv, contender);
      await scoped.release();
      return undefined;
    }
    return new LockHandle(name, contender, scoped, holdSignal(kv, contender, scoped.session, p.revision), kv);
  } catch (e) {
    if (contender !== undefined) await removeContender(kv, contender);
    await scoped.release();
    throw e;
  }
}

/**
 * Runs `fn` while holding the lock and releases it afterwards, whatever `fn` does. `fn` receives
 * the handle: use `lock.signal` to stop work when the lock may be lost, `lock.token` to fence.
 */
export async function withLock<T>(
  kv: KvClient,
  name: string,
  fn: (lock: LockHandle) => Promise<T> | T,
  options: LockOptions = {},
): Promise<T> {
  if (typeof fn !== 'function') throw invalidArgument('withLock needs a function');
  await using lock = await acquireLock(kv, name, options);
  return await fn(lock);
}

/** Current holder and waiters of a lock, in line order (for operators). */
export async function lockContenders(
  kv: KvClient,
  name: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<{ key: string; token: number; owner: string; leaseId: number }[]> {
  const r = await kv.getPrefix(lockPrefix(name), {
    sortTarget: 'create',
    sortOrder: 'ascend',
    ...sig(options.signal),
  });
  const dec = new TextDecoder();
  return r.kvs.map((k) => ({
    key: dec.decode(k.key),
    token: k.createRevision,
    owner: dec.decode(k.value),
    leaseId: k.lease,
  }));
}
