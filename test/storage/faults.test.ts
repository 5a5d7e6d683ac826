/**
 * A failing or slow real disk, through the FaultyDisk seam over NodeDisk: writes fail with a
 * clear error, nothing acknowledged is lost, and the files stay readable without corruption.
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyDisk } from '../../server/platform/faulty-disk.js';
import { NodeDisk } from '../../server/platform/node-disk.js';
import type { TimerHandle, Timers } from '../../server/platform/timers.js';
import type { Entry } from '../../server/raft/types.js';
import { StorageError } from '../../server/storage/errors.js';
import { RaftStorage, type RaftStorageOptions } from '../../server/storage/raft-storage.js';
import { CollectingLogger, entry } from '../unit/storage/helpers.js';

/** Real timers for the slow-disk case (the platform's Node clock adapter is not storage's). */
const live = new Map<number, NodeJS.Timeout>();
let nextTimerId = 1;
const realTimers: Timers = {
  setTimeout: (cb, ms) => {
    const id = nextTimerId++;
    live.set(
      id,
      setTimeout(() => {
        live.delete(id);
        cb();
      }, ms),
    );
    return { id };
  },
  clearTimeout: (handle: TimerHandle) => {
    clearTimeout(live.get(handle.id));
    live.delete(handle.id);
  },
};

describe('RaftStorage on a failing disk', () => {
  let dir = '';
  let node: NodeDisk;
  let options: RaftStorageOptions;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-faults-'));
    node = new NodeDisk();
    options = {
      dataDir: dir,
      clusterId: 'faults',
      memberId: 1,
      initialConfState: { voters: [1], learners: [] },
      segmentSizeBytes: 4096,
      logger: new CollectingLogger(),
    };
  });
  afterEach(async () => {
    await node.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Saves entries 1..n concurrently; returns the highest index acknowledged and the errors seen. */
  async function saveConcurrently(
    storage: RaftStorage,
    from: number,
    n: number,
  ): Promise<{ acked: number; errors: unknown[] }> {
    let acked = 0;
    const errors: unknown[] = [];
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        storage
          .save({
            snapshot: undefined,
            entries: [entry(from + i, 1, new Uint8Array(300).fill(i & 0xff))],
            hardState: undefined,
          })
          .then(
            () => {
              acked = Math.max(acked, from + i);
            },
            (err: unknown) => {
              errors.push(err);
            },
          ),
      ),
    );
    return { acked, errors };
  }

  async function recover(): Promise<{ entries: readonly Entry[]; warnings: string[] }> {
    const logger = new CollectingLogger();
    const disk = new NodeDisk();
    const { storage, boot } = await RaftStorage.open(disk, { ...options, logger });
    await storage.close();
    await disk.close();
    return { entries: boot.entries, warnings: logger.warnings };
  }

  for (const code of ['ENOSPC', 'EIO'] as const) {
    context(`when an append fails with ${code} part-way through a write`, () => {
      it('rejects with a clear error, keeps every acknowledged entry and leaves clean files', async () => {
        const faulty = new FaultyDisk(node);
        const { storage } = await RaftStorage.open(faulty, options);
        const first = await saveConcurrently(storage, 1, 40);
        expect(first.errors).to.deep.equal([]);
        faulty.inject({ ops: ['append'], code, partialBytes: 100, pathIncludes: '.wal' });
        const second = await saveConcurrently(storage, 41, 40);
        expect(second.errors.length).to.equal(40);
        const err = second.errors[0] as StorageError;
        expect(err).to.be.instanceOf(StorageError);
        expect(err.reason).to.equal(code === 'ENOSPC' ? 'NO_SPACE' : 'IO');
        expect(err.message).to.match(/append .*\.wal failed/);
        const later = await storage
          .save({ snapshot: undefined, entries: [entry(81, 1)], hardState: undefined })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(later).to.be.instanceOf(StorageError);
        const { entries, warnings } = await recover();
        expect(entries.map((e) => e.index)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(warnings).to.deep.equal([]);
      });
    });
  }

  context('when fdatasync fails with EIO', () => {
    it('never acknowledges the batch and recovers the acknowledged prefix', async () => {
      const faulty = new FaultyDisk(node);
      const { storage } = await RaftStorage.open(faulty, options);
      await saveConcurrently(storage, 1, 10);
      faulty.inject({ ops: ['fdatasync'], code: 'EIO', pathIncludes: '.wal' });
      const second = await saveConcurrently(storage, 11, 10);
      expect(second.acked).to.equal(0);
      expect(second.errors.length).to.equal(10);
      const { entries } = await recover();
      expect(entries.slice(0, 10).map((e) => e.index)).to.deep.equal(
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
    });
  });

  context('when the disk is slow', () => {
    it('still acknowledges everything, with more entries per fsync', async () => {
      const faulty = new FaultyDisk(node, { timers: realTimers });
      const { storage } = await RaftStorage.open(faulty, options);
      faulty.slowDown({ ops: ['fdatasync'], delayMs: 20 });
      const before = storage.wal.stats.fsyncs;
      const waves = [];
      for (let w = 0; w < 4; w++) waves.push(saveConcurrently(storage, 1 + w * 25, 25));
      const results = await Promise.all(waves);
      expect(results.flatMap((r) => r.errors)).to.deep.equal([]);
      expect(storage.wal.stats.fsyncs - before).to.be.lessThan(100);
      faulty.slowDown(undefined);
      await storage.close();
      expect((await recover()).entries.length).to.equal(100);
    });
  });
});
