import { expect } from 'chai';
import { InvalidStorageConfigError } from '../../../server/storage/errors.js';
import {
  catchUpCompactIndex,
  SnapshotPolicy,
  SNAPSHOT_POLICY_DEFAULTS,
  snapshotDue,
} from '../../../server/storage/snapshot-policy.js';

describe('SnapshotPolicy', () => {
  it('defaults to 10 000 entries between snapshots', () => {
    expect(new SnapshotPolicy().snapshotCount).to.equal(SNAPSHOT_POLICY_DEFAULTS.snapshotCount);
    expect(SNAPSHOT_POLICY_DEFAULTS.snapshotCount).to.equal(10_000);
  });

  describe('#shouldSnapshot', () => {
    it('fires every snapshotCount applied entries after the last snapshot', () => {
      const p = new SnapshotPolicy({ snapshotCount: 100, lastSnapshotIndex: 50 });
      expect(p.shouldSnapshot(149)).to.equal(false);
      expect(p.shouldSnapshot(150)).to.equal(true);
      p.taken(150);
      expect(p.shouldSnapshot(249)).to.equal(false);
      expect(p.shouldSnapshot(250)).to.equal(true);
    });

    context('when a snapshot was requested', () => {
      it('fires at the next applied index beyond the last snapshot, once', () => {
        const p = new SnapshotPolicy({ snapshotCount: 100 });
        p.request();
        expect(p.shouldSnapshot(0)).to.equal(false);
        expect(p.shouldSnapshot(3)).to.equal(true);
        p.taken(3);
        expect(p.shouldSnapshot(4)).to.equal(false);
      });
    });
  });

  it('rejects a non-positive snapshotCount', () => {
    expect(() => new SnapshotPolicy({ snapshotCount: 0 })).to.throw(InvalidStorageConfigError);
  });
});

describe('snapshotDue', () => {
  it('fires once snapshotCount entries are applied after the newest snapshot, not before', () => {
    expect(snapshotDue(109, 100, 10)).to.equal(false);
    expect(snapshotDue(110, 100, 10)).to.equal(true);
    expect(snapshotDue(110, 110, 10)).to.equal(false);
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
