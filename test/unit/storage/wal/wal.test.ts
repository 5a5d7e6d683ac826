import { expect } from 'chai';
import type { Disk } from '../../../../server/platform/disk.js';
import { FaultyDisk } from '../../../../server/platform/faulty-disk.js';
import { MemoryDisk } from '../../../../server/platform/memory-disk.js';
import { StorageError } from '../../../../server/storage/errors.js';
import { scanSegment } from '../../../../server/storage/wal/decoder.js';
import { encodeRecord, sealFrame } from '../../../../server/storage/wal/encoder.js';
import type { WalRecord } from '../../../../server/storage/wal/record.js';
import { Wal, type WalOptions } from '../../../../server/storage/wal/wal.js';
import { CollectingLogger, entry, hs } from '../helpers.js';

const ID = { clusterId: 'c1', memberId: 1 };
const DIR = 'data/wal';

async function fresh(disk: MemoryDisk | FaultyDisk, options: WalOptions = {}): Promise<Wal> {
  await Wal.initialize(disk, DIR, ID, []);
  const { wal } = await Wal.open(disk, DIR, ID, { logger: new CollectingLogger(), ...options });
  return wal;
}

async function reopen(disk: MemoryDisk | FaultyDisk, options: WalOptions = {}): Promise<WalRecord[]> {
  const { wal, records } = await Wal.open(disk, DIR, ID, { logger: new CollectingLogger(), ...options });
  await wal.close();
  return records.map((r) => r.record);
}

const entryRecords = (from: number, to: number, term = 1): WalRecord[] => {
  const out: WalRecord[] = [];
  for (let i = from; i <= to; i++) out.push({ type: 'entry', entry: entry(i, term) });
  return out;
};

async function failure(p: Promise<unknown>): Promise<StorageError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(StorageError);
    return err as StorageError;
  }
  throw new Error('expected a rejection');
}

describe('Wal', () => {
  let disk: MemoryDisk;
  beforeEach(async () => {
    disk = new MemoryDisk();
    await disk.mkdir('data');
    await disk.fsyncDir('/');
    await disk.fsyncDir('data');
  });

  describe('#append', () => {
    it('makes records durable before resolving', async () => {
      const wal = await fresh(disk);
      await wal.append(entryRecords(1, 3));
      disk.crash();
      expect(await reopen(disk)).to.deep.equal(entryRecords(1, 3));
    });

    it('cuts segments at segmentSizeBytes and reads across them', async () => {
      const wal = await fresh(disk, { segmentSizeBytes: 1024 });
      for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
      expect(wal.segments().length).to.be.greaterThan(3);
      const records = (await reopen(disk)).filter((r) => r.type === 'entry');
      expect(records).to.deep.equal(entryRecords(1, 100));
    });

    it('repeats the newest hard state and snapshot marker at the start of each new segment', async () => {
      const wal = await fresh(disk, { segmentSizeBytes: 1024 });
      await wal.append([
        { type: 'hardState', hardState: hs(3, 1, 2) },
        { type: 'snapshot', index: 2, term: 1, resetsLog: true },
      ]);
      for (let i = 3; i <= 60; i++) await wal.append(entryRecords(i, i));
      const segs = wal.segments();
      expect(segs.length).to.be.greaterThan(1);
      const second = await disk.read(`${DIR}/${segs[1]?.file ?? ''}`);
      const records = scanSegment(second, 'second', 1 << 20).records.slice(1);
      expect(records.slice(0, 2).map((r) => r.record)).to.deep.equal([
        { type: 'hardState', hardState: hs(3, 1, 2) },
        { type: 'snapshot', index: 2, term: 1, resetsLog: false },
      ]);
    });

    it('batches appends that arrive while an fsync runs into one fsync', async () => {
      const faulty = new FaultyDisk(disk);
      const wal = await fresh(faulty);
      const gate = faulty.hold(['fdatasync']);
      const first = wal.append(entryRecords(1, 1));
      await new Promise((r) => setImmediate(r));
      expect(gate.waiting()).to.equal(1);
      const rest = [];
      for (let i = 2; i <= 50; i++) rest.push(wal.append(entryRecords(i, i)));
      const syncsBefore = wal.stats.fsyncs;
      gate.release();
      await Promise.all([first, ...rest]);
      expect(wal.stats.fsyncs - syncsBefore).to.equal(2);
      expect(wal.stats.batches).to.equal(2);
      expect((await reopen(disk)).length).to.equal(50);
    });

    it('writes and syncs each batch in one disk operation, never a write and a separate sync', async () => {
      const calls: string[] = [];
      const counting: Disk = {
        ...disk.attach(),
        appendAt: (p, o, d) => (calls.push('appendAt'), disk.appendAt(p, o, d)),
        appendAtSynced: (p, o, d) => (calls.push('appendAtSynced'), disk.appendAtSynced(p, o, d)),
        fdatasync: (p) => (calls.push('fdatasync'), disk.fdatasync(p)),
        truncate: (p, n) => (calls.push('truncate'), disk.truncate(p, n)),
      };
      await Wal.initialize(counting, DIR, ID, []);
      const { wal } = await Wal.open(counting, DIR, ID, { logger: new CollectingLogger() });
      calls.length = 0;
      await wal.append(entryRecords(1, 2));
      await Promise.all([wal.append(entryRecords(3, 3)), wal.append(entryRecords(4, 4))]);
      await wal.append([{ type: 'hardState', hardState: hs(1, 1, 4) }], { sync: false });
      await wal.append(entryRecords(5, 5));
      expect(calls).to.deep.equal(['appendAtSynced', 'appendAtSynced', 'appendAt', 'appendAtSynced']);
      disk.crash();
      expect((await reopen(disk)).filter((r) => r.type === 'entry')).to.deep.equal(entryRecords(1, 5));
    });

    it('reuses its write buffer only after the write of the previous batch settled', async () => {
      // A disk that reads the bytes it was given only at the end of its write, a macrotask later,
      // as a real write may (disk.ts): a batch encoded over a buffer still being written would
      // reach the disk in place of the earlier one.
      const late: Disk = {
        ...disk.attach(),
        appendAt: async (p, o, d) => {
          await new Promise((r) => setImmediate(r));
          await disk.appendAt(p, o, d);
        },
        appendAtSynced: async (p, o, d) => {
          await new Promise((r) => setImmediate(r));
          await disk.appendAtSynced(p, o, d);
        },
      };
      await Wal.initialize(late, DIR, ID, []);
      const { wal } = await Wal.open(late, DIR, ID, {
        logger: new CollectingLogger(),
        segmentSizeBytes: 1024,
      });
      const appends: Promise<void>[] = [];
      for (let i = 1; i <= 60; i++) {
        appends.push(wal.append(entryRecords(i, i)));
        if (i % 7 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(appends);
      expect(wal.stats.batches).to.be.greaterThan(2);
      expect(wal.segments().length).to.be.greaterThan(1);
      expect((await reopen(disk)).filter((r) => r.type === 'entry')).to.deep.equal(entryRecords(1, 60));
    });

    context('when an append says sync: false', () => {
      it('writes without fdatasync, so a crash may lose it, and the next synced append covers it', async () => {
        const wal = await fresh(disk);
        await wal.append(entryRecords(1, 2));
        const before = disk.stats.fsyncs;
        const commitOnly: WalRecord = { type: 'hardState', hardState: hs(1, 1, 2) };
        await wal.append([commitOnly], { sync: false });
        expect(disk.stats.fsyncs).to.equal(before);
        disk.crash();
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 2));
      });

      it('is made durable by the next synced append', async () => {
        const wal = await fresh(disk);
        const commitOnly: WalRecord = { type: 'hardState', hardState: hs(1, 1, 2) };
        await wal.append(entryRecords(1, 2));
        await wal.append([commitOnly], { sync: false });
        await wal.append(entryRecords(3, 3));
        disk.crash();
        expect(await reopen(disk)).to.deep.equal([...entryRecords(1, 2), commitOnly, ...entryRecords(3, 3)]);
      });

      it('lets recovery cut a hole in an unsynced batch even when later unsynced batches made it to disk', async () => {
        // a crash may write back any subset of unsynced pages: here the first of two unsynced
        // batches is damaged and the second is intact — still a torn tail, not corruption
        const wal = await fresh(disk);
        await wal.append(entryRecords(1, 2));
        const file = `${DIR}/${wal.segments()[0]?.file ?? ''}`;
        const syncedEnd = (await disk.read(file)).length;
        await wal.append([{ type: 'hardState', hardState: hs(1, 1, 1) }], { sync: false });
        await wal.append([{ type: 'hardState', hardState: hs(1, 1, 2) }], { sync: false });
        await wal.close();
        const bytes = await disk.read(file);
        bytes.fill(0, syncedEnd + 4, syncedEnd + 8);
        await disk.write(file, bytes);
        const logger = new CollectingLogger();
        const { records } = await Wal.open(disk, DIR, ID, { logger });
        expect(records.map((r) => r.record)).to.deep.equal(entryRecords(1, 2));
        expect(logger.warnings.join()).to.contain('torn tail');
      });

      it('is made durable by sync() even when nothing else is pending', async () => {
        const wal = await fresh(disk);
        const commitOnly: WalRecord = { type: 'hardState', hardState: hs(1, 1, 0) };
        await wal.append([commitOnly], { sync: false });
        await wal.sync();
        disk.crash();
        expect(await reopen(disk)).to.deep.equal([commitOnly]);
      });
    });

    context('when preallocateBytes is set', () => {
      it('writes records into zero-filled space ahead of them and reads the zeros back as a clean end', async () => {
        const wal = await fresh(disk, { preallocateBytes: 4096, segmentSizeBytes: 64 * 1024 });
        await wal.append(entryRecords(1, 3));
        const file = `${DIR}/${wal.segments()[0]?.file ?? ''}`;
        const sizeAfterFirst = (await disk.read(file)).length;
        await wal.append(entryRecords(4, 6));
        const bytes = await disk.read(file);
        // the file was extended once, ahead of the records, and not grown by the second append
        expect(bytes.length).to.equal(sizeAfterFirst);
        expect(bytes[bytes.length - 1]).to.equal(0);
        await wal.close();
        const { wal: again, records } = await Wal.open(disk, DIR, ID, {
          logger: new CollectingLogger(),
          preallocateBytes: 4096,
        });
        expect(records.map((r) => r.record)).to.deep.equal(entryRecords(1, 6));
        await again.append(entryRecords(7, 7));
        disk.crash();
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 7));
      });

      it('cuts a torn record in the preallocated space and keeps what was synced', async () => {
        const wal = await fresh(disk, { preallocateBytes: 4096 });
        await wal.append(entryRecords(1, 2));
        const file = `${DIR}/${wal.segments()[0]?.file ?? ''}`;
        const end = (await disk.read(file)).findLastIndex((b) => b !== 0) + 1;
        await wal.close();
        // half a frame in the zeros, as a crash in the middle of a write leaves it
        await disk.appendAt(file, end, encodeRecord({ type: 'entry', entry: entry(3, 1) }).subarray(0, 9));
        const logger = new CollectingLogger();
        const { wal: again, records } = await Wal.open(disk, DIR, ID, { logger, preallocateBytes: 4096 });
        expect(records.map((r) => r.record)).to.deep.equal(entryRecords(1, 2));
        expect(logger.warnings.join()).to.contain('torn tail');
        await again.append(entryRecords(3, 3));
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 3));
      });

      it('preallocates each new segment too', async () => {
        const wal = await fresh(disk, { preallocateBytes: 512, segmentSizeBytes: 1024 });
        for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
        const segments = wal.segments();
        expect(segments.length).to.be.greaterThan(2);
        const lastFile = await disk.read(`${DIR}/${segments[segments.length - 1]?.file ?? ''}`);
        expect(lastFile[lastFile.length - 1]).to.equal(0);
        expect((await reopen(disk)).filter((r) => r.type === 'entry')).to.deep.equal(entryRecords(1, 100));
      });
    });

    context('when unsafeNoFsync is set', () => {
      it('warns loudly and appends without fdatasync', async () => {
        const logger = new CollectingLogger();
        const wal = await fresh(disk, { unsafeNoFsync: true, logger });
        const before = disk.stats.fsyncs;
        await wal.append(entryRecords(1, 3));
        expect(disk.stats.fsyncs).to.equal(before);
        expect(logger.warnings.join()).to.contain('UNSAFE');
        disk.crash();
        expect(await reopen(disk)).to.deep.equal([]);
      });
    });

    it('rejects records above maxRecordBytes', async () => {
      const wal = await fresh(disk, { maxRecordBytes: 64 });
      const err = await failure(wal.append([{ type: 'entry', entry: entry(1, 1, new Uint8Array(100)) }]));
      expect(err.reason).to.equal('INVALID_CONFIG');
    });
  });

  describe('#releaseTo', () => {
    it('deletes only segments wholly covered by the snapshot index, oldest first', async () => {
      const wal = await fresh(disk, { segmentSizeBytes: 1024 });
      for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
      const before = wal.segments().map((s) => ({ ...s }));
      const cover = before[3]?.firstIndex ?? 0;
      const removed = await wal.releaseTo(cover - 1);
      expect(removed).to.equal(3);
      expect(wal.segments()[0]?.file).to.equal(before[3]?.file);
      const entriesLeft = (await reopen(disk)).filter((r) => r.type === 'entry');
      expect(entriesLeft[0]?.type === 'entry' && entriesLeft[0].entry.index).to.be.at.most(cover);
      expect(await wal.releaseTo(10_000)).to.equal(before.length - 4);
      expect(wal.segments()).to.have.length(1);
      expect(await disk.list(DIR)).to.deep.equal([wal.segments()[0]?.file]);
    });

    it('renames a segment out of the segment names (durably) before it removes it', async () => {
      const wal = await fresh(disk, { segmentSizeBytes: 1024 });
      for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
      expect(wal.segments().length).to.be.greaterThan(1);
      const first = wal.segments()[0]?.file as string;
      let atRemoval: string[] | undefined;
      const remove = disk.remove.bind(disk);
      disk.remove = async () => {
        // The process dies here: what does the restarted one find?
        disk.crash();
        atRemoval = await disk.list(DIR);
        throw new Error('crashed');
      };
      await wal.releaseTo(wal.segments()[1]?.firstIndex as number).catch(() => undefined);
      disk.remove = remove;
      expect(atRemoval).to.include(`${first}.removing`).and.not.include(first);
      // Open removes what the crash left and reads the log without it.
      const records = await reopen(disk);
      expect(await disk.list(DIR)).not.to.include(`${first}.removing`);
      expect(records.some((r) => r.type === 'entry' && r.entry.index === 100)).to.equal(true);
    });
  });

  describe('.open', () => {
    context('with entriesAfter (a boot from a snapshot at that index)', () => {
      it('reports each run of covered entries as its last one, without data, and the rest in full', async () => {
        const wal = await fresh(disk, { segmentSizeBytes: 1024 });
        await wal.append(entryRecords(1, 30));
        await wal.append([{ type: 'hardState', hardState: hs(1, 1, 30) }]);
        await wal.append(entryRecords(31, 40));
        await wal.close();
        const { wal: again, records } = await Wal.open(
          disk,
          DIR,
          ID,
          { logger: new CollectingLogger(), segmentSizeBytes: 1024 },
          { entriesAfter: 35 },
        );
        await again.close();
        const seen = records.map((r) => r.record).filter((r) => r.type !== 'metadata');
        const full = await reopen(disk, { segmentSizeBytes: 1024 });
        // Covered entries collapse: far fewer records than the full read, the same ones after 35.
        expect(seen.length).to.be.lessThan(full.length - 20);
        const after = (rs: WalRecord[]): WalRecord[] =>
          rs.filter((r) => r.type === 'entry' && r.entry.index > 35);
        expect(after(seen)).to.deep.equal(entryRecords(36, 40));
        for (const r of seen) {
          if (r.type === 'entry' && r.entry.index <= 35) expect(r.entry.data.length).to.equal(0);
        }
        // The last covered entry before the hard state and the last one overall are both there.
        const covered = seen.flatMap((r) =>
          r.type === 'entry' && r.entry.index <= 35 ? [r.entry.index] : [],
        );
        expect(covered).to.include(30);
        expect(covered).to.include(35);
      });
    });

    context('when the last record is torn', () => {
      it('truncates it, warns and keeps appending', async () => {
        const wal = await fresh(disk);
        await wal.append(entryRecords(1, 2));
        const file = `${DIR}/${wal.segments()[0]?.file ?? ''}`;
        const size = (await disk.read(file)).length;
        await disk.truncate(file, size - 3);
        const logger = new CollectingLogger();
        const { wal: again, records } = await Wal.open(disk, DIR, ID, { logger });
        expect(records.map((r) => r.record)).to.deep.equal(entryRecords(1, 1));
        expect(logger.warnings.join()).to.match(/torn tail .* offset \d+/);
        await again.append(entryRecords(2, 3));
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 3));
      });
    });

    context('when a middle record has a bad CRC', () => {
      it('refuses with the file and offset', async () => {
        const wal = await fresh(disk);
        for (let i = 1; i <= 3; i++) await wal.append(entryRecords(i, i));
        const file = wal.segments()[0]?.file ?? '';
        const { records } = await Wal.open(disk, DIR, ID, { logger: new CollectingLogger() });
        const second = records[1];
        if (second === undefined) throw new Error('missing');
        disk.corrupt(`${DIR}/${file}`, second.offset + 20, (b) => b ^ 1);
        const err = await failure(Wal.open(disk, DIR, ID, { logger: new CollectingLogger() }));
        expect(err.reason).to.equal('CORRUPT');
        expect(err.message).to.contain(file).and.contain(`offset ${second.offset}`);
      });
    });

    context('when a sealed segment is damaged at its end', () => {
      it('refuses even though nothing follows in that file', async () => {
        const wal = await fresh(disk, { segmentSizeBytes: 1024 });
        for (let i = 1; i <= 40; i++) await wal.append(entryRecords(i, i));
        const first = `${DIR}/${wal.segments()[0]?.file ?? ''}`;
        const size = (await disk.read(first)).length;
        disk.corrupt(first, size - 1, (b) => b ^ 0x80);
        const err = await failure(Wal.open(disk, DIR, ID, { logger: new CollectingLogger() }));
        expect(err.reason).to.equal('CORRUPT');
        expect(err.message).to.contain('sealed segment');
      });
    });

    context('when a segment in the middle is missing', () => {
      it('refuses and names the gap', async () => {
        const wal = await fresh(disk, { segmentSizeBytes: 1024 });
        for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
        const victim = wal.segments()[1]?.file ?? '';
        await disk.remove(`${DIR}/${victim}`);
        const err = await failure(Wal.open(disk, DIR, ID, { logger: new CollectingLogger() }));
        expect(err.reason).to.equal('MISSING_SEGMENT');
        expect(err.message).to.contain('seq 1 is missing');
      });
    });

    context('when the directory belongs to another cluster or member', () => {
      it('refuses with CLUSTER_MISMATCH', async () => {
        await fresh(disk);
        const other = await failure(Wal.open(disk, DIR, { clusterId: 'c2', memberId: 1 }));
        expect(other.reason).to.equal('CLUSTER_MISMATCH');
        expect(other.message).to.contain("cluster 'c1'");
        const member = await failure(Wal.open(disk, DIR, { clusterId: 'c1', memberId: 2 }));
        expect(member.reason).to.equal('CLUSTER_MISMATCH');
      });
    });

    context('when the directory was written by a newer format', () => {
      it('refuses with FORMAT_TOO_NEW', async () => {
        await disk.mkdir(DIR);
        const frame = encodeRecord({
          type: 'metadata',
          formatVersion: 99,
          clusterId: 'c1',
          memberId: 1,
          segmentSeq: 0,
        });
        sealFrame(frame, 0, true);
        await disk.append(`${DIR}/0000000000000000-0000000000000000.wal`, frame);
        const err = await failure(Wal.open(disk, DIR, ID));
        expect(err.reason).to.equal('FORMAT_TOO_NEW');
        expect(err.message).to.contain('version 99');
      });
    });

    context('when the directory was written by format version 1 (revisions numbered from 0)', () => {
      it('refuses with FORMAT_TOO_OLD, naming the segment, the version found and the one read', async () => {
        await disk.mkdir(DIR);
        const file = `${DIR}/0000000000000000-0000000000000000.wal`;
        const frame = encodeRecord({
          type: 'metadata',
          formatVersion: 1,
          clusterId: 'c1',
          memberId: 1,
          segmentSeq: 0,
        });
        sealFrame(frame, 0, true);
        await disk.append(file, frame);
        const before = await disk.read(file);
        const err = await failure(Wal.open(disk, DIR, ID));
        expect(err.reason).to.equal('FORMAT_TOO_OLD');
        expect(err.message).to.contain(file);
        expect(err.message).to.match(/format version 1; this build reads version 2 only/);
        expect(await disk.read(file)).to.deep.equal(before);
      });

      it('writes version 2 in a new directory', async () => {
        const wal = await fresh(disk);
        await wal.close();
        const [seg] = await disk.list(DIR);
        const first = scanSegment(await disk.read(`${DIR}/${seg ?? ''}`), seg ?? '', 1 << 20).records[0];
        expect(first?.record).to.include({ type: 'metadata', formatVersion: 2 });
      });
    });

    context('when the newest segment was created but its header never made it', () => {
      it('removes it and continues in the previous segment', async () => {
        const wal = await fresh(disk, { segmentSizeBytes: 1024 });
        for (let i = 1; i <= 100; i++) await wal.append(entryRecords(i, i));
        const segs = wal.segments().map((s) => s.file);
        const last = `${DIR}/${segs[segs.length - 1] ?? ''}`;
        await disk.truncate(last, 5);
        const { wal: again, records } = await Wal.open(disk, DIR, ID, { logger: new CollectingLogger() });
        expect(again.segments().map((s) => s.file)).to.deep.equal(segs.slice(0, -1));
        await again.append(entryRecords(1000, 1000));
        const after = await reopen(disk);
        expect(after.slice(0, records.length)).to.deep.equal(records.map((r) => r.record));
        expect(after[after.length - 1]).to.deep.equal(entryRecords(1000, 1000)[0]);
      });
    });
  });

  describe('failures', () => {
    context('when the disk is full during an append', () => {
      it('rejects with NO_SPACE, refuses later appends and leaves a clean log', async () => {
        const faulty = new FaultyDisk(disk);
        const wal = await fresh(faulty);
        await wal.append(entryRecords(1, 2));
        faulty.inject({ ops: ['append'], code: 'ENOSPC', partialBytes: 7, times: 1 });
        const err = await failure(wal.append(entryRecords(3, 3)));
        expect(err.reason).to.equal('NO_SPACE');
        expect(err.code).to.equal('NO_SPACE');
        expect((await failure(wal.append(entryRecords(4, 4)))).reason).to.equal('NO_SPACE');
        const logger = new CollectingLogger();
        const { records } = await Wal.open(disk, DIR, ID, { logger });
        expect(records.map((r) => r.record)).to.deep.equal(entryRecords(1, 2));
        expect(logger.warnings).to.deep.equal([]);
      });
    });

    context('when fdatasync fails with EIO', () => {
      it('rejects the batch with IO and never acknowledges it', async () => {
        const faulty = new FaultyDisk(disk);
        const wal = await fresh(faulty);
        await wal.append(entryRecords(1, 1));
        faulty.inject({ ops: ['fdatasync'], code: 'EIO' });
        const err = await failure(wal.append(entryRecords(2, 2)));
        expect(err.reason).to.equal('IO');
        expect(err.retryable).to.equal(true);
        disk.crash();
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 1));
      });

      it('stays failed for good once the disk works again (no retry acknowledges unsynced data)', async () => {
        const faulty = new FaultyDisk(disk);
        const wal = await fresh(faulty, { preallocateBytes: 4096 });
        await wal.append(entryRecords(1, 1));
        faulty.inject({ ops: ['fdatasync'], code: 'EIO', times: 1 });
        const first = await failure(wal.append(entryRecords(2, 2)));
        expect(wal.failure).to.equal(first);
        // the fault is spent: the disk would sync now, the WAL still refuses
        const later = await failure(wal.append(entryRecords(3, 3)));
        expect(later).to.equal(first);
        expect(await failure(wal.sync())).to.equal(first);
        disk.crash();
        expect(await reopen(disk)).to.deep.equal(entryRecords(1, 1));
      });
    });
  });
});
