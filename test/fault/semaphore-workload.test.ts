import { expect } from 'chai';
import { checkSemaphore, type SemaphoreHold } from '../check/lock-safety.js';
import { conservativeHolds, SEMAPHORE_NAME, type SemaphoreEviction } from './semaphore-workload.js';

const hold = (holder: string, acquiredMs: number, endMs: number): SemaphoreHold => ({
  semaphore: SEMAPHORE_NAME,
  holder,
  acquiredMs,
  endMs,
});
const evict = (holder: string, invokeMs: number, completeMs: number): SemaphoreEviction => ({
  holder,
  invokeMs,
  completeMs,
});

describe('conservativeHolds', () => {
  context('when an operator released a holder that learned of it later', () => {
    it('ends the hold when the operator release was invoked', () => {
      // a's signal fired at 90, but the operator's release began at 40: from 40 on the record may
      // no longer count a, and b legitimately took the slot at 60.
      const holds = [hold('a', 0, 90), hold('b', 60, 100)];
      expect(checkSemaphore(holds, 1)).to.have.length(1);
      const cut = conservativeHolds(holds, [evict('a', 40, 50)]);
      expect(cut).to.deep.equal([hold('a', 0, 40), hold('b', 60, 100)]);
      expect(checkSemaphore(cut, 1)).to.deep.equal([]);
    });
  });

  context('when the release was still in flight as a new hold of the same identity began', () => {
    it('drops the new hold (the late release may remove it at any moment)', () => {
      expect(conservativeHolds([hold('a', 100, 200)], [evict('a', 50, Infinity)])).to.deep.equal([]);
      expect(conservativeHolds([hold('a', 100, 200)], [evict('a', 50, 120)])).to.deep.equal([]);
    });
  });

  context('when the release is unrelated', () => {
    it('keeps holds of other identities, and holds that began after the release completed', () => {
      const holds = [hold('a', 100, 200), hold('b', 0, 300)];
      expect(conservativeHolds(holds, [evict('a', 50, 90), evict('c', 0, Infinity)])).to.deep.equal(holds);
    });

    it('still lets the checker find N+1 holders that no release explains', () => {
      const holds = [hold('a', 0, 100), hold('b', 10, 100), hold('c', 20, 100)];
      const cut = conservativeHolds(holds, [evict('a', 150, 160)]);
      expect(checkSemaphore(cut, 2).map((v) => v.type)).to.deep.equal(['over-capacity']);
    });
  });
});
