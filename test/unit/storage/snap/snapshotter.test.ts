import { expect } from 'chai';
import { FaultyDisk } from '../../../../server/platform/faulty-disk.js';
import { MemoryDisk } from '../../../../server/platform/memory-disk.js';
import type { Snapshot } from '../../../../server/raft/types.js';
import { StorageError } from '../../../../server/storage/errors.js';
import { decodeSnapshot, encodeSnapshot } from '../../../../server/storage/snap/snap-file.js';
import { SNAPSHOT_SYNC_EVERY_BYTES, Snapshotter } from '../../../../server/storage/snap/snapshotter.js';
import { CollectingLogger } from '../helpers.js';

function snap(index: number, term: number, data = `state@${index}`): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1, 2, 3], learners: [4] } },
    data: new TextEncoder().encode(data),
  };
}

describe('Snapshotter', () => {
  let disk: MemoryDisk;
  let logger: CollectingLogger;
  let snapshotter: Snapshotter;
  beforeEach(async () => {
    disk = new MemoryDisk();
    await disk.mkdir('data');
    await disk.fsyncDir('/');
    logger = new CollectingLogger();
    snapshotter = new Snapshotter(disk, 'data/snap', logger);
    await snapshotter.open('data');
  });

  describe('snapshot file codec', () => {
    it('round-trips metadata and data', () => {
      const s = snap(2 ** 45, 9);
      expect(decodeSnapshot(encodeSnapshot(s), 'f')).to.deep.equal(s);
    });

    it('detects any single flipped bit', () => {
      const bytes = encodeSnapshot(snap(10, 2));
      for (let i = 0; i < bytes.length; i++) {
        const copy = bytes.slice();
        copy[i] = (copy[i] as number) ^ (1 << (i % 8));
        expect(() => decodeSnapshot(copy, 'f'), `byte ${i}`).to.throw(StorageError);
      }
    });
  });

  describe('#saveStream', () => {
    it('never leaves more than its sync bound (plus one chunk) unsynced in the file', async () => {
      // Counts the bytes appended to the temporary file since its last sync.
      class SyncWatchingDisk extends MemoryDisk {
        unsynced = 0;
        maxUnsynced = 0;
        syncs = 0;
        override append(path: string, data: Uint8Array): Promise<void> {
          if (path.endsWith('.tmp')) {
            this.unsynced += data.length;
            this.maxUnsynced = Math.max(this.maxUnsynced, this.unsynced);
          }
          return super.append(path, data);
        }
        override fdatasync(path: string): Promise<void> {
          if (path.endsWith('.tmp')) this.syncs++;
          this.unsynced = 0;
          return super.fdatasync(path);
        }
        override fsync(path: string): Promise<void> {
          this.unsynced = 0;
          return super.fsync(path);
        }
      }
      const watched = new SyncWatchingDisk();
      await watched.mkdir('data');
      await watched.fsyncDir('/');
      const s = new Snapshotter(watched, 'data/snap', logger);
      await s.open('data');
      const chunk = new Uint8Array(300 * 1024).fill(7);
      const total = 3 * SNAPSHOT_SYNC_EVERY_BYTES + 5 * chunk.length;
      let sent = 0;
      const name = await s.saveStream(snap(9, 2).metadata, () => {
        if (sent >= total) return undefined;
        sent += chunk.length;
        return chunk;
      });
      expect(name).to.be.a('string');
      expect(watched.syncs).to.be.at.least(3);
      expect(watched.maxUnsynced).to.be.at.most(SNAPSHOT_SYNC_EVERY_BYTES + chunk.length + 64);
      watched.crash();
      const loaded = await s.maybeLoadNewest(() => true);
      expect(loaded?.data.length).to.equal(sent);
    });
  });

  describe('#save', () => {
    it('is durable once it resolves', async () => {
      await snapshotter.save(snap(5, 1));
      disk.crash();
      expect(await snapshotter.maybeLoadNewest(() => true)).to.deep.equal(snap(5, 1));
    });

    context('when the process dies before the rename is durable', () => {
      it('leaves no snapshot under the final name, and open removes the temporary file', async () => {
        const faulty = new FaultyDisk(disk);
        const s = new Snapshotter(faulty, 'data/snap', logger);
        faulty.inject({ ops: ['fsyncDir'], code: 'EIO', times: 1 });
        await s.save(snap(5, 1)).catch(() => undefined);
        disk.crash();
        expect(await s.list()).to.deep.equal([]);
        await disk.write('data/snap/0000000000000001-0000000000000007.snap.tmp', Uint8Array.of(1));
        await s.open('data');
        expect(await disk.list('data/snap')).to.deep.equal([]);
        expect(logger.warnings.join()).to.contain('leftover temporary file');
      });
    });
  });

  describe('#maybeLoadNewest', () => {
    it('returns the newest eligible snapshot', async () => {
      await snapshotter.save(snap(5, 1));
      await snapshotter.save(snap(9, 2));
      await snapshotter.save(snap(12, 2));
      expect((await snapshotter.maybeLoadNewest(() => true))?.metadata.index).to.equal(12);
      expect((await snapshotter.maybeLoadNewest((n) => n.index < 12))?.metadata.index).to.equal(9);
      expect(await snapshotter.maybeLoadNewest(() => false)).to.equal(undefined);
    });

    context('when the newest file is corrupt', () => {
      it('renames it to .broken, warns and falls back to an older one', async () => {
        await snapshotter.save(snap(5, 1));
        const name = await snapshotter.save(snap(9, 2));
        disk.corrupt(`data/snap/${name}`, 30, (b) => b ^ 4);
        expect((await snapshotter.maybeLoadNewest(() => true))?.metadata.index).to.equal(5);
        expect(await disk.list('data/snap')).to.include(`${name}.broken`);
        expect(logger.warnings.join()).to.contain(name).and.contain('crc mismatch');
      });
    });
  });

  describe('#purge', () => {
    it('keeps the newest files at or below the index and never touches newer ones', async () => {
      for (const i of [1, 2, 3, 4, 5]) await snapshotter.save(snap(i * 10, 1));
      expect(await snapshotter.purge(2, 40)).to.equal(2);
      expect((await snapshotter.list()).map((s) => s.index)).to.deep.equal([50, 40, 30]);
      disk.crash();
      expect((await snapshotter.list()).map((s) => s.index)).to.deep.equal([50, 40, 30]);
    });

    it('renames a file out of the snapshot names (durably) before it removes it', async () => {
      for (const i of [1, 2]) await snapshotter.save(snap(i * 10, 1));
      const [newest, oldest] = await snapshotter.list();
      let atRemoval: string[] | undefined;
      const view = disk.attach();
      const watched = new Snapshotter(
        {
          ...view,
          remove: async (p) => {
            // What a crash now would leave, once restarted.
            disk.crash();
            atRemoval = await disk.list('data/snap');
            return view.remove(p);
          },
        },
        'data/snap',
        logger,
      );
      await watched.purge(1, 20).catch(() => undefined);
      expect(atRemoval).to.deep.equal([newest?.file, `${oldest?.file}.removing`].sort());
      const again = new Snapshotter(disk, 'data/snap', logger);
      await again.open('data');
      expect(await disk.list('data/snap')).to.deep.equal([newest?.file]);
    });

    it('removes at open a file a crash left half-removed', async () => {
      await snapshotter.save(snap(10, 1));
      const [only] = await snapshotter.list();
      await disk.write(`data/snap/${only?.file}.removing`, new Uint8Array(64));
      await disk.fsyncDir('data/snap');
      const again = new Snapshotter(disk, 'data/snap', logger);
      await again.open('data');
      expect(await disk.list('data/snap')).to.deep.equal([only?.file]);
      expect((await again.list()).map((s) => s.index)).to.deep.equal([10]);
    });
  });
});
