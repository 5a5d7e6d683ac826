import { expect } from 'chai';
import { FaultyDisk } from '../../../server/platform/faulty-disk.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import type { Snapshot } from '../../../server/raft/types.js';
import { AssertionError } from '../../../server/assert.js';
import { StorageError } from '../../../server/storage/errors.js';
import { RaftStorage, type RaftStorageOptions } from '../../../server/storage/raft-storage.js';
import { scanSegment } from '../../../server/storage/wal/decoder.js';
import { sealFrame } from '../../../server/storage/wal/encoder.js';
import { FRAME_PREFIX_BYTES } from '../../../server/storage/wal/record.js';
import { CollectingLogger, entries, hs } from './helpers.js';

const confState = { voters: [1, 2, 3], learners: [] };

function options(extra: Partial<RaftStorageOptions> = {}): RaftStorageOptions {
  return {
    dataDir: 'member1',
    clusterId: 'cluster-a',
    memberId: 1,
    initialConfState: confState,
    logger: new CollectingLogger(),
    ...extra,
  };
}

function snapshot(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState }, data: new TextEncoder().encode(`sm@${index}`) };
}

const noSnap = { snapshot: undefined };

describe('RaftStorage', () => {
  let disk: MemoryDisk;
  beforeEach(() => {
    disk = new MemoryDisk();
  });

  async function reboot(
    extra: Partial<RaftStorageOptions> = {},
  ): Promise<Awaited<ReturnType<typeof RaftStorage.open>>> {
    return RaftStorage.open(disk, options(extra));
  }

  describe('.open', () => {
    context('when the data directory is empty', () => {
      it('returns a metadata-only snapshot at index 0 with the initial membership', async () => {
        const { boot, isNew } = await reboot();
        expect(isNew).to.equal(true);
        expect(boot.hardState).to.deep.equal(hs(0, 0, 0));
        expect(boot.snapshot.metadata).to.deep.equal({ index: 0, term: 0, confState });
        expect(boot.snapshot.data.length).to.equal(0);
        expect(boot.entries).to.deep.equal([]);
      });

      it('survives a crash right after initialization', async () => {
        await reboot();
        disk.crash();
        const { boot, isNew } = await reboot({ initialConfState: { voters: [9], learners: [] } });
        expect(isNew).to.equal(false);
        expect(boot.snapshot.metadata.confState).to.deep.equal(confState);
      });
    });

    context('when initialization crashed half-way', () => {
      it('starts over', async () => {
        const faulty = new FaultyDisk(disk);
        faulty.inject({ ops: ['rename'], code: 'EIO', times: 1, pathIncludes: 'wal.tmp' });
        await RaftStorage.open(faulty, options()).catch(() => undefined);
        disk.crash();
        const { boot, isNew } = await reboot();
        expect(isNew).to.equal(true);
        expect(boot.entries).to.deep.equal([]);
      });
    });

    context('when the options are invalid', () => {
      it('refuses before touching the disk', async () => {
        for (const bad of [
          { clusterId: '' },
          { memberId: 0 },
          { keepSnapshots: 0 },
          { segmentSizeBytes: 10 },
        ]) {
          const err = await RaftStorage.open(disk, options(bad)).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, JSON.stringify(bad)).to.be.instanceOf(StorageError);
          expect((err as StorageError).code).to.equal('INVALID_ARGUMENT');
        }
        expect(await disk.list('/')).to.deep.equal([]);
      });
    });

    context('when the data directory belongs to another cluster', () => {
      it('refuses with CLUSTER_MISMATCH', async () => {
        await reboot();
        const err = await RaftStorage.open(disk, options({ clusterId: 'cluster-b' })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(StorageError);
        expect((err as StorageError).reason).to.equal('CLUSTER_MISMATCH');
      });
    });

    context('when the data directory was written by format version 1 (revisions from 0)', () => {
      it('refuses with FORMAT_TOO_OLD naming both versions, and leaves the log as it was', async () => {
        const { storage } = await reboot();
        await storage.save({ ...noSnap, entries: entries(1, 3, 1), hardState: hs(1, 1, 3) });
        await storage.close();
        const walDir = 'member1/wal';
        const before = new Map<string, Uint8Array>();
        for (const name of await disk.list(walDir)) {
          const bytes = await disk.read(`${walDir}/${name}`);
          // The segment's first frame is its metadata record: u16 version right after the type byte.
          const first = scanSegment(bytes, name, 1 << 20).records[0];
          expect(first?.record).to.include({ type: 'metadata', formatVersion: 2 });
          bytes[FRAME_PREFIX_BYTES + 1] = 1;
          sealFrame(bytes.subarray(0, first?.sizeBytes), 0, first?.batchStart ?? false);
          expect(scanSegment(bytes, name, 1 << 20).records[0]?.record).to.include({ formatVersion: 1 });
          await disk.write(`${walDir}/${name}`, bytes);
          before.set(name, bytes.slice());
        }
        const err = await reboot().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(StorageError);
        expect((err as StorageError).reason).to.equal('FORMAT_TOO_OLD');
        expect((err as StorageError).message).to.match(
          /member1\/wal\/[0-9a-f-]+\.wal was written by format version 1; this build reads version 2 only/,
        );
        for (const [name, bytes] of before) expect(await disk.read(`${walDir}/${name}`)).to.deep.equal(bytes);
      });
    });
  });

  describe('#save', () => {
    it('persists entries and hard state durably before resolving', async () => {
      const { storage } = await reboot();
      await storage.save({ ...noSnap, entries: entries(1, 5, 1), hardState: hs(1, 1, 3) });
      disk.crash();
      const { boot } = await reboot();
      expect(boot.entries).to.deep.equal(entries(1, 5, 1));
      expect(boot.hardState).to.deep.equal(hs(1, 1, 3));
    });

    it('keeps records in call order when saves are not awaited one by one', async () => {
      const { storage } = await reboot();
      const saves = [];
      for (let i = 1; i <= 20; i++)
        saves.push(storage.save({ ...noSnap, entries: entries(i, i, 1), hardState: hs(1, 1, i - 1) }));
      saves.push(
        storage.save({ snapshot: snapshot(21, 2), entries: entries(22, 22, 2), hardState: hs(2, 1, 21) }),
      );
      saves.push(storage.save({ ...noSnap, entries: entries(23, 23, 2), hardState: undefined }));
      await Promise.all(saves);
      const { boot } = await reboot();
      expect(boot.snapshot.metadata.index).to.equal(21);
      expect(boot.entries).to.deep.equal([...entries(22, 23, 2)]);
    });

    context('when entries would leave a gap in the log', () => {
      it('fails an assertion instead of writing an unrecoverable log', async () => {
        const { storage } = await reboot();
        await storage.save({ ...noSnap, entries: entries(1, 3, 1), hardState: undefined });
        expect(() => storage.save({ ...noSnap, entries: entries(5, 5, 1), hardState: undefined })).to.throw(
          AssertionError,
          /entry 5 does not follow index 3/,
        );
        expect(() => storage.saveSnapshot(snapshot(4, 1))).to.throw(
          AssertionError,
          /beyond the last index 3/,
        );
      });
    });

    context('when a new leader overwrites entries', () => {
      it('recovers the overwritten log across restarts and segments', async () => {
        let { storage } = await reboot({ segmentSizeBytes: 1024 });
        await storage.save({ ...noSnap, entries: entries(1, 60, 1), hardState: hs(1, 1, 10) });
        await storage.save({ ...noSnap, entries: entries(11, 12, 2), hardState: hs(2, 2, 10) });
        await storage.close();
        ({ storage } = await reboot({ segmentSizeBytes: 1024 }));
        await storage.save({ ...noSnap, entries: entries(13, 13, 2), hardState: undefined });
        await storage.close();
        const { boot } = await reboot({ segmentSizeBytes: 1024 });
        expect(boot.entries).to.deep.equal([...entries(1, 10, 1), ...entries(11, 13, 2)]);
        expect(boot.hardState).to.deep.equal(hs(2, 2, 10));
      });
    });

    context('when the Ready carries a snapshot from the leader', () => {
      it('replaces the log with the snapshot', async () => {
        const { storage } = await reboot();
        await storage.save({ ...noSnap, entries: entries(1, 8, 1), hardState: hs(1, 1, 2) });
        await storage.save({ snapshot: snapshot(5, 3), entries: [], hardState: hs(3, 0, 5) });
        disk.crash();
        const { boot } = await reboot();
        expect(boot.snapshot).to.deep.equal(snapshot(5, 3));
        expect(boot.entries).to.deep.equal([]);
        expect(boot.hardState).to.deep.equal(hs(3, 0, 5));
      });

      it('ignores a snapshot file whose WAL marker never became durable', async () => {
        const faulty = new FaultyDisk(disk);
        const { storage } = await RaftStorage.open(faulty, options());
        await storage.save({ ...noSnap, entries: entries(1, 3, 1), hardState: hs(1, 1, 1) });
        faulty.inject({ ops: ['fdatasync'], code: 'EIO', pathIncludes: '.wal' });
        await storage
          .save({ snapshot: snapshot(9, 2), entries: [], hardState: hs(2, 0, 9) })
          .catch(() => undefined);
        disk.crash();
        const { boot } = await reboot();
        expect(boot.snapshot.metadata.index).to.equal(0);
        expect(boot.entries).to.deep.equal(entries(1, 3, 1));
        expect(boot.hardState).to.deep.equal(hs(1, 1, 1));
      });
    });
  });

  context('when booting from a snapshot', () => {
    it('starts reading the newest snapshot file before the WAL, so that both reads overlap', async () => {
      const { storage } = await reboot();
      await storage.save({ ...noSnap, entries: entries(1, 20, 1), hardState: hs(1, 1, 20) });
      await storage.saveSnapshot(snapshot(15, 1));
      await storage.close();
      const reads: string[] = [];
      const recording = new Proxy(disk, {
        get(target, prop, receiver) {
          const value: unknown = Reflect.get(target, prop, receiver);
          if (prop !== 'read' || typeof value !== 'function') return value;
          return (path: string) => {
            reads.push(path);
            return (value as (p: string) => Promise<Uint8Array>).call(target, path);
          };
        },
      });
      const { boot } = await RaftStorage.open(recording, options());
      expect(boot.snapshot).to.deep.equal(snapshot(15, 1));
      expect(boot.entries).to.deep.equal(entries(16, 20, 1));
      expect(reads.map((p) => (p.endsWith('.snap') ? 'snap' : p.endsWith('.wal') ? 'wal' : p))).to.deep.equal(
        ['snap', 'wal'],
      );
    });
  });

  context('with catchUpEntries (a window kept before each snapshot)', () => {
    const keep = { segmentSizeBytes: 1024, catchUpEntries: 10 };

    it('keeps the window in the WAL and returns it at boot before the entries after the snapshot', async () => {
      const { storage } = await reboot(keep);
      for (let i = 1; i <= 60; i++)
        await storage.save({ ...noSnap, entries: entries(i, i, 1), hardState: hs(1, 1, i) });
      await storage.saveSnapshot(snapshot(50, 1));
      disk.crash();
      const { boot } = await reboot(keep);
      expect(boot.snapshot).to.deep.equal(snapshot(50, 1));
      expect(boot.entries).to.deep.equal(entries(41, 60, 1));
      expect(boot.hardState).to.deep.equal(hs(1, 1, 60));
    });

    it('returns the window as a new leader overwrote it', async () => {
      const { storage } = await reboot(keep);
      await storage.save({ ...noSnap, entries: entries(1, 30, 1), hardState: hs(1, 1, 20) });
      await storage.save({ ...noSnap, entries: entries(25, 40, 2), hardState: hs(2, 2, 40) });
      await storage.saveSnapshot(snapshot(35, 2));
      await storage.close();
      const { boot } = await reboot(keep);
      expect(boot.entries).to.deep.equal([...entries(26, 40, 2)]);
    });

    it('returns no window after a snapshot received from the leader (the log before it is dead)', async () => {
      const { storage } = await reboot(keep);
      await storage.save({ ...noSnap, entries: entries(1, 30, 1), hardState: hs(1, 1, 30) });
      await storage.save({ snapshot: snapshot(45, 3), entries: [], hardState: hs(3, 0, 45) });
      await storage.save({ ...noSnap, entries: entries(46, 48, 3), hardState: hs(3, 0, 48) });
      await storage.close();
      const { boot } = await reboot(keep);
      expect(boot.snapshot).to.deep.equal(snapshot(45, 3));
      expect(boot.entries).to.deep.equal(entries(46, 48, 3));
    });

    it('returns no window when the entry at the snapshot index is not in the WAL', async () => {
      const { storage } = await reboot(keep);
      await storage.save({ ...noSnap, entries: entries(1, 20, 1), hardState: hs(1, 1, 20) });
      await storage.save({ snapshot: snapshot(25, 2), entries: [], hardState: hs(2, 0, 25) });
      await storage.saveSnapshot(snapshot(25, 2));
      await storage.save({ ...noSnap, entries: entries(26, 27, 2), hardState: hs(2, 0, 27) });
      await storage.close();
      const { boot } = await reboot(keep);
      expect(boot.entries).to.deep.equal(entries(26, 27, 2));
    });

    it('refuses a negative count', async () => {
      const err = await reboot({ catchUpEntries: -1 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StorageError);
    });
  });

  context('when the newest snapshot file cannot be used', () => {
    // The WAL is read without the data of the entries the newest snapshot file covers; when the
    // boot has to start from an older snapshot, those entries are needed in full.
    it('boots from the older snapshot with every later entry in full when the newest has no marker', async () => {
      const faulty = new FaultyDisk(disk);
      const { storage } = await RaftStorage.open(faulty, options({ segmentSizeBytes: 1024 }));
      await storage.save({ ...noSnap, entries: entries(1, 40, 1), hardState: hs(1, 1, 40) });
      await storage.saveSnapshot(snapshot(10, 1));
      faulty.inject({ ops: ['fdatasync'], code: 'EIO', pathIncludes: '.wal' });
      await storage.saveSnapshot(snapshot(35, 1)).catch(() => undefined);
      disk.crash();
      const { boot } = await reboot({ segmentSizeBytes: 1024 });
      expect(boot.snapshot).to.deep.equal(snapshot(10, 1));
      expect(boot.entries).to.deep.equal(entries(11, 40, 1));
    });

    it('boots from the older snapshot with every later entry in full when the newest is damaged', async () => {
      // One segment: nothing is released, so the older snapshot still has its log.
      const { storage } = await reboot({ keepSnapshots: 3 });
      await storage.save({ ...noSnap, entries: entries(1, 40, 1), hardState: hs(1, 1, 40) });
      await storage.saveSnapshot(snapshot(10, 1));
      await storage.saveSnapshot(snapshot(35, 1));
      await storage.close();
      disk.corrupt('member1/snap/0000000000000001-0000000000000023.snap', 40, (b) => b ^ 1);
      const logger = new CollectingLogger();
      const { boot } = await reboot({ logger });
      expect(logger.warnings.join()).to.match(/crc mismatch/);
      expect(boot.snapshot).to.deep.equal(snapshot(10, 1));
      expect(boot.entries).to.deep.equal(entries(11, 40, 1));
    });
  });

  context('when writing a snapshot file fails', () => {
    it('fails every later save, so that no entry lands after the hole', async () => {
      const faulty = new FaultyDisk(disk);
      const { storage } = await RaftStorage.open(faulty, options());
      await storage.save({ ...noSnap, entries: entries(1, 3, 1), hardState: hs(1, 1, 1) });
      faulty.inject({ ops: ['rename'], code: 'EIO', times: 1 });
      const failed = storage.save({ snapshot: snapshot(9, 2), entries: [], hardState: hs(2, 0, 9) });
      const after = storage.save({ ...noSnap, entries: entries(10, 10, 2), hardState: undefined });
      const results = await Promise.allSettled([failed, after]);
      expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
      const later = await storage.save({ ...noSnap, entries: entries(11, 11, 2), hardState: undefined }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(later).to.be.instanceOf(StorageError);
      expect((later as StorageError).reason).to.equal('IO');
      const { boot } = await reboot();
      expect(boot.entries).to.deep.equal(entries(1, 3, 1));
    });
  });

  describe('#saveSnapshot', () => {
    it('keeps the log after the snapshot and deletes covered segments and old snapshots', async () => {
      const { storage } = await reboot({ segmentSizeBytes: 1024, keepSnapshots: 2 });
      for (let i = 1; i <= 200; i++)
        await storage.save({ ...noSnap, entries: entries(i, i, 1), hardState: hs(1, 1, i) });
      const segmentsBefore = storage.wal.segments().length;
      await storage.saveSnapshot(snapshot(100, 1));
      await storage.saveSnapshot(snapshot(150, 1));
      await storage.saveSnapshot(snapshot(180, 1));
      expect(storage.wal.segments().length).to.be.lessThan(segmentsBefore);
      expect((await disk.list('member1/snap')).length).to.equal(2);
      disk.crash();
      const { boot } = await reboot({ segmentSizeBytes: 1024 });
      expect(boot.snapshot).to.deep.equal(snapshot(180, 1));
      expect(boot.entries).to.deep.equal(entries(181, 200, 1));
      expect(boot.hardState).to.deep.equal(hs(1, 1, 200));
    });

    context('when the segments before the newest snapshot are gone and that snapshot is damaged', () => {
      it('refuses to start rather than invent a log', async () => {
        const { storage } = await reboot({ segmentSizeBytes: 1024, keepSnapshots: 3 });
        for (let i = 1; i <= 200; i++)
          await storage.save({ ...noSnap, entries: entries(i, i, 1), hardState: hs(1, 1, i) });
        await storage.saveSnapshot(snapshot(50, 1));
        await storage.saveSnapshot(snapshot(190, 1));
        disk.corrupt('member1/snap/0000000000000001-00000000000000be.snap', 40, (b) => b ^ 1);
        const err = await reboot({ segmentSizeBytes: 1024 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(StorageError);
        expect((err as StorageError).message).to.match(/no usable snapshot|log gap/);
      });
    });
  });
});
