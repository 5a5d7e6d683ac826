import { expect } from 'chai';
import fc from 'fast-check';
import { SeededRandom, type Random } from '../../../server/platform/random.js';
import { Backoff } from '../../../server/transport/backoff.js';

const fixed = (value: number): Random => ({ float: () => value, int: (n) => Math.floor(value * n) });

describe('Backoff', () => {
  describe('#next', () => {
    context('without jitter (random = 0)', () => {
      it('doubles from the minimum up to the cap', () => {
        const b = new Backoff(100, 1_000, fixed(0));
        expect(Array.from({ length: 7 }, () => b.next())).to.deep.equal([
          100, 200, 400, 800, 1000, 1000, 1000,
        ]);
      });
    });

    context('with maximal jitter (random → 1)', () => {
      it('takes up to half off but never goes below the minimum', () => {
        const b = new Backoff(100, 1_000, fixed(0.999999));
        expect(Array.from({ length: 5 }, () => b.next())).to.deep.equal([100, 101, 201, 401, 501]);
      });
    });

    it('stays within [max(min, base/2), base] for any seed (property)', () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.integer({ min: 1, max: 1_000 }),
          fc.integer({ min: 1, max: 100 }),
          (seed, minMs, factor) => {
            const maxMs = minMs * factor;
            const b = new Backoff(minMs, maxMs, new SeededRandom(seed));
            for (let k = 0; k < 70; k++) {
              const base = Math.min(maxMs, minMs * 2 ** k);
              const d = b.next();
              expect(d).to.be.within(Math.max(minMs, Math.floor(base / 2)), base);
              expect(Number.isInteger(d)).to.equal(true);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  describe('#reset', () => {
    it('starts again from the minimum', () => {
      const b = new Backoff(10, 10_000, fixed(0));
      b.next();
      b.next();
      b.next();
      expect(b.consecutiveFailures).to.equal(3);
      b.reset();
      expect(b.next()).to.equal(10);
    });
  });
});
