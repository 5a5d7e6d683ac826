/**
 * A revision is a (main, sub) pair, as in etcd: `main` numbers the write transaction (the
 * cluster-wide revision, starting at 1 with the first write; 0 is the empty store), `sub` numbers the
 * change inside that transaction (0, 1, …). History is ordered by revision, so the changes of one
 * transaction sit together and in the order they were made.
 *
 * A KeyValue's `createRevision` and `modRevision` carry only `main`: clients never see `sub`.
 */
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
