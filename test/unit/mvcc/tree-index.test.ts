import { expect } from 'chai';
import fc from 'fast-check';
import { TreeIndex } from '../../../server/mvcc/tree-index.js';

function scanAll<V>(t: TreeIndex<V>, start: string, end: string | undefined): [string, V][] {
  const out: [string, V][] = [];
  t.scan(start, end, (k, v) => {
    out.push([k, v]);
    return true;
  });
  return out;
}

const keysOf = <V>(pairs: [string, V][]): string[] => pairs.map(([k]) => k);

describe('TreeIndex', () => {
  describe('#scan', () => {
    it('visits keys with their values in byte order within [start, end)', () => {
      const t = new TreeIndex<number>();
      for (const [i, k] of ['b', 'a', '\xff', 'ab', '\x00'].entries()) t.set(k, i);
      expect(scanAll(t, '', undefined)).to.deep.equal([
        ['\x00', 4],
        ['a', 1],
        ['ab', 3],
        ['b', 0],
        ['\xff', 2],
      ]);
      expect(keysOf(scanAll(t, 'a', 'b'))).to.deep.equal(['a', 'ab']);
      expect(keysOf(scanAll(t, 'b', 'a'))).to.deep.equal([]);
      expect(keysOf(scanAll(t, '\xff\xff', undefined))).to.deep.equal([]);
    });

    it('stops when the visitor returns false', () => {
      const t = new TreeIndex<number>();
      for (let i = 0; i < 2000; i++) t.set(String(i).padStart(5, '0'), i);
      let seen = 0;
      t.scan('00100', undefined, () => ++seen < 3);
      expect(seen).to.equal(3);
    });
  });

  describe('#set', () => {
    it('replaces the value of a present key without inserting it again', () => {
      const t = new TreeIndex<string>();
      t.set('k', 'a');
      t.set('k', 'b');
      expect(t.size).to.equal(1);
      expect(t.get('k')).to.equal('b');
      expect([...t.values()]).to.deep.equal(['b']);
    });

    it('keeps every key when appended in key order past many leaves', () => {
      const t = new TreeIndex<number>();
      const n = 5000;
      for (let i = 0; i < n; i++) t.set(String(i).padStart(5, '0'), i);
      expect(t.size).to.equal(n);
      expect([...t.values()]).to.deep.equal(Array.from({ length: n }, (_, i) => i));
      // and inserts between full leaves still land in order
      t.set('00511x', -1);
      expect(keysOf(scanAll(t, '00511', '00513'))).to.deep.equal(['00511', '00511x', '00512']);
    });
  });

  describe('#appendPastEnd', () => {
    /** The tree's leaves and directory (private): a bulk build must make the very same shape. */
    const shapeOf = <V>(t: TreeIndex<V>): unknown => {
      const inner = t as unknown as { leafKeys: string[][]; leafVals: V[][]; lasts: string[] };
      return { leafKeys: inner.leafKeys, leafVals: inner.leafVals, lasts: inner.lasts, size: t.size };
    };

    it('builds the same leaves as inserts in key order, at and around the leaf boundaries', () => {
      // LEAF is 256: a leaf holds up to 512 keys.
      for (const n of [0, 1, 2, 255, 256, 511, 512, 513, 1023, 1024, 1025, 1536, 1537, 3000]) {
        const keys = Array.from({ length: n }, (_, i) => String(i).padStart(5, '0'));
        const bulk = new TreeIndex<number>();
        const inserted = new TreeIndex<number>();
        keys.forEach((k, i) => {
          expect(bulk.appendPastEnd(k, i)).to.equal(true);
          inserted.set(k, i);
        });
        expect(shapeOf(bulk), `${n} keys`).to.deep.equal(shapeOf(inserted));
        expect(bulk.lastKey).to.equal(keys[n - 1]);
      }
    });

    it('refuses a key that is not past the last one, changing nothing', () => {
      const t = new TreeIndex<number>();
      for (const k of ['b', 'd']) t.appendPastEnd(k, 0);
      const before = JSON.stringify(shapeOf(t));
      expect(t.appendPastEnd('d', 1)).to.equal(false);
      expect(t.appendPastEnd('c', 1)).to.equal(false);
      expect(t.appendPastEnd('a', 1)).to.equal(false);
      expect(JSON.stringify(shapeOf(t))).to.equal(before);
      expect(t.get('d')).to.equal(0);
      expect(t.appendPastEnd('d\x00', 2)).to.equal(true);
    });

    context('when random key sets are built in bulk or by inserts', () => {
      it('gives equal trees that go on to answer alike under further inserts and removals', () => {
        fc.assert(
          fc.property(
            fc.uniqueArray(fc.string({ unit: 'binary-ascii', maxLength: 6 }), { maxLength: 2500 }),
            fc.array(fc.tuple(fc.boolean(), fc.string({ unit: 'binary-ascii', maxLength: 6 })), {
              maxLength: 300,
            }),
            (raw, later) => {
              const keys = [...raw].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
              const bulk = new TreeIndex<number>();
              const inserted = new TreeIndex<number>();
              // Inserts in random order end with the same keys but may split leaves elsewhere;
              // inserts in key order are what a bulk build must equal exactly.
              keys.forEach((k, i) => {
                expect(bulk.appendPastEnd(k, i)).to.equal(true);
                inserted.set(k, i);
              });
              expect(shapeOf(bulk)).to.deep.equal(shapeOf(inserted));
              for (const [step, [add, k]] of later.entries()) {
                if (add) {
                  bulk.set(k, -step);
                  inserted.set(k, -step);
                } else {
                  expect(bulk.delete(k)).to.equal(inserted.delete(k));
                }
                expect(bulk.get(k)).to.equal(inserted.get(k));
              }
              expect(shapeOf(bulk)).to.deep.equal(shapeOf(inserted));
              expect(scanAll(bulk, '', undefined)).to.deep.equal(scanAll(inserted, '', undefined));
            },
          ),
          { numRuns: 60 },
        );
      });
    });
  });

  describe('the lookup cache', () => {
    it('answers for the tree as it is after inserts and removals of other keys', () => {
      const t = new TreeIndex<number>();
      for (let i = 0; i < 1100; i += 2) t.set(String(i).padStart(4, '0'), i);
      expect(t.get('0500')).to.equal(500);
      expect(t.get('0501')).to.equal(undefined);
      t.set('0499', 499); // shifts '0500' within its leaf
      expect(t.get('0500')).to.equal(500);
      t.delete('0498');
      expect(t.get('0500')).to.equal(500);
      expect(t.get('0501')).to.equal(undefined);
      t.set('0501', 501);
      expect(t.get('0501')).to.equal(501);
      expect(t.has('0498')).to.equal(false);
    });
  });

  context('when many keys are set and deleted (leaves split and empty)', () => {
    it('agrees with a sorted Map', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), {
            minLength: 100,
            maxLength: 4000,
          }),
          fc.boolean(),
          (ops, sorted) => {
            const t = new TreeIndex<number>();
            const model = new Map<string, number>();
            const sequence = sorted ? [...ops].sort((a, b) => a[1] - b[1]) : ops;
            for (const [step, [add, n]] of sequence.entries()) {
              const k = String(n).padStart(4, '0');
              if (add) {
                t.set(k, step);
                model.set(k, step);
              } else {
                expect(t.delete(k)).to.equal(model.has(k));
                model.delete(k);
              }
              expect(t.get(k)).to.equal(model.get(k));
            }
            const expected = [...model].sort((a, b) => (a[0] < b[0] ? -1 : 1));
            expect(t.size).to.equal(model.size);
            expect(scanAll(t, '', undefined)).to.deep.equal(expected);
            expect(scanAll(t, '1000', '2000')).to.deep.equal(
              expected.filter(([k]) => k >= '1000' && k < '2000'),
            );
            expect([...t.values()]).to.deep.equal(expected.map(([, v]) => v));
            for (const k of ['0000', '1500', '2999', '3001']) {
              expect(t.has(k)).to.equal(model.has(k));
              expect(t.get(k)).to.equal(model.get(k));
            }
          },
        ),
        { numRuns: 50 },
      );
    });
  });
});
