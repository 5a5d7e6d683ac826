import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DataDirLockedError, type DirLock } from '../../../server/platform/dir-lock.js';
import { LOCK_FILE_NAME, lockDirectory } from '../../../server/platform/node-dir-lock.js';
import { eventually } from '../../helpers/eventually.js';

/** The pid of a process that has exited (spawned and awaited here). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

function lockError(p: Promise<DirLock>): Promise<DataDirLockedError> {
  return p.then(
    (lock) => {
      void lock.release();
      throw new Error('expected the directory to be refused');
    },
    (err: unknown) => {
      expect(err).to.be.instanceOf(DataDirLockedError);
      return err as DataDirLockedError;
    },
  );
}

describe('lockDirectory', () => {
  let root: string;
  const held: DirLock[] = [];
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'concord-dirlock-'));
  });
  afterEach(async () => {
    for (const lock of held.splice(0)) await lock.release();
    await rm(root, { recursive: true, force: true });
  });
  const take = async (dir: string): Promise<DirLock> => {
    const lock = await lockDirectory(dir);
    held.push(lock);
    return lock;
  };

  it('creates the directory and a lock file naming this process, removed on release', async () => {
    const dir = join(root, 'a', 'b');
    const lock = await take(dir);
    const record = JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8')) as { pid: number };
    expect(record.pid).to.equal(process.pid);
    await lock.release();
    expect(readdirSync(dir)).to.deep.equal([]);
  });

  context('when this process already holds the directory', () => {
    it('refuses a second lock, under any spelling of the path, naming the directory and pid', async () => {
      const dir = join(root, 'm');
      await take(dir);
      const err = await lockError(lockDirectory(relative(process.cwd(), join(root, 'x', '..', 'm'))));
      expect(err.heldByThisProcess).to.equal(true);
      expect(err.holder.pid).to.equal(process.pid);
      expect(err.message).to.include(`pid ${process.pid}`).and.include('m');
    });

    it('grants exactly one of many concurrent attempts', async () => {
      const dir = join(root, 'race');
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => lockDirectory(dir)));
      const won = results.filter((r) => r.status === 'fulfilled');
      for (const r of won) held.push(r.value);
      expect(won).to.have.length(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).to.be.instanceOf(DataDirLockedError);
    });

    it('grants the lock again once it is released', async () => {
      const dir = join(root, 'again');
      await (await lockDirectory(dir)).release();
      await take(dir);
    });
  });

  context('when a stale lock is found', () => {
    const staleLock = (dir: string, record: unknown): void => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, LOCK_FILE_NAME), typeof record === 'string' ? record : JSON.stringify(record));
    };

    it('takes over the lock of a process that is gone (kill -9)', async () => {
      const dir = join(root, 'dead');
      staleLock(dir, { pid: await deadPid(), host: 'h', acquiredAt: 'then' });
      await take(dir);
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE_NAME), 'utf8'))).to.include({ pid: process.pid });
    });

    it('takes over a lock with this process pid that this process does not hold (a restarted container)', async () => {
      const dir = join(root, 'self');
      staleLock(dir, { pid: process.pid, host: 'h', acquiredAt: 'then' });
      await take(dir);
    });

    it('takes over an unreadable lock file (cut short by a power loss)', async () => {
      const dir = join(root, 'torn');
      staleLock(dir, '');
      await take(dir);
    });

    it('takes over the lock of a recycled pid (same pid, another process start time)', async function () {
      if (!existsSync('/proc/self/stat')) this.skip();
      const dir = join(root, 'recycled');
      // A live process (this test runner's parent), recorded with a start time it never had.
      staleLock(dir, { pid: process.ppid, host: 'h', acquiredAt: 'then', startTicks: '1' });
      await take(dir);
    });

    it('takes over the lock of a zombie (exited, not yet reaped by its parent)', async function () {
      if (!existsSync('/proc/self/stat')) this.skip();
      // The child exits after a second; by then its parent has become `sleep 30` (exec), which
      // never reaps it. (With `sleep 0` a loaded machine let the shell reap the child before its
      // exec, and the test waited for a zombie that was already gone.)
      const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      try {
        const zombie = await new Promise<number>((resolve) =>
          parent.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim()))),
        );
        const stat = await eventually('the child to be a zombie', () => {
          const text = readFileSync(`/proc/${zombie}/stat`, 'utf8');
          return text.slice(text.lastIndexOf(')') + 2).split(' ')[0] === 'Z' ? text : undefined;
        });
        const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
        const dir = join(root, 'zombie');
        staleLock(dir, { pid: zombie, host: 'h', acquiredAt: 'then', startTicks });
        await take(dir);
      } finally {
        parent.kill('SIGKILL');
      }
    });

    it('refuses while the recorded process is alive with the recorded start time', async function () {
      if (!existsSync('/proc/self/stat')) this.skip();
      const dir = join(root, 'live');
      const stat = readFileSync(`/proc/${process.ppid}/stat`, 'utf8');
      const startTicks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      staleLock(dir, { pid: process.ppid, host: 'h', acquiredAt: 'then', startTicks });
      const err = await lockError(lockDirectory(dir));
      expect(err.holder.pid).to.equal(process.ppid);
      expect(err.heldByThisProcess).to.equal(false);
      expect(err.message).to.include(`pid ${process.ppid}`).and.include(dir);
    });
  });

  describe('#release with discardIfNew', () => {
    it('removes the directory it created and the parents created with it', async () => {
      const lock = await lockDirectory(join(root, 'new', 'deeper', 'm'));
      writeFileSync(join(root, 'new', 'deeper', 'm', 'wal'), 'x');
      await lock.release({ discardIfNew: true });
      expect(existsSync(join(root, 'new'))).to.equal(false);
      expect(existsSync(root)).to.equal(true);
    });

    it('leaves a sibling created meanwhile under a new parent alone', async () => {
      const lock = await lockDirectory(join(root, 'new', 'm1'));
      await take(join(root, 'new', 'm2'));
      await lock.release({ discardIfNew: true });
      expect(existsSync(join(root, 'new', 'm1'))).to.equal(false);
      expect(existsSync(join(root, 'new', 'm2', LOCK_FILE_NAME))).to.equal(true);
    });

    it('empties a directory that existed empty, and keeps one that had contents', async () => {
      mkdirSync(join(root, 'empty'));
      mkdirSync(join(root, 'full'));
      writeFileSync(join(root, 'full', 'keep'), 'x');
      const empty = await lockDirectory(join(root, 'empty'));
      const full = await lockDirectory(join(root, 'full'));
      writeFileSync(join(root, 'empty', 'wal'), 'x');
      await empty.release({ discardIfNew: true });
      await full.release({ discardIfNew: true });
      expect(readdirSync(join(root, 'empty'))).to.deep.equal([]);
      expect(readdirSync(join(root, 'full'))).to.deep.equal(['keep']);
    });
  });
});
