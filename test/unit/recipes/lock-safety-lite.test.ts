import { expect } from 'chai';
import { checkLockSafety } from '../../integration/recipes/lock-safety-lite.js';

describe('checkLockSafety (lite)', () => {
  context('when holds follow each other', () => {
    it('finds nothing', () => {
      const holds = [
        { worker: 'a', token: 5, startMs: 0, endMs: 10 },
        { worker: 'b', token: 9, startMs: 11, endMs: 20 },
      ];
      const writes = [
        { token: 5, acceptedAt: 6 },
        { token: 9, acceptedAt: 10 },
      ];
      expect(checkLockSafety(holds, writes)).to.deep.equal([]);
    });
  });

  context('when two holds overlap and the stale holder wrote after the new one (known-bad)', () => {
    it('reports the overlap', () => {
      const holds = [
        { worker: 'a', token: 5, startMs: 0, endMs: 30 },
        { worker: 'b', token: 9, startMs: 11, endMs: 20 },
      ];
      const writes = [
        { token: 9, acceptedAt: 10 },
        { token: 5, acceptedAt: 12 },
      ];
      const problems = checkLockSafety(holds, writes);
      expect(problems.some((p) => p.startsWith('holds overlap'))).to.equal(true);
      expect(problems.some((p) => p.startsWith('register accepted token 5'))).to.equal(true);
    });
  });

  context('when two holds overlap but the fence rejected the stale write', () => {
    it('accepts it (the token caught it)', () => {
      const holds = [
        { worker: 'a', token: 5, startMs: 0, endMs: 30 },
        { worker: 'b', token: 9, startMs: 11, endMs: 20 },
      ];
      const writes = [
        { token: 5, acceptedAt: 3 },
        { token: 9, acceptedAt: 10 },
        { token: 5, acceptedAt: undefined },
      ];
      expect(checkLockSafety(holds, writes)).to.deep.equal([]);
    });
  });

  context('when a token is handed out twice', () => {
    it('reports it', () => {
      const holds = [
        { worker: 'a', token: 5, startMs: 0, endMs: 1 },
        { worker: 'b', token: 5, startMs: 2, endMs: 3 },
      ];
      expect(checkLockSafety(holds, [])).to.deep.equal(['token 5 held twice (a, b)']);
    });
  });
});
