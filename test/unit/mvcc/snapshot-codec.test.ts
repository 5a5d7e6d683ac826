import { expect } from 'chai';
import fc from 'fast-check';
import { MvccStore, SnapshotDecodeError } from '../../../server/mvcc/index.js';
import { ALL, enc } from './helpers.js';

function store(): MvccStore {
  const s = new MvccStore();
  s.put({ key: enc('a'), value: enc('1') });
  s.put({ key: enc('b'), value: enc('2') });
  s.deleteRange({ key: enc('a') });
  s.put({ key: enc('a'), value: enc('3') });
  s.compact(3);
  s.put({ key: enc('c'), value: enc('4') });
  return s;
}

describe('MvccStore', () => {
  describe('#restore', () => {
    it('rebuilds a store that reads, hashes and sizes like the original', () => {
      const s = store();
      const t = new MvccStore();
      t.restore(s.snapshot());
      expect(t.hash()).to.equal(s.hash());
      expect(t.sizeBytes).to.equal(s.sizeBytes);
      for (let rev = 3; rev <= 6; rev++)
        expect(t.range({ ...ALL, revision: rev })).to.deep.equal(s.range({ ...ALL, revision: rev }));
      expect(t.compactRevision).to.equal(3);
      expect(t.snapshot()).to.deep.equal(s.snapshot());
    });

    it('refuses another format version with SnapshotDecodeError', () => {
      const bytes = store().snapshot();
      bytes[4] = 99;
      expect(() => new MvccStore().restore(bytes)).to.throw(SnapshotDecodeError, /version 99/);
    });

    it('refuses format version 1 (revisions from 0), naming the version found and the one read', () => {
      const bytes = store().snapshot();
      expect(bytes[4]).to.equal(3);
      bytes[4] = 1;
      const t = new MvccStore();
      expect(() => t.restore(bytes)).to.throw(SnapshotDecodeError, /format version 1 .*reads version 2 or 3/);
      expect(t.currentRevision).to.equal(1);
    });

    it('carries a brand-new store, before and after a compaction to its initial revision 1', () => {
      for (const compact of [false, true]) {
        const s = new MvccStore();
        if (compact) s.compact(1);
        const t = new MvccStore();
        t.put({ key: enc('x'), value: enc('1') });
        t.restore(s.snapshot());
        expect(t).to.include({ currentRevision: 1, compactRevision: compact ? 1 : 0, sizeBytes: 0 });
        expect(t.range({ ...ALL, revision: 1 }).count).to.equal(0);
        expect(t.hash()).to.equal(s.hash());
        expect(t.put({ key: enc('a'), value: enc('1') }).revision).to.equal(2);
      }
    });

    context('when keys were written in any order, overwritten, deleted and compacted', () => {
      it('restores a store that reads, hashes, sizes, encodes and goes on like the original', () => {
        fc.assert(
          fc.property(
            fc.array(
              fc.tuple(fc.constantFrom('put', 'put', 'put', 'delete'), fc.integer({ min: 0, max: 1500 })),
              { minLength: 1, maxLength: 1500 },
            ),
            fc.boolean(),
            fc.nat(),
            fc.boolean(),
            (ops, inKeyOrder, compactAt, compact) => {
              const s = new MvccStore();
              const sequence = inKeyOrder ? [...ops].sort((a, b) => a[1] - b[1]) : ops;
              const keyOf = (n: number): Uint8Array => enc(`k/${String(n).padStart(4, '0')}`);
              for (const [i, [op, n]] of sequence.entries()) {
                if (op === 'put') s.put({ key: keyOf(n), value: enc(`v${i}`) });
                else s.deleteRange({ key: keyOf(n) });
              }
              if (compact) s.compact(1 + (compactAt % s.currentRevision));
              const t = new MvccStore();
              t.restore(s.snapshot());
              expect(t.hash()).to.equal(s.hash());
              expect(t.sizeBytes).to.equal(s.sizeBytes);
              expect(t.snapshot()).to.deep.equal(s.snapshot());
              const first = Math.max(1, s.compactRevision);
              for (const rev of new Set([
                first,
                Math.ceil((first + s.currentRevision) / 2),
                s.currentRevision,
              ]))
                expect(t.range({ ...ALL, revision: rev })).to.deep.equal(s.range({ ...ALL, revision: rev }));
              // Later writes land alike (in the bulk-built index as in the original).
              for (const n of [0, 700, 1500, 1501]) {
                s.put({ key: keyOf(n), value: enc('later') });
                t.put({ key: keyOf(n), value: enc('later') });
              }
              s.deleteRange({ key: keyOf(3) });
              t.deleteRange({ key: keyOf(3) });
              expect(t.hash()).to.equal(s.hash());
              expect(t.range(ALL)).to.deep.equal(s.range(ALL));
            },
          ),
          { numRuns: 40 },
        );
      });
    });

    context('when the bytes are truncated or corrupted', () => {
      it('throws SnapshotDecodeError (or restores a valid state) and never anything else', () => {
        const good = store().snapshot();
        fc.assert(
          fc.property(
            fc.nat(good.length - 1),
            fc.integer({ min: 0, max: 255 }),
            fc.boolean(),
            (at, byte, truncate) => {
              const bad = truncate ? good.slice(0, at) : good.slice();
              if (!truncate) bad[at] = byte;
              const t = new MvccStore();
              try {
                t.restore(bad);
              } catch (err) {
                expect(err).to.be.instanceOf(SnapshotDecodeError);
                expect(t.currentRevision).to.equal(1);
              }
            },
          ),
          { numRuns: 500 },
        );
      });
    });
  });
});
