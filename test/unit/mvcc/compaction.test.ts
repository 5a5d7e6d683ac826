import { expect } from 'chai';
import { MvccStore, RECORD_OVERHEAD_BYTES } from '../../../server/mvcc/index.js';
import { ALL, enc } from './helpers.js';

/** Runs physical compaction to the end, in batches of `maxEvents`; returns the batches run. */
function drain(s: MvccStore, maxEvents?: number): number {
  let batches = 1;
  while (s.dropCompactedBatch(maxEvents)) batches++;
  return batches;
}

/** `keys` keys written `rounds` times each, one revision a put, then all deleted in one revision. */
function churned(keys: number, rounds: number): MvccStore {
  const s = new MvccStore();
  for (let r = 0; r < rounds; r++)
    for (let k = 0; k < keys; k++) s.put({ key: enc(`k${k}`), value: enc(`${r}`) });
  s.deleteRange({ key: enc('k'), rangeEnd: enc('l') });
  s.put({ key: enc('z'), value: enc('last') });
  return s;
}

function store(): MvccStore {
  const s = new MvccStore();
  s.put({ key: enc('a'), value: enc('1') }); // 2
  s.put({ key: enc('a'), value: enc('2') }); // 3
  s.put({ key: enc('b'), value: enc('1') }); // 4
  s.deleteRange({ key: enc('b') }); // 5
  s.put({ key: enc('c'), value: enc('1') }); // 6
  return s;
}

describe('MvccStore', () => {
  describe('#compact', () => {
    it('keeps reads at and above the compaction point exactly as before', () => {
      const s = store();
      const before = [4, 5, 6].map((rev) => s.range({ ...ALL, revision: rev }));
      s.compact(4);
      expect([4, 5, 6].map((rev) => s.range({ ...ALL, revision: rev }))).to.deep.equal(before);
    });

    it('fails reads below the point with COMPACTED and the compacted revision', () => {
      const s = store();
      s.compact(4);
      expect(() => s.range({ ...ALL, revision: 3 }))
        .to.throw()
        .that.includes({ code: 'COMPACTED', compactRevision: 4 });
    });

    it('refuses a point at or below the last one, and a future one', () => {
      const s = store();
      s.compact(4);
      expect(() => s.compact(4))
        .to.throw()
        .with.property('code', 'COMPACTED');
      expect(() => s.compact(7))
        .to.throw()
        .with.property('code', 'FUTURE_REVISION');
    });

    it('drops history below the point but keeps the changes at the point', () => {
      const s = store();
      s.compact(5);
      expect(s.changesAt(4)).to.equal(undefined);
      expect(s.changesAt(5)?.events[0]?.type).to.equal('delete');
    });

    it('frees the space of what no read needs any more', () => {
      const s = store();
      const record = (valueBytes: number) => 1 + valueBytes + RECORD_OVERHEAD_BYTES;
      expect(s.sizeBytes).to.equal(4 * record(1) + record(0));
      s.compact(6);
      // left: a@3 and c@6 (live), plus the history at 6 (c@6 itself)
      expect(s.sizeBytes).to.equal(2 * record(1));
      drain(s);
      expect(s.sizeBytes).to.equal(2 * record(1));
      expect(s.indexedKeyCount).to.equal(2);
    });

    it('does not change the revision', () => {
      const s = store();
      expect(s.compact(6)).to.deep.equal({ revision: 6, compactRevision: 6 });
      expect(s.currentRevision).to.equal(6);
    });
  });

  context('in two parts: logical in apply, physical in bounded batches later', () => {
    it('drops nothing in compact itself: the history waits for dropCompactedBatch', () => {
      const s = churned(10, 5); // revisions 2..51 puts, 52 deletes all, 53 puts z
      s.compact(52);
      expect(s.compactionPending).to.equal(true);
      expect(s.indexedKeyCount).to.equal(11);
      expect(s.changesAt(51)).to.equal(undefined); // logically gone at once
      expect(() => s.range({ ...ALL, revision: 51 }))
        .to.throw()
        .that.includes({ code: 'COMPACTED', compactRevision: 52 });
      drain(s);
      expect(s.compactionPending).to.equal(false);
      expect(s.indexedKeyCount).to.equal(1); // deleted at the point: no read at ≥ 52 needs them
    });

    it('bounds a batch by events, splitting a revision with more events than the bound', () => {
      const s = churned(10, 5);
      s.compact(53); // 50 one-put revisions, then one revision deleting 10 keys
      expect(drain(s, 7)).to.equal(Math.ceil(60 / 7));
    });

    it('changes nothing a read, the hash, the snapshot or the quota sees, batch by batch', () => {
      const s = churned(6, 4);
      const atOnce = churned(6, 4);
      s.compact(25); // revisions 2..25 put 6 keys 4 times, 26 deletes them, 27 puts z
      atOnce.compact(25);
      drain(atOnce);
      const reads = (t: MvccStore) =>
        [25, 26, 27].map((rev) => t.range({ ...ALL, revision: rev, sortOrder: 'descend' }));
      do {
        expect(reads(s)).to.deep.equal(reads(atOnce));
        expect(s.hash()).to.equal(atOnce.hash());
        expect(s.snapshot()).to.deep.equal(atOnce.snapshot());
        expect(s.sizeBytes).to.equal(atOnce.sizeBytes);
      } while (s.dropCompactedBatch(3));
      expect(s.indexedKeyCount).to.equal(atOnce.indexedKeyCount);
    });

    it('continues from the newest point when compacted again while dropping', () => {
      const s = churned(10, 5);
      const straight = churned(10, 5);
      s.compact(30);
      s.dropCompactedBatch(8);
      s.compact(53);
      drain(s, 8);
      straight.compact(53);
      drain(straight);
      expect(s.snapshot()).to.deep.equal(straight.snapshot());
      expect(s.indexedKeyCount).to.equal(straight.indexedKeyCount);
      expect(s.sizeBytes).to.equal(straight.sizeBytes);
    });

    it('snapshots a store caught mid-drop as fully compacted, with nothing left to drop', () => {
      const s = churned(10, 5);
      s.compact(45);
      s.dropCompactedBatch(4);
      const t = new MvccStore();
      t.restore(s.snapshot());
      expect(t.compactionPending).to.equal(false);
      expect(t.hash()).to.equal(s.hash());
      expect(t.sizeBytes).to.equal(s.sizeBytes);
      s.put({ key: enc('k1'), value: enc('after') });
      t.put({ key: enc('k1'), value: enc('after') });
      s.compact(54);
      t.compact(54);
      expect(t.sizeBytes).to.equal(s.sizeBytes);
      expect(t.snapshot()).to.deep.equal(s.snapshot());
    });
  });

  context('on a brand-new store (at revision 1, as etcd)', () => {
    it('compacts to 1; then 1 is compacted and 2 a future revision until the first write', () => {
      const s = new MvccStore();
      expect(s.compactRevision).to.equal(0);
      expect(s.compact(1)).to.deep.equal({ revision: 1, compactRevision: 1 });
      expect(s.range({ ...ALL, revision: 1 })).to.include({ revision: 1, count: 0 });
      expect(() => s.compact(1))
        .to.throw()
        .that.includes({ code: 'COMPACTED', compactRevision: 1 });
      expect(() => s.compact(2))
        .to.throw()
        .with.property('code', 'FUTURE_REVISION');
      expect(s.put({ key: enc('a'), value: enc('1') }).revision).to.equal(2);
      expect(s.compact(2)).to.deep.equal({ revision: 2, compactRevision: 2 });
      expect(() => s.range({ ...ALL, revision: 1 }))
        .to.throw()
        .that.includes({ code: 'COMPACTED', compactRevision: 2 });
    });
  });

  describe('#hash', () => {
    it('differs for different values and is stable for equal histories', () => {
      expect(store().hash()).to.equal(store().hash());
      const other = store();
      other.put({ key: enc('z'), value: enc('1') });
      expect(other.hash(6)).to.equal(store().hash(6));
      expect(other.hash()).to.not.equal(store().hash());
    });

    it('refuses a compacted revision', () => {
      const s = store();
      s.compact(5);
      expect(() => s.hash(4))
        .to.throw()
        .with.property('code', 'COMPACTED');
    });
  });
});
