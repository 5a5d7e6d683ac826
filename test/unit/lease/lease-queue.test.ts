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
  });
});
