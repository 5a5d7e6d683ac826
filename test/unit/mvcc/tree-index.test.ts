import { expect } from 'chai';
import fc from 'fast-check';
import { TreeIndex } from '../../../server/mvcc/tree-index.js';

function scanAll(t: TreeIndex, start: string, end: string | undefined): string[] {
  const out: string[] = [];
  t.scan(start, end, (k) => {
    out.push(k);
    return true;
  });
  return out;
}

describe('TreeIndex', () => {
  describe('#scan', () => {
    it('visits keys in byte order within [start, end)', () => {
      const t = new TreeIndex();
      for (const k of ['b', 'a', '\xff', 'ab', '\x00']) t.insert(k);
      expect(scanAll(t, '', undefined)).to.deep.equal(['\x00', 'a', 'ab', 'b', '\xff']);
      expect(scanAll(t, 'a', 'b')).to.deep.equal(['a', 'ab']);
      expect(scanAll(t, 'b', 'a')).to.deep.equal([]);
    });

    it('stops when the visitor returns false', () => {
      const t = new TreeIndex();
      for (let i = 0; i < 2000; i++) t.insert(String(i).padStart(5, '0'));
      let seen = 0;
      t.scan('00100', undefined, () => ++seen < 3);
      expect(seen).to.equal(3);
    });
  });

  context('when many keys are inserted and removed (leaves split and empty)', () => {
    it('agrees with a sorted set', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 3000 })), {
            minLength: 100,
            maxLength: 4000,
          }),
          (ops) => {
            const t = new TreeIndex();
            const model = new Set<string>();
            for (const [add, n] of ops) {
              const k = String(n).padStart(4, '0');
              if (add) expect(t.insert(k)).to.equal(!model.has(k));
              else expect(t.remove(k)).to.equal(model.has(k));
              if (add) model.add(k);
              else model.delete(k);
            }
            expect(t.size).to.equal(model.size);
            expect(scanAll(t, '', undefined)).to.deep.equal([...model].sort());
            expect(scanAll(t, '1000', '2000')).to.deep.equal(
              [...model].sort().filter((k) => k >= '1000' && k < '2000'),
            );
            for (const k of ['0000', '1500', '2999']) expect(t.has(k)).to.equal(model.has(k));
          },
        ),
        { numRuns: 50 },
      );
    });
  });
});
