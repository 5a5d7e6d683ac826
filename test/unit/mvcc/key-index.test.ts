import { expect } from 'chai';
import { KeyIndex } from '../../../server/mvcc/key-index.js';
import { StoredKeyValue as KeyValue } from '../../../server/mvcc/kv-types.js';

const key = 'k';
const kv = (mod: number, create: number, version: number): KeyValue =>
  new KeyValue(key, create, mod, version, `v${mod}`, 0);

/** The worked example of key-index.ts: put @1, @2, delete @3, put @5, @6. */
function example(): KeyIndex {
  const ki = new KeyIndex(key);
  ki.put(kv(1, 1, 1));
  ki.put(kv(2, 1, 2));
  ki.tombstone(3);
  ki.put(kv(5, 5, 1));
  ki.put(kv(6, 5, 2));
  return ki;
}

describe('KeyIndex', () => {
  describe('#at', () => {
    it('returns the entry visible at each revision of the worked example', () => {
      const ki = example();
      expect(ki.at(0)).to.equal(undefined);
      expect(ki.at(1)?.modRevision).to.equal(1);
      expect(ki.at(2)?.modRevision).to.equal(2);
      expect(ki.at(3)).to.equal(undefined);
      expect(ki.at(4)).to.equal(undefined);
      expect(ki.at(5)?.modRevision).to.equal(5);
      expect(ki.at(99)?.modRevision).to.equal(6);
      expect(ki.describe()).to.equal('{@1 @2 x@3} {@5 @6}');
    });
  });

  describe('#compact', () => {
    it('drops the generation closed at or below the compaction point', () => {
      const ki = example();
      const removed: KeyValue[] = [];
      expect(ki.compact(4, removed)).to.equal(false);
      expect(ki.describe()).to.equal('{@5 @6}');
      expect(removed.map((r) => r.modRevision)).to.deep.equal([1, 2]);
    });

    it('keeps the latest entry at or below the point of a live generation', () => {
      const ki = example();
      ki.compact(6, []);
      expect(ki.describe()).to.equal('{@6}');
      expect(ki.at(6)?.modRevision).to.equal(6);
    });

    it('keeps an entry below the point when its generation is closed above it', () => {
      const ki = example();
      ki.compact(2, []);
      expect(ki.describe()).to.equal('{@2 x@3} {@5 @6}');
    });

    context('when the key was deleted at or below the point', () => {
      it('reports the key empty', () => {
        const ki = new KeyIndex(key);
        ki.put(kv(1, 1, 1));
        ki.tombstone(2);
        expect(ki.compact(2, [])).to.equal(true);
      });
    });
  });

  describe('#put', () => {
    it('refuses a revision that does not increase (an invariant)', () => {
      const ki = example();
      expect(() => ki.put(kv(6, 5, 3))).to.throw(/key-index/);
    });
  });

  describe('when it shrinks to one entry and grows again', () => {
    it('answers every revision as with an array of entries, past the short-array limit', () => {
      const ki = new KeyIndex(key);
      ki.put(kv(1, 1, 1));
      expect(ki.compact(1)).to.equal(false);
      expect(ki.describe()).to.equal('{@1}');
      for (let r = 2; r <= 12; r++) ki.put(kv(r, 1, r));
      expect(ki.describe()).to.equal(`{${[...Array(12).keys()].map((i) => `@${i + 1}`).join(' ')}}`);
      for (let r = 1; r <= 12; r++) expect(ki.at(r)?.modRevision).to.equal(r);
      const removed: KeyValue[] = [];
      ki.compact(12, removed);
      expect(removed.map((e) => e.modRevision)).to.deep.equal([...Array(11).keys()].map((i) => i + 1));
      expect(ki.describe()).to.equal('{@12}');
      expect(ki.at(11)).to.equal(undefined);
      expect(ki.latest()?.modRevision).to.equal(12);
      ki.tombstone(13);
      expect(ki.latest()).to.equal(undefined);
      expect(ki.at(12)?.modRevision).to.equal(12);
      expect(ki.compact(13)).to.equal(true);
      expect(ki.isEmpty()).to.equal(true);
    });
  });
});
