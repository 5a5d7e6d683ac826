/**
 * One process per data directory (DESIGN.md §4): a member takes an exclusive lock on its data
 * directory before it reads or writes anything there, and holds it until it stops. Two members on
 * one WAL would each elect themselves and acknowledge writes the other one overwrites.
 *
 * The Node adapter is `node-dir-lock.ts`; this file holds what the rest of the server sees.
 */

/** Who holds a data directory's lock, as recorded in its lock file. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** ISO time at which the holder took the lock. */
  readonly acquiredAt: string;
}

/** An exclusive lock on one directory, held until `release()`. */
export interface DirLock {
  /** The directory, as it was named to `lockDirectory`. */
  readonly dir: string;
  /** The lock file inside it. */
  readonly lockFile: string;
  /**
   * Releases the lock (idempotent). With `discardIfNew`, a directory that did not exist before the
   * lock was taken is removed again (and any parent created with it, while empty), and one that
   * existed empty is emptied again: a start that fails leaves no half-made data directory behind.
   */
  release(options?: { readonly discardIfNew?: boolean }): Promise<void>;
}

/** The directory is locked by a live process (another one, or another member of this one). */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dir: string,
    readonly lockFile: string,
    readonly holder: LockHolder,
    /** The holder is this very process (another member started in-process on the same directory). */
    readonly heldByThisProcess: boolean,
    /** The host the lock was taken on, when it is not this one. */
    readonly otherHost: string | undefined,
  ) {
    const who = heldByThisProcess
      ? `pid ${holder.pid} (this process: another member started here uses it)`
      : `pid ${holder.pid}${otherHost !== undefined ? ` on host ${otherHost}` : ''}`;
    super(
      `data directory ${dir} is locked by ${who} since ${holder.acquiredAt}; ` +
        `only one member may use a data directory (if that process is gone, remove ${lockFile})`,
    );
  }
}
