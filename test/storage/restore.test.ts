/**
 * storage/restore.ts: the data directory `snapshot restore` writes is one RaftStorage opens as a
 * member's (snapshot at the given position and membership, commit at it, no entries), durable
 * once the call resolves (a crash right after loses nothing), never written over an existing
 * directory, and rebuilt cleanly after a restore interrupted half-way.
 */
import { expect } from 'chai';
import { MemoryDisk } from '../../server/platform/memory-disk.js';
import { DataDirExistsError, RaftStorage, restoreDataDir } from '../../server/storage/index.js';
import type { SnapshotMetadata } from '../../server/raft/types.js';

const metadata: SnapshotMetadata = {
  index: 4321,
  term: 1,
  confState: { voters: [11, 22, 33], learners: [] },
};
const data = Uint8Array.from({ length: 3_000_000 }, (_, i) => (i * 7) & 0xff);

function chunks(bytes: Uint8Array, size = 1 << 20): () => Uint8Array | undefined {
  let at = 0;
  return () => {
    if (at >= bytes.length) return undefined;
    const c = bytes.subarray(at, at + size);
    at += c.length;
    return c;
  };
}

const identity = { clusterId: '987654321', memberId: 22 };

describe('restoreDataDir', () => {
  it('writes a data directory RaftStorage boots from, durable when it resolves', async () => {
    const disk = new MemoryDisk();
    await restoreDataDir(disk, { dataDir: '/backup/m2', ...identity, metadata, data: chunks(data) });
    // Everything the call wrote is synced: a power loss now keeps all of it.
    disk.crash();
    expect(await disk.list('/backup')).to.deep.equal(['m2']);
    const { storage, boot, isNew } = await RaftStorage.open(disk, { dataDir: '/backup/m2', ...identity });
    try {
      expect(isNew).to.equal(false);
      expect(boot.snapshot.metadata).to.deep.equal(metadata);
      expect(Buffer.compare(boot.snapshot.data, data)).to.equal(0);
      expect(boot.hardState).to.deep.equal({ term: 1, vote: 0, commit: 4321 });
      expect(boot.entries).to.deep.equal([]);
    } finally {
      await storage.close();
    }
  });

  it('is opened only by the member it was restored for', async () => {
    const disk = new MemoryDisk();
    await restoreDataDir(disk, { dataDir: '/d/m2', ...identity, metadata, data: chunks(data) });
    let err: unknown;
    try {
      await RaftStorage.open(disk, { dataDir: '/d/m2', clusterId: '987654321', memberId: 33 });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(Error);
  });

  it('never writes into an existing data directory, even an empty one', async () => {
    const disk = new MemoryDisk();
    await disk.mkdir('/d/m2');
    await disk.write('/d/m2/keep', new Uint8Array([1]));
    let err: unknown;
    try {
      await restoreDataDir(disk, { dataDir: '/d/m2', ...identity, metadata, data: chunks(data) });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataDirExistsError);
    expect((err as Error).message).to.match(/\/d\/m2 exists/);
    expect(await disk.list('/d/m2')).to.deep.equal(['keep']);
    expect(await disk.list('/d')).to.deep.equal(['m2']);

    const empty = new MemoryDisk();
    await empty.mkdir('/e/m2');
    err = undefined;
    try {
      await restoreDataDir(empty, { dataDir: '/e/m2', ...identity, metadata, data: chunks(data) });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(DataDirExistsError);
    expect(await empty.list('/e/m2')).to.deep.equal([]);
  });

  it('leaves no data directory when interrupted, and a second attempt builds it whole', async () => {
    const disk = new MemoryDisk();
    let calls = 0;
    const failing = (): Uint8Array | undefined => {
      calls++;
      if (calls === 2) throw new Error('source failed');
      return data.subarray(0, 1000);
    };
    let err: unknown;
    try {
      await restoreDataDir(disk, { dataDir: '/d/m2', ...identity, metadata, data: failing });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal('source failed');
    expect(await disk.list('/d')).to.not.include('m2');
    await restoreDataDir(disk, { dataDir: '/d/m2', ...identity, metadata, data: chunks(data) });
    expect(await disk.list('/d')).to.deep.equal(['m2']);
    const { storage, boot } = await RaftStorage.open(disk, { dataDir: '/d/m2', ...identity });
    await storage.close();
    expect(boot.snapshot.metadata.index).to.equal(4321);
  });
});
