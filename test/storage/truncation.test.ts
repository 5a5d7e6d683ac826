/**
 * Byte-exact damage tests: a WAL cut at every byte offset recovers exactly the complete records
 * before the cut; a flipped bit in any record that is not in the final batch is reported with
 * the file and the record's offset.
 */
import { expect } from 'chai';
import { MemoryDisk } from '../../server/platform/memory-disk.js';
import { CorruptionError } from '../../server/storage/errors.js';
import { silentLogger } from '../../server/storage/logger.js';
import { RaftStorage } from '../../server/storage/raft-storage.js';
import { scanSegment } from '../../server/storage/wal/decoder.js';
import type { WalRecord } from '../../server/storage/wal/record.js';
import { Wal } from '../../server/storage/wal/wal.js';
import { CollectingLogger, entries, entry } from '../unit/storage/helpers.js';

const ID = { clusterId: 'trunc', memberId: 3 };
const DIR = 'w';

const script: WalRecord[][] = [
  [{ type: 'hardState', hardState: { term: 1, vote: 3, commit: 0 } }],
  [
    { type: 'entry', entry: entry(1, 1, 'alpha') },
    { type: 'entry', entry: entry(2, 1, new Uint8Array(40).fill(7)) },
  ],
  [{ type: 'entry', entry: { index: 3, term: 1, type: 'confChange', data: Uint8Array.of(1, 2, 3) } }],
  [{ type: 'snapshot', index: 2, term: 1, resetsLog: false }],
  [{ type: 'hardState', hardState: { term: 1, vote: 3, commit: 3 } }],
  [{ type: 'entry', entry: entry(4, 2, 'omega') }],
];

/** Builds the WAL batch by batch and returns its single segment's name and bytes. */
async function buildWal(): Promise<{ file: string; bytes: Uint8Array }> {
  const disk = new MemoryDisk();
  await Wal.initialize(disk, DIR, ID, []);
  const { wal } = await Wal.open(disk, DIR, ID, { logger: silentLogger });
  for (const batch of script) await wal.append(batch);
  await wal.close();
  const file = wal.segments()[0]?.file ?? '';
  return { file, bytes: await disk.read(`${DIR}/${file}`) };
}

async function diskWith(file: string, bytes: Uint8Array): Promise<MemoryDisk> {
  const disk = new MemoryDisk();
  await disk.mkdir(DIR);
  await disk.write(`${DIR}/${file}`, bytes);
  await disk.fsync(`${DIR}/${file}`);
  await disk.fsyncDir(DIR);
  await disk.fsyncDir('/');
  return disk;
}

describe('WAL damage', () => {
  describe('truncation at every byte offset', () => {
    it('recovers exactly the complete records before the cut, and appends after them', async () => {
      const { file, bytes } = await buildWal();
      const frames = scanSegment(bytes, file, 1 << 20).records;
      expect(frames.length).to.equal(1 + script.flat().length);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const disk = await diskWith(file, bytes.subarray(0, cut));
        const logger = new CollectingLogger();
        const { wal, records } = await Wal.open(disk, DIR, ID, { logger });
        const expected = frames
          .filter((f) => f.offset + f.sizeBytes <= cut && f.record.type !== 'metadata')
          .map((f) => f.record);
        expect(
          records.map((r) => r.record),
          `cut at ${cut}`,
        ).to.deep.equal(expected);
        const complete = frames.some((f) => f.offset + f.sizeBytes === cut) || cut === bytes.length;
        expect(logger.warnings.length, `warnings at cut ${cut}`).to.equal(complete ? 0 : 1);
        const extra: WalRecord = { type: 'entry', entry: entry(99, 9, 'after') };
        await wal.append([extra]);
        await wal.close();
        const again = await Wal.open(disk, DIR, ID, { logger });
        expect(
          again.records.map((r) => r.record),
          `append after cut ${cut}`,
        ).to.deep.equal([...expected, extra]);
      }
    });

    it('gives RaftStorage a consistent prefix of the log at every cut of its last segment', async () => {
      const disk = new MemoryDisk();
      const opts = {
        dataDir: 'm',
        clusterId: 'c',
        memberId: 1,
        logger: silentLogger,
        initialConfState: { voters: [1], learners: [] },
      };
      const { storage } = await RaftStorage.open(disk, opts);
      for (let i = 1; i <= 12; i++) {
        await storage.save({
          snapshot: undefined,
          entries: entries(i, i, 1),
          hardState: { term: 1, vote: 1, commit: i - 1 },
        });
      }
      await storage.close();
      const walFile = `m/wal/${(await disk.list('m/wal'))[0] ?? ''}`;
      const full = await disk.read(walFile);
      let lastSeen = -1;
      for (let cut = 0; cut <= full.length; cut++) {
        await disk.write(walFile, full.subarray(0, cut));
        await disk.fsync(walFile);
        const { storage: s, boot } = await RaftStorage.open(disk, opts);
        await s.close();
        expect(boot.entries, `cut ${cut}`).to.deep.equal(entries(1, boot.entries.length, 1));
        expect(boot.hardState.commit).to.be.at.most(boot.entries.length);
        expect(boot.entries.length).to.be.at.least(lastSeen);
        lastSeen = boot.entries.length;
      }
      expect(lastSeen).to.equal(12);
    });
  });

  describe('a flipped bit', () => {
    it('is reported with file and offset in every record before the final batch', async () => {
      const { file, bytes } = await buildWal();
      const frames = scanSegment(bytes, file, 1 << 20).records;
      const finalBatch = frames[frames.length - 1];
      let flips = 0;
      for (const frame of frames) {
        if (frame === finalBatch) continue;
        for (let i = 0; i < frame.sizeBytes; i++) {
          const damaged = bytes.slice();
          const at = frame.offset + i;
          damaged[at] = (damaged[at] as number) ^ (1 << (i % 8));
          const disk = await diskWith(file, damaged);
          const err = await Wal.open(disk, DIR, ID, { logger: silentLogger }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, `flip at byte ${at}`).to.be.instanceOf(CorruptionError);
          expect((err as CorruptionError).file).to.equal(file);
          expect((err as CorruptionError).offset, `flip at byte ${at}`).to.equal(frame.offset);
          flips++;
        }
      }
      expect(flips).to.be.greaterThan(200);
    });

    it('in the final batch is indistinguishable from a torn write and is cut off with a warning', async () => {
      const { file, bytes } = await buildWal();
      const frames = scanSegment(bytes, file, 1 << 20).records;
      const last = frames[frames.length - 1];
      if (last === undefined) throw new Error('no frames');
      const damaged = bytes.slice();
      damaged[last.offset + 12] = (damaged[last.offset + 12] as number) ^ 1;
      const logger = new CollectingLogger();
      const { records } = await Wal.open(await diskWith(file, damaged), DIR, ID, { logger });
      expect(records.length).to.equal(frames.length - 2);
      expect(logger.warnings[0]).to.contain(`offset ${last.offset}`);
    });
  });
});
