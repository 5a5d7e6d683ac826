import { expect } from 'chai';
import { InvalidStorageConfigError } from '../../../server/storage/errors.js';
import {
  catchUpCompactIndex,
  ENTRY_WEIGHT_OVERHEAD,
  entryWeight,
  SnapshotSpacing,
  SNAPSHOT_POLICY_DEFAULTS,
  snapshotDue,
} from '../../../server/storage/snapshot-policy.js';

/** Applies `n` entries of `dataBytes` each. */
function applyRun(s: SnapshotSpacing, n: number, dataBytes: number): void {
  for (let i = 0; i < n; i++) s.applied(dataBytes);
}

describe('SnapshotSpacing', () => {
  it('defaults to at least 10 000 entries and a tenth of the newest snapshot between snapshots', () => {
    const s = new SnapshotSpacing();
    expect(s.snapshotCount).to.equal(SNAPSHOT_POLICY_DEFAULTS.snapshotCount);
    expect(SNAPSHOT_POLICY_DEFAULTS).to.deep.equal({ snapshotCount: 10_000, logRatio: 0.1 });
    expect(s.logRatio).to.equal(0.1);
  });

  describe('#shouldSnapshot', () => {
    it('fires every snapshotCount applied entries while the state is small', () => {
      const s = new SnapshotSpacing({ snapshotCount: 100, snapshotIndex: 50, snapshotBytes: 1000 });
      applyRun(s, 99, 10);
      expect(s.shouldSnapshot(149)).to.equal(false);
      s.applied(10);
      expect(s.shouldSnapshot(150)).to.equal(true);
      s.taken(s.mark(150), 1000);
      applyRun(s, 100, 10);
      expect(s.shouldSnapshot(249)).to.equal(false);
      expect(s.shouldSnapshot(250)).to.equal(true);
    });

    it('waits, past snapshotCount, until the log since the newest snapshot weighs logRatio × its size', () => {
      // A 1 MB state: a tenth of it is 100 000 bytes, 1000 entries of 36 + 64.
      const s = new SnapshotSpacing({ snapshotCount: 100, logRatio: 0.1, snapshotBytes: 1_000_000 });
      applyRun(s, 999, 36);
      expect(s.shouldSnapshot(999)).to.equal(false);
      s.applied(36);
      expect(s.shouldSnapshot(1000)).to.equal(true);
    });

    it('spaces snapshots in proportion to the state, so the bytes serialised per entry stay constant', () => {
      // The state grows by every entry (a put of a new key); each snapshot is as large as the
      // entries applied so far. Whatever the size, the serialised bytes per applied entry stay
      // below entryWeight / logRatio + one snapshot's worth of slack at the small end.
      const s = new SnapshotSpacing({ snapshotCount: 100, logRatio: 0.25 });
      const dataBytes = 300;
      let serialised = 0;
      let snapshots = 0;
      const perEntry: number[] = [];
      for (let index = 1; index <= 200_000; index++) {
        s.applied(dataBytes);
        if (s.shouldSnapshot(index)) {
          const bytes = index * dataBytes;
          serialised += bytes;
          snapshots++;
          s.taken(s.mark(index), bytes);
        }
        if (index % 50_000 === 0) perEntry.push(serialised / index);
      }
      const bound = (2 * entryWeight(dataBytes)) / 0.25 + 1;
      for (const p of perEntry) expect(p).to.be.below(bound);
      // Geometric spacing: far fewer snapshots than 200 000 / 100.
      expect(snapshots).to.be.below(100);
      // With the count alone (logRatio 0) the cost per entry grows with the state.
      const countOnly = new SnapshotSpacing({ snapshotCount: 100, logRatio: 0 });
      let countOnlySerialised = 0;
      for (let index = 1; index <= 200_000; index++) {
        countOnly.applied(dataBytes);
        if (countOnly.shouldSnapshot(index)) {
          countOnlySerialised += index * dataBytes;
          countOnly.taken(countOnly.mark(index), index * dataBytes);
        }
      }
      expect(countOnlySerialised / 200_000).to.be.above(100 * bound);
    });

    it('counts each entry at least ENTRY_WEIGHT_OVERHEAD bytes, so empty entries also cut snapshots', () => {
      const s = new SnapshotSpacing({
        snapshotCount: 1,
        logRatio: 1,
        snapshotBytes: 10 * ENTRY_WEIGHT_OVERHEAD,
      });
      applyRun(s, 9, 0);
      expect(s.shouldSnapshot(9)).to.equal(false);
      s.applied(0);
      expect(s.shouldSnapshot(10)).to.equal(true);
    });

    it('counts the entries applied while a snapshot was being written towards the next one', () => {
      const s = new SnapshotSpacing({ snapshotCount: 10, logRatio: 1, snapshotBytes: 0 });
      applyRun(s, 10, 36);
      expect(s.shouldSnapshot(10)).to.equal(true);
      const mark = s.mark(10);
      applyRun(s, 5, 36); // applied while the snapshot at 10 is written
      s.taken(mark, 500); // durable at index 15: 500 bytes, so 500 bytes of log are due
      expect(s.since(15)).to.deep.equal({
        appliedIndex: 15,
        snapshotIndex: 10,
        snapshotBytes: 500,
        logWeight: 500,
      });
      expect(s.shouldSnapshot(15)).to.equal(false);
      applyRun(s, 5, 36);
      expect(s.shouldSnapshot(20)).to.equal(true);
    });

    it('counts from a snapshot received from the leader, and ignores an older one of its own', () => {
      const s = new SnapshotSpacing({ snapshotCount: 10, logRatio: 1 });
      applyRun(s, 10, 36);
      const mark = s.mark(10);
      s.restored(50, 10_000);
      s.taken(mark, 100); // ours, older than the one received: no effect
      expect(s.lastSnapshotIndex).to.equal(50);
      expect(s.lastSnapshotBytes).to.equal(10_000);
      applyRun(s, 99, 36);
      expect(s.shouldSnapshot(149)).to.equal(false);
      s.applied(36);
      expect(s.shouldSnapshot(150)).to.equal(true);
    });

    context('when a snapshot was requested', () => {
      it('fires at the next applied index beyond the last snapshot, once', () => {
        const s = new SnapshotSpacing({ snapshotCount: 100 });
        s.request();
        expect(s.shouldSnapshot(0)).to.equal(false);
        expect(s.shouldSnapshot(3)).to.equal(true);
        s.taken(s.mark(3), 10);
        expect(s.shouldSnapshot(4)).to.equal(false);
      });
    });
  });

  it('rejects a non-positive snapshotCount and a negative or non-finite logRatio', () => {
    expect(() => new SnapshotSpacing({ snapshotCount: 0 })).to.throw(InvalidStorageConfigError);
    expect(() => new SnapshotSpacing({ logRatio: -0.5 })).to.throw(InvalidStorageConfigError);
    expect(() => new SnapshotSpacing({ logRatio: Number.NaN })).to.throw(InvalidStorageConfigError);
  });
});

describe('snapshotDue', () => {
  const since = (appliedIndex: number, logWeight: number): Parameters<typeof snapshotDue>[0] => ({
    appliedIndex,
    snapshotIndex: 100,
    snapshotBytes: 1000,
    logWeight,
  });
  it('needs both snapshotCount entries and logRatio × the snapshot in log weight', () => {
    expect(snapshotDue(since(109, 5000), 10, 0.5)).to.equal(false);
    expect(snapshotDue(since(110, 499), 10, 0.5)).to.equal(false);
    expect(snapshotDue(since(110, 500), 10, 0.5)).to.equal(true);
    expect(snapshotDue(since(100, 5000), 10, 0.5)).to.equal(false);
  });
  it('is the count alone with logRatio 0', () => {
    expect(snapshotDue(since(110, 0), 10, 0)).to.equal(true);
  });
});

describe('catchUpCompactIndex', () => {
  it('keeps keepEntries entries before the snapshot, counted from the new snapshot', () => {
    expect(catchUpCompactIndex(100_000, 5000)).to.equal(95_000);
    // More than one snapshot interval is kept when asked (it used to stop at the previous snapshot).
    expect(catchUpCompactIndex(100_000, 50_000)).to.equal(50_000);
    expect(catchUpCompactIndex(100, 0)).to.equal(100);
    expect(catchUpCompactIndex(100, 500)).to.equal(0);
  });
});
