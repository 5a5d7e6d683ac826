/**
 * The storage ends of a snapshot transfer: a leader reads its snapshot file slice by slice
 * (verifying the file's checksum as it goes), a follower writes the received chunks to a temporary
 * file in snap/ and, when Raft persists that snapshot, the file is renamed into place rather than
 * written again. An aborted or superseded receive leaves nothing behind.
 */
import { expect } from 'chai';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import type { Disk } from '../../../server/platform/disk.js';
import type { SnapshotMetadata } from '../../../server/raft/types.js';
import { CorruptionError } from '../../../server/storage/errors.js';
import { silentLogger } from '../../../server/storage/logger.js';
import { RaftStorage } from '../../../server/storage/raft-storage.js';
import { formatSnapName } from '../../../server/storage/snap/snap-file.js';
import { entries, hs } from './helpers.js';

const confState = { voters: [1, 2, 3], learners: [] };
const options = {
  dataDir: 'm',
  clusterId: 'c',
  memberId: 2,
  initialConfState: confState,
  segmentSizeBytes: 4096,
  keepSnapshots: 2,
  logger: silentLogger,
};
const meta = (index: number, term = 2): SnapshotMetadata => ({ index, term, confState });

function pattern(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 131 + seed * 7 + (i >>> 9)) & 0xff;
  return out;
}

/** Hands `data` to `next()` in slices of `slice` bytes. */
function slices(data: Uint8Array, slice: number): () => Uint8Array | undefined {
  let at = 0;
  return () => {
    if (at >= data.length) return undefined;
    const out = data.subarray(at, at + slice);
    at += out.length;
    return out;
  };
}

async function readAll(
  reader: { size: number; read(o: number, n: number): Promise<Uint8Array> },
  step: number,
) {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < reader.size;) {
    const part = await reader.read(at, step);
    parts.push(part);
    at += part.length;
  }
  return Buffer.concat(parts);
}

async function snapFiles(disk: Disk): Promise<string[]> {
  return disk.list('m/snap');
}

describe('RaftStorage snapshot transfer ends', () => {
  it('reads its own snapshot file in slices, the same bytes as loadSnapshot', async () => {
    const disk = new MemoryDisk();
    const { storage } = await RaftStorage.open(disk.attach(), options);
    await storage.save({ entries: entries(1, 50, 2), hardState: hs(2, 1, 50), snapshot: undefined });
    const data = pattern(70_000);
    await storage.saveSnapshotStream(meta(40), slices(data, 9000));
    const reader = await storage.openSnapshot(meta(40));
    expect(reader.size).to.equal(data.length);
    expect(Buffer.compare(await readAll(reader, 4096), data)).to.equal(0);
    await storage.close();
  });

  it('rejects the read that reaches the end of a file whose bytes were altered', async () => {
    const memory = new MemoryDisk();
    const disk = memory.attach();
    const { storage } = await RaftStorage.open(disk, options);
    await storage.save({ entries: entries(1, 50, 2), hardState: hs(2, 1, 50), snapshot: undefined });
    const data = pattern(20_000);
    await storage.saveSnapshotStream(meta(40), slices(data, 5000));
    const path = `m/snap/${formatSnapName(meta(40))}`;
    const bytes = await disk.read(path);
    bytes[bytes.length - 5000] = (bytes[bytes.length - 5000] ?? 0) ^ 0x01;
    await disk.write(path, bytes);
    const reader = await storage.openSnapshot(meta(40));
    let failure: unknown;
    for (let at = 0; at < reader.size && failure === undefined; at += 4096) {
      await reader.read(at, 4096).catch((err: unknown) => (failure = err));
    }
    expect(failure).to.be.instanceOf(CorruptionError);
    await storage.close();
  });

  it('writes a received snapshot as it arrives and renames it into place when Raft persists it', async () => {
    const memory = new MemoryDisk();
    const { storage } = await RaftStorage.open(memory.attach(), options);
    const data = pattern(300_000, 3);
    const rx = storage.receiveSnapshot(meta(500, 4));
    for (let at = 0; at < data.length; at += 64 * 1024) await rx.write(data.slice(at, at + 64 * 1024));
    const received = await rx.finish();
    expect(Buffer.compare(received, data)).to.equal(0);
    const writtenBefore = memory.stats.bytesWritten;
    await storage.save({
      snapshot: { metadata: meta(500, 4), data: received },
      entries: [],
      hardState: hs(4, 1, 500),
    });
    // The marker and hard state only: the snapshot's data is not written a second time.
    expect(memory.stats.bytesWritten - writtenBefore).to.be.lessThan(1000);
    expect(await snapFiles(memory.attach())).to.include(formatSnapName(meta(500, 4)));
    expect((await snapFiles(memory.attach())).filter((f) => f.endsWith('.tmp'))).to.deep.equal([]);
    await storage.close();
    const { boot } = await RaftStorage.open(memory.attach(), options);
    expect(boot.snapshot.metadata).to.deep.equal(meta(500, 4));
    expect(Buffer.compare(boot.snapshot.data, data)).to.equal(0);
  });

  it('leaves nothing behind when a receive is aborted or superseded', async () => {
    const memory = new MemoryDisk();
    const { storage } = await RaftStorage.open(memory.attach(), options);
    const before = await snapFiles(memory.attach());
    const torn = storage.receiveSnapshot(meta(300));
    await torn.write(pattern(1000));
    torn.abort();
    const stale = storage.receiveSnapshot(meta(400));
    await stale.write(pattern(1000));
    await stale.finish();
    const newer = storage.receiveSnapshot(meta(600));
    await newer.write(pattern(2000));
    await newer.finish();
    await storage.close();
    const after = await snapFiles(memory.attach());
    const left = after.filter((f) => !before.includes(f));
    expect(left).to.have.length(1);
    expect(left[0]).to.match(new RegExp(`^${formatSnapName(meta(600))}\\.\\d+\\.rx\\.tmp$`));
    // And a restart removes even that one: it was never persisted by Raft.
    await RaftStorage.open(memory.attach(), options);
    expect(await snapFiles(memory.attach())).to.deep.equal(before);
  });
});
