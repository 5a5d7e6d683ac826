import { expect } from 'chai';
import { MvccStore, RECORD_OVERHEAD_BYTES } from '../../../server/mvcc/index.js';
import { ALL, enc } from './helpers.js';

function store(): MvccStore {
  const s = new MvccStore();
  s.put({ key: enc('a'), value: enc('1') }); // 1
  s.put({ key: enc('a'), value: enc('2') }); // 2
  s.put({ key: enc('b'), value: enc('1') }); // 3
  s.deleteRange({ key: enc('b') }); // 4
  s.put({ key: enc('c'), value: enc('1') }); // 5
  return s;
}

describe('MvccStore', () => {
  describe('#compact', () => {
    it('keeps reads at and above the compaction point exactly as before', () => {
      const s = store();
      const before = [3, 4, 5].map((rev) => s.range({ ...ALL, revision: rev }));
      s.compact(3);
      expect([3, 4, 5].map((rev) => s.range({ ...ALL, revision: rev }))).to.deep.equal(before);
    });

    it('fails reads below the point with COMPACTED and the compacted revision', () => {
      const s = store();
      s.compact(3);
      expect(() => s.range({ ...ALL, revision: 2 }))
        .to.throw()
        .that.includes({ code: 'COMPACTED', compactRevision: 3 });
    });

    it('refuses a point at or below the last one, and a future one', () => {
      const s = store();
      s.compact(3);
      expect(() => s.compact(3))
        .to.throw()
        .with.property('code', 'COMPACTED');
      expect(() => s.compact(6))
        .to.throw()
        .with.property('code', 'FUTURE_REVISION');
    });

    it('drops history below the point but keeps the changes at the point', () => {
      const s = store();
      s.compact(4);
      expect(s.changesAt(3)).to.equal(undefined);
      expect(s.changesAt(4)?.events[0]?.type).to.equal('delete');
    });

    it('frees the space of what no read needs any more', () => {
      const s = store();
      const record = (valueBytes: number) => 1 + valueBytes + RECORD_OVERHEAD_BYTES;
      expect(s.sizeBytes).to.equal(4 * record(1) + record(0));
      s.compact(5);
      // left: a@2 and c@5 (live), plus the history at 5 (c@5 itself)
      expect(s.sizeBytes).to.equal(2 * record(1));
      expect(s.indexedKeyCount).to.equal(2);
    });

    it('does not change the revision', () => {
      const s = store();
      expect(s.compact(5)).to.deep.equal({ revision: 5, compactRevision: 5 });
      expect(s.currentRevision).to.equal(5);
    });
  });

  describe('#hash', () => {
    it('differs for different values and is stable for equal histories', () => {
      expect(store().hash()).to.equal(store().hash());
      const other = store();
      other.put({ key: enc('z'), value: enc('1') });
      expect(other.hash(5)).to.equal(store().hash(5));
      expect(other.hash()).to.not.equal(store().hash());
    });

    it('refuses a compacted revision', () => {
      const s = store();
      s.compact(4);
      expect(() => s.hash(3))
        .to.throw()
        .with.property('code', 'COMPACTED');
    });
  });
});
