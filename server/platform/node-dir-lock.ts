/**
 * `lockDirectory(dir)`: the data-directory lock (see dir-lock.ts) on node:fs.
 *
 * The lock is a file, `<dir>/concord.lock`, holding the holder's pid, host, start time and the
 * time it took the lock, as JSON. It is published whole and atomically: written under a private
 * name, then hard-linked to `concord.lock` (link(2) fails if the name exists), so nobody ever reads
 * a half-written lock. Node has no flock(2), so a lock left by a process that died (kill -9, power
 * loss) is recognised as stale instead of being released by the kernel:
 *
 * - a holder is live when its pid exists and, on Linux, is no zombie and started when the holder
 *   did (/proc/<pid>/stat), so neither an unreaped corpse nor a recycled pid keeps a dead
 *   member's lock;
 * - a holder with this process's pid is live exactly when this process holds (or is taking) that
 *   very lock (a member restarted in a fresh container often gets the pid its predecessor had);
 * - a stale lock is moved aside with rename(2), which only one contender can do to a given file,
 *   and checked to be the very file judged stale before it is deleted; a contender that moved a
 *   fresh lock by mistake (two starts racing over one stale lock) links it back and retries.
 *
 * Like etcd's flock, this protects one host's processes from each other: a data directory on a
 * network file system shared by several hosts is not supported.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import {
  link,
  mkdir,
  readFile,
  readdir,
  realpath,
  rename,
  rm,
  rmdir,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DataDirLockedError, type DirLock, type LockHolder } from './dir-lock.js';

export const LOCK_FILE_NAME = 'concord.lock';

/** Attempts to take a lock whose stale holders keep being replaced by racing contenders. */
const MAX_ATTEMPTS = 10;

interface LockRecord extends LockHolder {
  /** The holder's start time in clock ticks since boot (Linux), to tell a recycled pid apart. */
  readonly startTicks?: string;
}

/**
 * Lock files this process holds (real path → the exact text it wrote), and the texts of every
 * lock it holds or is taking. Process-wide on purpose: the lock belongs to the process, and a
 * second member started in this process must see the first one's.
 */
const heldHere = new Map<string, string>();
const ownTexts = new Set<string>();

/**
 * Creates `dir` if needed and locks it; rejects with `DataDirLockedError` when a live process holds
 * it, and with the file system's error when the directory cannot be created or written.
 */
export async function lockDirectory(dir: string): Promise<DirLock> {
  const absolute = resolve(dir);
  const existedEmpty = await isEmptyDirectory(absolute);
  // mkdir -p reports the first directory it had to create (undefined: all existed).
  const firstCreated = await mkdir(absolute, { recursive: true });
  const created = firstCreated === undefined ? undefined : { top: firstCreated, dir: absolute };
  try {
    const lockFile = join(await realpath(absolute), LOCK_FILE_NAME);
    const text = await acquire(dir, lockFile);
    return new NodeDirLock(dir, absolute, lockFile, text, created, existedEmpty === true);
  } catch (err) {
    if (created !== undefined) await removeCreated(created);
    throw err;
  }
}

class NodeDirLock implements DirLock {
  private released = false;

  constructor(
    readonly dir: string,
    private readonly absolute: string,
    readonly lockFile: string,
    private readonly text: string,
    private readonly created: { readonly top: string; readonly dir: string } | undefined,
    private readonly existedEmpty: boolean,
  ) {}

  async release(options: { readonly discardIfNew?: boolean } = {}): Promise<void> {
    if (this.released) return;
    this.released = true;
    const discard = options.discardIfNew === true;
    // Removed or emptied while the lock is still ours, so that no other member's files are in it.
    if (discard && this.created !== undefined) {
      await removeCreated(this.created);
    } else {
      if (discard && this.existedEmpty) await emptyExcept(this.absolute, LOCK_FILE_NAME);
      await unlinkIfOurs(this.lockFile, this.text);
    }
    forget(this.lockFile, this.text);
  }
}

async function acquire(dir: string, lockFile: string): Promise<string> {
  const nonce = randomBytes(6).toString('hex');
  const record: LockRecord & { readonly nonce: string } = {
    pid: process.pid,
    host: hostname(),
    acquiredAt: new Date().toISOString(),
    ...optional('startTicks', procStat(process.pid)?.startTicks),
    nonce,
  };
  const text = `${JSON.stringify(record)}\n`;
  const draft = `${lockFile}.${process.pid}.${nonce}.tmp`;
  await writeFile(draft, text, { flag: 'wx' });
  // Known as ours before it is published: another member of this process that finds it an
  // instant later must see a live holder, not a stale lock left by an earlier process.
  ownTexts.add(text);
  let acquired = false;
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await link(draft, lockFile);
        remember(lockFile, text);
        acquired = true;
        return text;
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
      }
      const found = await readIfPresent(lockFile);
      if (found === undefined) continue; // released meanwhile: try again
      const holder = parseRecord(found);
      if (holder !== undefined && isLive(holder, found)) {
        const otherHost = holder.host !== hostname() ? holder.host : undefined;
        throw new DataDirLockedError(dir, lockFile, holder, holder.pid === process.pid, otherHost);
      }
      await removeStale(lockFile, found);
    }
    throw new Error(`could not lock ${dir}: its lock file kept changing (${lockFile})`);
  } finally {
    if (!acquired) ownTexts.delete(text);
    await unlink(draft).catch(() => undefined);
  }
}

/** Moves a stale lock out of the way, unless what is there is no longer the stale one. */
async function removeStale(lockFile: string, staleText: string): Promise<void> {
  const aside = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}.stale`;
  try {
    await rename(lockFile, aside);
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return; // another contender removed it first
    throw err;
  }
  const moved = await readIfPresent(aside);
  if (moved !== staleText) {
    // A contender replaced the stale lock with its own between our read and our rename: give it
    // back (if a third one was quicker still, its lock stands and ours will be refused).
    await link(aside, lockFile).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function isLive(holder: LockRecord, text: string): boolean {
  if (holder.pid === process.pid) return ownTexts.has(text);
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    if (codeOf(err) === 'ESRCH') return false;
  }
  const now = procStat(holder.pid);
  if (now === undefined) return true; // no /proc: the pid's existence is all there is to go on
  // A zombie has exited (only its parent has not reaped it yet), and holds nothing.
  if (now.state === 'Z' || now.state === 'X') return false;
  return holder.startTicks === undefined || now.startTicks === holder.startTicks;
}

function parseRecord(text: string): LockRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined; // a lock file truncated by a power loss: its holder is gone with it
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (typeof r['pid'] !== 'number' || !Number.isSafeInteger(r['pid']) || r['pid'] <= 0) return undefined;
  return {
    pid: r['pid'],
    host: typeof r['host'] === 'string' ? r['host'] : '?',
    acquiredAt: typeof r['acquiredAt'] === 'string' ? r['acquiredAt'] : '?',
    ...optional('startTicks', typeof r['startTicks'] === 'string' ? r['startTicks'] : undefined),
  };
}

/**
 * Fields 3 (state) and 22 (start time) of /proc/<pid>/stat, counted after the parenthesised
 * command name, which may hold spaces and parentheses. Undefined where there is no /proc.
 */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state, startTicks] = [fields[0], fields[19]];
    return state === undefined || startTicks === undefined ? undefined : { state, startTicks };
  } catch {
    return undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function unlinkIfOurs(lockFile: string, text: string): Promise<void> {
  if ((await readIfPresent(lockFile)) === text) await unlink(lockFile).catch(() => undefined);
}

async function isEmptyDirectory(path: string): Promise<boolean | undefined> {
  try {
    return (await readdir(path)).length === 0;
  } catch {
    return undefined;
  }
}

async function emptyExcept(dir: string, keep: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name !== keep) await rm(join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Removes the directory this lock created, then each parent created with it while it is empty:
 * a sibling member's directory created under the same new parent is never touched.
 */
async function removeCreated(created: { readonly top: string; readonly dir: string }): Promise<void> {
  await rm(created.dir, { recursive: true, force: true });
  for (let d = dirname(created.dir); d.length >= created.top.length && d !== dirname(d); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (or not ours to remove): stop here
    }
  }
}

// A process that exits without stopping its members (process.exit, a second Ctrl-C) still
// leaves no lock behind; one killed outright leaves a stale lock, which the next start clears.
function remember(lockFile: string, text: string): void {
  if (heldHere.size === 0) process.on('exit', releaseAllSync);
  heldHere.set(lockFile, text);
}

function forget(lockFile: string, text: string): void {
  ownTexts.delete(text);
  if (!heldHere.delete(lockFile)) return;
  if (heldHere.size === 0) process.off('exit', releaseAllSync);
}

function releaseAllSync(): void {
  for (const [lockFile, text] of heldHere) {
    try {
      if (readFileSync(lockFile, 'utf8') === text) unlinkSync(lockFile);
    } catch {
      // already gone
    }
  }
  heldHere.clear();
  ownTexts.clear();
}

function codeOf(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
