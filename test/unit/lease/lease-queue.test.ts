import { expect } from 'chai';
import fc from 'fast-check';
import { LeaseQueue } from '../../../server/lease/index.js';

describe('LeaseQueue', () => {
  describe('#pop', () => {
    it('pops deadlines in (atMs, id) order', () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(50))), (items) => {
          const q = new LeaseQueue();
          for (const [atMs, id] of items) q.push({ atMs, id });
          const out: [number, number][] = [];
          for (let d = q.pop(); d !== undefined; d = q.pop()) out.push([d.atMs, d.id]);
          expect(out).to.deep.equal([...items].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
        }),
      );
    });

    it('keeps the order past its initial capacity, with duplicates and interleaved pops', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(20), fc.nat(20), fc.boolean()), { minLength: 30, maxLength: 200 }),
          (ops) => {
            const q = new LeaseQueue();
            const model: [number, number][] = [];
            const order = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
            for (const [atMs, id, popToo] of ops) {
              q.push({ atMs, id });
              model.push([atMs, id]);
              if (popToo) {
                model.sort(order);
                const [want] = model.splice(0, 1);
                const got = q.pop();
                expect(got === undefined ? undefined : [got.atMs, got.id]).to.deep.equal(want);
              }
              expect(q.length).to.equal(model.length);
            }
            model.sort(order);
            const out: [number, number][] = [];
            for (let d = q.pop(); d !== undefined; d = q.pop()) out.push([d.atMs, d.id]);
            expect(out).to.deep.equal(model);
          },
        ),
      );
    });
  });
});
