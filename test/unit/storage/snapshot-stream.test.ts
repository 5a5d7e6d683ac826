/**
 * RaftStorage.saveSnapshotStream: a snapshot written chunk by chunk in the background, with only
 * its WAL marker joining the ordered saves. A crash at any point of the background write must
 * lose nothing: the previous snapshot and the WAL still recover every entry.
 */
import { expect } from 'chai';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import { SeededRandom } from '../../../server/platform/random.js';
import type { Snapshot, SnapshotMetadata } from '../../../server/raft/types.js';
import { RaftStorage } from '../../../server/storage/raft-storage.js';
import { silentLogger } from '../../../server/storage/logger.js';
import { entries, hs } from './helpers.js';

const confState = { voters: [1], learners: [] };
const options = {
  dataDir: 'm',
  clusterId: 'c',
  memberId: 1,
  initialConfState: confState,
  segmentSizeBytes: 4096,
  keepSnapshots: 2,
  logger: silentLogger,
};
const meta = (index: number): SnapshotMetadata => ({ index, term: 1, confState });

/** `count` chunks of `size` bytes, chunk i filled with i; calls `onChunk(i)` before handing it out. */
function chunks(
  count: number,
  size: number,
  onChunk: (i: number) => void = () => {},
): () => Uint8Array | undefined {
  let i = 0;
  return () => {
    if (i === count) return undefined;
    onChunk(i);
    return new Uint8Array(size).fill(i++);
  };
}

function expected(count: number, size: number): Uint8Array {
  const out = new Uint8Array(count * size);
  for (let i = 0; i < count; i++) out.fill(i, i * size, (i + 1) * size);
  return out;
}

describe('RaftStorage#saveSnapshotStream', () => {
  it('writes the chunks as one snapshot that a reboot loads, with the entries after it', async () => {
    const disk = new MemoryDisk();
    const { storage } = await RaftStorage.open(disk.attach(), options);
    await storage.save({ entries: entries(1, 200, 1), hardState: hs(1, 1, 200), snapshot: undefined });
    await storage.saveSnapshotStream(meta(150), chunks(40, 1000));
    const saved: Snapshot = await storage.loadSnapshot(meta(150));
    expect(saved.metadata.index).to.equal(150);
    expect(saved.data).to.deep.equal(expected(40, 1000));
    await storage.close();
    const { boot } = await RaftStorage.open(disk.attach(), options);
    expect(boot.snapshot.metadata.index).to.equal(150);
    expect(boot.snapshot.data).to.deep.equal(expected(40, 1000));
    expect(boot.entries.map((e) => e.index)).to.deep.equal(entries(151, 200, 1).map((e) => e.index));
  });

  it('lets saves made while the snapshot is written complete without waiting for it', async () => {
    const disk = new MemoryDisk();
    const { storage } = await RaftStorage.open(disk.attach(), options);
    await storage.save({ entries: entries(1, 10, 1), hardState: hs(1, 1, 10), snapshot: undefined });
    let snapshotDurable = false;
    const writing = storage.saveSnapshotStream(meta(10), chunks(50, 1000)).then(() => {
      snapshotDurable = true;
    });
    await storage.save({ entries: entries(11, 20, 1), hardState: hs(1, 1, 20), snapshot: undefined });
    expect(snapshotDurable).to.equal(false);
    await writing;
    await storage.close();
    const { boot } = await RaftStorage.open(disk.attach(), options);
    expect(boot.snapshot.metadata.index).to.equal(10);
    expect(boot.entries.map((e) => e.index)).to.deep.equal(entries(11, 20, 1).map((e) => e.index));
  });

  it('loses nothing when the power fails at any point of the background write', async () => {
    const recovered = new Set<number>();
    // The power fails after `turns` microtask turns of the background write: while chunks are
    // appended, while the file is synced and renamed, while its marker is appended, or after.
    for (let turns = 0; turns < 400; turns += 7) {
      const random = new SeededRandom(turns);
      const disk = new MemoryDisk();
      const { storage } = await RaftStorage.open(disk.attach(), options);
      await storage.save({ entries: entries(1, 100, 1), hardState: hs(1, 1, 100), snapshot: undefined });
      await storage.saveSnapshotStream(meta(50), chunks(5, 700));
      await storage.save({ entries: entries(101, 150, 1), hardState: hs(1, 1, 150), snapshot: undefined });
      const writing = storage.saveSnapshotStream(meta(140), chunks(8, 900)).catch(() => undefined);
      for (let k = 0; k < turns; k++) await Promise.resolve();
      disk.crash({ random });
      await writing;
      const { boot, storage: again } = await RaftStorage.open(disk.attach(), options);
      const snap = boot.snapshot.metadata.index;
      expect(snap, `crash after ${turns} turns`).to.be.oneOf([50, 140]);
      recovered.add(snap);
      expect(boot.snapshot.data, `crash after ${turns} turns`).to.deep.equal(
        snap === 50 ? expected(5, 700) : expected(8, 900),
      );
      expect(
        boot.entries.map((e) => e.index),
        `crash after ${turns} turns`,
      ).to.deep.equal(entries(snap + 1, 150, 1).map((e) => e.index));
      await again.close();
    }
    // Both outcomes were reached: the crash points span the whole write.
    expect([...recovered].sort((a, b) => a - b)).to.deep.equal([50, 140]);
  });

  it('removes the partial file and keeps the storage usable when the source gives up', async () => {
    const disk = new MemoryDisk();
    const { storage } = await RaftStorage.open(disk.attach(), options);
    await storage.save({ entries: entries(1, 30, 1), hardState: hs(1, 1, 30), snapshot: undefined });
    const failure = new Error('view lost');
    const err = await storage
      .saveSnapshotStream(
        meta(30),
        chunks(4, 100, (i) => {
          if (i === 2) throw failure;
        }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.equal(failure);
    expect((await disk.list('m/snap')).filter((n) => n.endsWith('.tmp'))).to.deep.equal([]);
    await storage.save({ entries: entries(31, 40, 1), hardState: hs(1, 1, 40), snapshot: undefined });
    await storage.saveSnapshotStream(meta(40), chunks(2, 10));
    expect((await storage.loadSnapshot(meta(40))).data).to.deep.equal(expected(2, 10));
  });
});
