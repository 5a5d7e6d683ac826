import { expect } from 'chai';
import { DiskError } from '../../../server/platform/disk.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import { SeededRandom } from '../../../server/platform/random.js';

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

async function rejection(p: Promise<unknown>): Promise<DiskError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(DiskError);
    return err as DiskError;
  }
  throw new Error('expected a rejection');
}

describe('MemoryDisk', () => {
  let disk: MemoryDisk;
  beforeEach(async () => {
    disk = new MemoryDisk();
    await disk.mkdir('d');
    await disk.fsyncDir('/');
  });

  describe('#append', () => {
    it('creates the file and appends in order', async () => {
      await disk.append('d/f', bytes(1, 2));
      await disk.append('d/f', bytes(3));
      expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2, 3));
      expect(await disk.list('d')).to.deep.equal(['f']);
    });

    it('grows past the initial capacity', async () => {
      const big = new Uint8Array(1000).map((_, i) => i & 0xff);
      await disk.append('d/f', big);
      await disk.append('d/f', big);
      const read = await disk.read('d/f');
      expect(read.length).to.equal(2000);
      expect(read.subarray(1000)).to.deep.equal(big);
    });
  });

  describe('#read', () => {
    it('rejects with ENOENT for a missing file', async () => {
      expect((await rejection(disk.read('d/missing'))).code).to.equal('ENOENT');
    });
  });

  describe('#remove', () => {
    it('refuses to remove a non-empty directory', async () => {
      await disk.append('d/f', bytes(1));
      expect((await rejection(disk.remove('d'))).code).to.equal('ENOTEMPTY');
    });
  });

  describe('#appendAtSynced', () => {
    it('makes the data, and what was appended unsynced before it, survive a crash', async () => {
      await disk.append('d/f', bytes(1, 2));
      await disk.fsync('d/f');
      await disk.fsyncDir('d');
      await disk.truncate('d/f', 8); // preallocated
      await disk.appendAt('d/f', 2, bytes(3)); // not synced by itself
      await disk.appendAtSynced('d/f', 3, bytes(4, 5));
      expect(disk.syncedBytes('d/f')).to.equal(8);
      disk.crash();
      expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2, 3, 4, 5, 0, 0, 0));
    });

    it('loses what was appended after it, unsynced, at a crash', async () => {
      await disk.append('d/f', bytes(1));
      await disk.fsyncDir('d');
      await disk.appendAtSynced('d/f', 1, bytes(2));
      await disk.appendAt('d/f', 2, bytes(3));
      disk.crash();
      expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2));
    });

    it('is refused through a view attached before the last crash, and writes nothing', async () => {
      await disk.append('d/f', bytes(1));
      await disk.fsync('d/f');
      await disk.fsyncDir('d');
      const before = disk.attach();
      disk.crash();
      expect((await rejection(before.appendAtSynced('d/f', 1, bytes(2)))).code).to.equal('EIO');
      expect(await disk.read('d/f')).to.deep.equal(bytes(1));
    });
  });

  describe('#attach', () => {
    it('refuses operations through a view attached before the last crash', async () => {
      const before = disk.attach();
      await before.append('d/f', bytes(1));
      disk.crash();
      expect((await rejection(before.append('d/f', bytes(2)))).code).to.equal('EIO');
      const after = disk.attach();
      await after.append('d/g', bytes(3));
      expect(await after.list('d')).to.deep.equal(['g']);
    });
  });

  describe('#crash', () => {
    context('when appended bytes were not fsynced', () => {
      it('drops them and keeps the synced prefix', async () => {
        await disk.append('d/f', bytes(1, 2));
        await disk.fsync('d/f');
        await disk.fsyncDir('d');
        await disk.append('d/f', bytes(3, 4));
        expect(disk.syncedBytes('d/f')).to.equal(2);
        disk.crash();
        expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2));
      });
    });

    context('when a file was fsynced but its directory was not', () => {
      it('loses the file', async () => {
        await disk.append('d/f', bytes(1));
        await disk.fdatasync('d/f');
        disk.crash();
        expect(await disk.list('d')).to.deep.equal([]);
      });
    });

    context('when a directory was created but its parent not fsynced', () => {
      it('loses the directory', async () => {
        await disk.mkdir('d/sub');
        disk.crash();
        expect(await disk.list('d')).to.deep.equal([]);
      });
    });

    context('when a rename was not followed by fsyncDir', () => {
      it('undoes the rename', async () => {
        await disk.write('d/a', bytes(7));
        await disk.fsync('d/a');
        await disk.fsyncDir('d');
        await disk.rename('d/a', 'd/b');
        expect(await disk.list('d')).to.deep.equal(['b']);
        disk.crash();
        expect(await disk.list('d')).to.deep.equal(['a']);
        expect(await disk.read('d/a')).to.deep.equal(bytes(7));
      });

      it('keeps the rename once the directory is fsynced', async () => {
        await disk.write('d/a', bytes(7));
        await disk.fsync('d/a');
        await disk.rename('d/a', 'd/b');
        await disk.fsyncDir('d');
        disk.crash();
        expect(await disk.list('d')).to.deep.equal(['b']);
        expect(await disk.read('d/b')).to.deep.equal(bytes(7));
      });
    });

    context('when a remove was not followed by fsyncDir', () => {
      it('brings the file back with its synced contents', async () => {
        await disk.append('d/f', bytes(1));
        await disk.fsync('d/f');
        await disk.fsyncDir('d');
        await disk.remove('d/f');
        disk.crash();
        expect(await disk.read('d/f')).to.deep.equal(bytes(1));
      });
    });

    context('when a file was rewritten or truncated without fsync', () => {
      it('restores the old contents', async () => {
        await disk.write('d/f', bytes(1, 2, 3));
        await disk.fsync('d/f');
        await disk.fsyncDir('d');
        await disk.write('d/f', bytes(9));
        disk.crash();
        expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2, 3));
        await disk.truncate('d/f', 1);
        disk.crash();
        expect(await disk.read('d/f')).to.deep.equal(bytes(1, 2, 3));
      });
    });

    context('when a random source is given', () => {
      it('keeps a prefix of the unsynced bytes, never less than the synced ones', async () => {
        const random = new SeededRandom(7);
        const seen = new Set<number>();
        for (let i = 0; i < 50; i++) {
          const d = new MemoryDisk();
          await d.append('f', new Uint8Array(10).fill(1));
          await d.fsync('f');
          await d.fsyncDir('/');
          await d.append('f', new Uint8Array(20).fill(2));
          d.crash({ random });
          const after = await d.read('f');
          expect(after.length).to.be.within(10, 30);
          expect([...after.subarray(0, 10)]).to.deep.equal(new Array(10).fill(1));
          expect(after.subarray(10).every((b) => b === 2 || b === 0)).to.equal(true);
          seen.add(after.length);
        }
        expect(seen.size).to.be.greaterThan(5);
      });
    });
  });
});
