import { expect } from 'chai';
import { checkLockSafety } from '../check/lock-safety.js';
import { GuardedResource, LOCK_NAME } from './lock-workload.js';

describe('GuardedResource', () => {
  describe('#write', () => {
    it('accepts equal and larger tokens and rejects a stale one', () => {
      const r = new GuardedResource();
      expect([
        r.write('a', 5),
        r.write('a', 5),
        r.write('b', 9),
        r.write('a', 5),
        r.write('c', 12),
      ]).to.deep.equal([true, true, true, false, true]);
      expect(r.rejected).to.equal(1);
      expect(r.accepted.map((w) => w.token)).to.deep.equal([5, 5, 9, 12]);
    });

    it('leaves a log the lock-safety checker accepts for fenced overlapping holds', () => {
      const r = new GuardedResource();
      r.write('a', 5);
      r.write('b', 9);
      r.write('a', 5);
      const holds = [
        { lock: LOCK_NAME, holder: 'a', acquiredMs: 0, endMs: 100, ended: 'lost' as const, token: 5 },
        { lock: LOCK_NAME, holder: 'b', acquiredMs: 50, endMs: 80, ended: 'released' as const, token: 9 },
      ];
      expect(checkLockSafety(holds, r.accepted)).to.deep.equal([]);
    });
  });
});
