import { expect } from 'chai';
import { DiskError } from '../../../server/platform/disk.js';
import { FaultyDisk } from '../../../server/platform/faulty-disk.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import type { TimerHandle, Timers } from '../../../server/platform/timers.js';

class ManualTimers implements Timers {
  private next = 1;
  readonly pending = new Map<number, () => void>();
  setTimeout(callback: () => void): TimerHandle {
    const id = this.next++;
    this.pending.set(id, callback);
    return { id };
  }
  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle.id);
  }
  fireAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const cb of all) cb();
  }
}

describe('FaultyDisk', () => {
  let inner: MemoryDisk;
  let disk: FaultyDisk;
  beforeEach(() => {
    inner = new MemoryDisk();
    disk = new FaultyDisk(inner);
  });

  describe('#inject', () => {
    it('fails the matching operation with the chosen code', async () => {
      disk.inject({ ops: ['append'], code: 'ENOSPC' });
      const err = await disk.append('f', Uint8Array.of(1)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(DiskError);
      expect((err as DiskError).code).to.equal('ENOSPC');
      expect((err as DiskError).op).to.equal('append');
    });

    it('writes the partial bytes before failing, like a short write', async () => {
      disk.inject({ ops: ['append'], code: 'ENOSPC', partialBytes: 2, times: 1 });
      await disk.append('f', Uint8Array.of(1, 2, 3, 4)).catch(() => undefined);
      expect(await inner.read('f')).to.deep.equal(Uint8Array.of(1, 2));
    });

    it('disarms after `times` and when removed', async () => {
      disk.inject({ ops: ['fdatasync'], code: 'EIO', times: 1 });
      await disk.append('f', Uint8Array.of(1));
      await disk.fdatasync('f').then(
        () => expect.fail('should fail once'),
        () => undefined,
      );
      await disk.fdatasync('f');
      const remove = disk.inject({ code: 'EIO', pathIncludes: 'g' });
      await disk.append('f', Uint8Array.of(2));
      await disk.append('g', Uint8Array.of(2)).then(
        () => expect.fail('g should fail'),
        () => undefined,
      );
      remove();
      await disk.append('g', Uint8Array.of(2));
    });
  });

  describe('#appendAtSynced', () => {
    it('fails on an append fault after the partial bytes, with nothing synced', async () => {
      await inner.append('f', Uint8Array.of(1));
      await inner.fdatasync('f');
      await inner.fsyncDir('/');
      disk.inject({ ops: ['append'], code: 'ENOSPC', partialBytes: 1, times: 1 });
      const err = await disk.appendAtSynced('f', 1, Uint8Array.of(2, 3)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as DiskError).op).to.equal('append');
      expect(await inner.read('f')).to.deep.equal(Uint8Array.of(1, 2));
      expect(inner.syncedBytes('f')).to.equal(1);
      expect(disk.counts.get('fdatasync') ?? 0).to.equal(0);
    });

    it('fails on an fdatasync fault after the whole write, which a crash then loses', async () => {
      await inner.append('f', Uint8Array.of(1));
      await inner.fdatasync('f');
      await inner.fsyncDir('/');
      disk.inject({ ops: ['fdatasync'], code: 'EIO', times: 1 });
      const err = await disk.appendAtSynced('f', 1, Uint8Array.of(2, 3)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as DiskError).op).to.equal('fdatasync');
      expect((err as DiskError).code).to.equal('EIO');
      expect(await inner.read('f')).to.deep.equal(Uint8Array.of(1, 2, 3));
      inner.crash();
      expect(await inner.read('f')).to.deep.equal(Uint8Array.of(1));
    });

    it('holds at the sync, after the write, when fdatasync is held', async () => {
      await inner.append('f', Uint8Array.of(1));
      const gate = disk.hold(['fdatasync']);
      const p = disk.appendAtSynced('f', 1, Uint8Array.of(2));
      await new Promise((r) => setImmediate(r));
      expect(gate.waiting()).to.equal(1);
      expect(await inner.read('f')).to.deep.equal(Uint8Array.of(1, 2));
      expect(inner.syncedBytes('f')).to.equal(0);
      gate.release();
      await p;
      expect(inner.syncedBytes('f')).to.equal(2);
    });
  });

  describe('#hold', () => {
    it('holds matching operations until released', async () => {
      await disk.append('f', Uint8Array.of(1));
      const gate = disk.hold(['fdatasync']);
      let done = false;
      const p = disk.fdatasync('f').then(() => {
        done = true;
      });
      await Promise.resolve();
      expect(gate.waiting()).to.equal(1);
      expect(done).to.equal(false);
      gate.release();
      await p;
      expect(done).to.equal(true);
    });
  });

  describe('#slowDown', () => {
    it('delays operations on the injected timers', async () => {
      const timers = new ManualTimers();
      const slow = new FaultyDisk(inner, { timers });
      slow.slowDown({ ops: ['append'], delayMs: 50 });
      let done = false;
      const p = slow.append('f', Uint8Array.of(1)).then(() => {
        done = true;
      });
      await Promise.resolve();
      expect(timers.pending.size).to.equal(1);
      expect(done).to.equal(false);
      timers.fireAll();
      await p;
      expect(done).to.equal(true);
    });

    it('refuses without timers', () => {
      expect(() => disk.slowDown({ delayMs: 1 })).to.throw(TypeError);
    });
  });
});
