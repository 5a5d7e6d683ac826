/**
 * A revision is a (main, sub) pair, as in etcd: `main` numbers the write transaction (the
 * cluster-wide revision), `sub` numbers the change inside that transaction (0, 1, …). History is
 * ordered by revision, so the changes of one transaction sit together and in the order they were
 * made.
 *
 * As in etcd, a brand-new store is at revision 1 (`INITIAL_REVISION`, a revision without changes)
 * and its first write gets revision 2. So every response header carries a revision ≥ 1, and every
 * key's `createRevision` is ≥ 2: a bound of `createRevision - 1` (a lock's "keys created before
 * mine") is never 0, which range filters read as "no bound".
 *
 * A KeyValue's `createRevision` and `modRevision` carry only `main`: clients never see `sub`.
 */
/** The revision of a brand-new store; the first write gets the next one. */
export const INITIAL_REVISION = 1;

export interface Revision {
  readonly main: number;
  readonly sub: number;
}

export function compareRevisions(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export function describeRevision(r: Revision): string {
  return `${r.main}.${r.sub}`;
}

/** Whether `n` can be used as a main revision or a lease id (a non-negative safe integer). */
export function isRevisionNumber(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}
