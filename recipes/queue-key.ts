/**
 * The fair queue at the heart of the lock, the read/write lock and the election (etcd's
 * `concurrency.Mutex` / `waitDeletes`): each contender creates one key under a prefix, attached to
 * its session's lease, and the contender with the lowest create revision goes first. A waiter
 * watches only its predecessor — the key with the highest create revision below its own — so one
 * release wakes one waiter, not the herd.
 *
 * Example: keys a (rev 10), b (rev 12), c (rev 15). a holds; b watches a; c watches b. If b's
 * session dies first, c wakes, finds a (rev 10 < 15) and watches a. When a is deleted, c holds.
 *
 * A waiter whose session is lost before its turn has lost nothing it held, only its place: with a
 * session of its own it joins the line again (`waitInLine`), at the end, with a fresh session.
 */
import {
  ClientClosedError,
  ClientError,
  Cmp,
  LeaseNotFoundError,
  Op,
  type KvClient,
  type Session,
} from '../client/index.js';
import { RecipeError, RecipeErrorCode } from './errors.js';
import { pause, quietly, settle, sig, waitDelete } from './internal.js';
import { scopedSession, type ScopedSession, type SessionChoice } from './session-scope.js';

export interface Contender {
  /** The contender's key. */
  readonly key: string;
  /** Its create revision: the place in line, and the fencing token once it holds. */
  readonly createRevision: number;
}

/** Creates `key` with the session's lease (idempotent if a write's outcome was unknown). */
export async function createContender(
  kv: KvClient,
  session: Session,
  key: string,
  value: string,
  signal: AbortSignal | undefined,
): Promise<Contender> {
  const write = async (): Promise<Contender> => {
    const r = await kv
      .txn()
      .if(Cmp.missing(key))
      .then(Op.put(key, value, { lease: session.leaseId }))
      .else(Op.get(key))
      .commit(sig(signal));
    if (r.succeeded) return { key, createRevision: r.revision };
    const kvNow = r.results[0];
    if (kvNow === undefined || kvNow.lease !== session.leaseId)
      throw new RecipeError(RecipeErrorCode.InvalidArgument, `key ${key} belongs to another session`);
    return { key, createRevision: kvNow.createRevision };
  };
  const check = async (): Promise<Contender | undefined> => {
    const kvNow = await kv.get(key, sig(signal));
    return kvNow !== undefined && kvNow.lease === session.leaseId
      ? { key, createRevision: kvNow.createRevision }
      : undefined;
  };
  return settle(write, check);
}

/**
 * The highest-create-revision key under `among` created before `c`, and the revision read at.
 * Undefined predecessor: `c` is first in line.
 */
export async function predecessor(
  kv: KvClient,
  among: string,
  c: Contender,
  signal: AbortSignal | undefined,
): Promise<{ key: string | undefined; revision: number }> {
  const r = await kv.getPrefix(among, {
    maxCreateRevision: c.createRevision - 1,
    sortTarget: 'create',
    sortOrder: 'descend',
    limit: 1,
    keysOnly: true,
    ...sig(signal),
  });
  const first = r.kvs[0];
  return { key: first === undefined ? undefined : new TextDecoder().decode(first.key), revision: r.revision };
}

/**
 * Waits until no key under `among` was created before `c`, then confirms `c` still exists (its
 * session may have died while it waited). Returns the revision at which `c` was confirmed.
 */
export async function waitTurn(
  kv: KvClient,
  among: string,
  c: Contender,
  session: Session,
  signal: AbortSignal | undefined,
): Promise<number> {
  const both = signal === undefined ? session.signal : AbortSignal.any([signal, session.signal]);
  let mine;
  try {
    for (;;) {
      const p = await predecessor(kv, among, c, both);
      if (p.key === undefined) break;
      await waitDelete(kv, p.key, p.revision, both);
    }
    mine = await kv.getRange(c.key, '', sig(both));
  } catch (e) {
    if (signal?.aborted !== true && session.signal.aborted)
      throw new RecipeError(RecipeErrorCode.Lost, `${c.key}: session lost while waiting`, {
        cause: session.signal.reason,
      });
    throw e;
  }
  const kvNow = mine.kvs[0];
  if (kvNow === undefined || kvNow.createRevision !== c.createRevision)
    throw new RecipeError(RecipeErrorCode.Lost, `${c.key} was deleted while waiting (session lost?)`);
  return mine.revision;
}

/**
 * An AbortSignal that fires when `c` may no longer be held: its session is lost, or its key is
 * deleted (released elsewhere, deleted by an operator, or the lease revoked). `stop()` ends the
 * watch without firing.
 */
export function holdSignal(
  kv: KvClient,
  c: Contender,
  session: Session,
  fromRevision: number,
): { signal: AbortSignal; stop: () => void; lose: (reason: unknown) => void } {
  const lost = new AbortController();
  const stopper = new AbortController();
  const onSession = (): void =>
    lost.abort(
      new RecipeError(RecipeErrorCode.Lost, `${c.key}: session lost`, { cause: session.signal.reason }),
    );
  if (session.signal.aborted) onSession();
  else session.signal.addEventListener('abort', onSession, { once: true });
  void waitDelete(kv, c.key, fromRevision, stopper.signal).then(
    () => lost.abort(new RecipeError(RecipeErrorCode.Lost, `${c.key} was deleted`)),
    (e: unknown) => {
      if (!stopper.signal.aborted)
        lost.abort(new RecipeError(RecipeErrorCode.Lost, `${c.key}: cannot watch`, { cause: e }));
    },
  );
  return {
    signal: lost.signal,
    stop: () => {
      session.signal.removeEventListener('abort', onSession);
      stopper.abort();
    },
    lose: (reason) => lost.abort(reason),
  };
}

/** A contender whose turn has come: its session, its key, and the revision its turn was confirmed at. */
export interface InLine {
  readonly scoped: ScopedSession;
  readonly contender: Contender;
  readonly revision: number;
}

/**
 * Joins the line under `among(key)` with a key made by `makeKey` and waits for its turn (the lock,
 * the read/write lock and the election). Rejects with the signal's reason, removing its key.
 *
 * If the waiter's session is lost before its turn (lease expired, revoked, unrenewable) or its key
 * disappears: with a session of its own, it closes that session and starts over with a fresh one
 * (until `signal` aborts) — nothing was held, so there is nothing to report. With the caller's
 * session, the session's loss is the caller's to handle: it rejects with RecipeError LOST (as
 * etcd's concurrency package returns ErrSessionExpired), and the caller creates a new session.
 */
export async function waitInLine(
  kv: KvClient,
  choice: SessionChoice,
  signal: AbortSignal | undefined,
  makeKey: (session: Session) => string,
  value: string,
  among: (key: string) => string,
): Promise<InLine> {
  for (let again = false; ; again = true) {
    signal?.throwIfAborted();
    const scoped = again ? await freshSession(kv, choice, signal) : await scopedSession(kv, choice, signal);
    let contender: Contender | undefined;
    try {
      const key = makeKey(scoped.session);
      contender = await createContender(kv, scoped.session, key, value, signal);
      const revision = await waitTurn(kv, among(key), contender, scoped.session, signal);
      return { scoped, contender, revision };
    } catch (e) {
      // Asked before release: closing the session marks it lost, which would make any failure (a
      // permission denied) look like a lost place and retry it until the deadline.
      const lost = placeLost(e, scoped.session);
      if (contender !== undefined) await removeContender(kv, contender);
      await scoped.release();
      if (!(scoped.owned && signal?.aborted !== true && lost)) throw e;
    }
  }
}

/**
 * A new session for a waiter starting over. Its old session was most likely lost to a partition or a
 * leader change that may not be over, so transient failures are retried (50 ms doubling to 1 s)
 * until `signal` aborts, as the waiter would have gone on waiting.
 */
async function freshSession(
  kv: KvClient,
  choice: SessionChoice,
  signal: AbortSignal | undefined,
): Promise<ScopedSession> {
  for (let delayMs = 50; ; delayMs = Math.min(2 * delayMs, 1000)) {
    try {
      return await scopedSession(kv, choice, signal);
    } catch (e) {
      const transient =
        e instanceof ClientError && !(e instanceof ClientClosedError) && (e.retryable || e.mayHaveApplied);
      if (!transient || signal?.aborted === true) throw e;
    }
    await pause(delayMs, signal);
  }
}

/** Whether a waiter failed because its session or its key went away (not for any other reason). */
function placeLost(e: unknown, session: Session): boolean {
  return (
    session.isLost ||
    e instanceof LeaseNotFoundError ||
    (e instanceof RecipeError && e.code === RecipeErrorCode.Lost)
  );
}

/** Deletes `c`'s key if it is still this contender's (never someone else's later key). */
export async function removeContender(kv: KvClient, c: Contender): Promise<void> {
  await quietly(() =>
    kv
      .txn()
      .if(Cmp.createRevision(c.key, '==', c.createRevision))
      .then(Op.delete(c.key))
      .commit(),
  );
}
