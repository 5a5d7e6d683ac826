import { expect } from 'chai';
import { MvccStore, RECORD_OVERHEAD_BYTES } from '../../../server/mvcc/index.js';
import { ALL, enc } from './helpers.js';

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
      expect(s.indexedKeyCount).to.equal(2);
    });

    it('does not change the revision', () => {
      const s = store();
      expect(s.compact(6)).to.deep.equal({ revision: 6, compactRevision: 6 });
      expect(s.currentRevision).to.equal(6);
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
