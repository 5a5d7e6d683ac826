import { expect } from 'chai';
import {
  checkLockSafety,
  checkSemaphore,
  describeViolation,
  type GuardedWrite,
  type LockHold,
  type SemaphoreHold,
} from './lock-safety.js';

const hold = (
  holder: string,
  acquiredMs: number,
  endMs: number,
  token: number,
  ended: LockHold['ended'] = 'released',
): LockHold => ({
  lock: 'L',
  holder,
  acquiredMs,
  endMs,
  ended,
  token,
});
const write = (holder: string, token: number): GuardedWrite => ({ lock: 'L', holder, token });
const sem = (holder: string, acquiredMs: number, endMs: number): SemaphoreHold => ({
  semaphore: 'S',
  holder,
  acquiredMs,
  endMs,
});
const types = (vs: { type: string }[]): string[] => vs.map((v) => v.type);

describe('checkLockSafety', () => {
  context('when the log is safe', () => {
    it('accepts successive holds with increasing tokens and their writes', () => {
      const holds = [hold('a', 0, 10, 5), hold('b', 11, 20, 7), hold('a', 21, 30, 12)];
      expect(
        checkLockSafety(holds, [write('a', 5), write('a', 5), write('b', 7), write('a', 12)]),
      ).to.deep.equal([]);
    });

    it('accepts an overlap where the register rejected the stale holder', () => {
      // a was paused past its lease: it still believed it held the lock when b acquired; its late
      // write with token 5 was rejected, so only 5 then 9 were accepted.
      const holds = [hold('a', 0, 100, 5, 'lost'), hold('b', 50, 80, 9)];
      expect(checkLockSafety(holds, [write('a', 5), write('b', 9), write('b', 9)])).to.deep.equal([]);
    });

    it('accepts a hold still open at the end of the run', () => {
      expect(
        checkLockSafety([hold('a', 0, 10, 1), hold('b', 12, Infinity, 2, 'open')], [write('b', 2)]),
      ).to.deep.equal([]);
    });
  });

  context('when the log is unsafe', () => {
    it('reports overlapping holds whose writes interleaved (no fencing)', () => {
      const holds = [hold('a', 0, 100, 5), hold('b', 50, 80, 9)];
      const vs = checkLockSafety(holds, [write('a', 5), write('b', 9), write('a', 5)]);
      expect(types(vs)).to.include('unfenced-overlap');
      expect(describeViolation(vs.find((v) => v.type === 'unfenced-overlap')!)).to.contain('overlapped');
    });

    it('reports a stale token accepted by the register', () => {
      const holds = [hold('a', 0, 10, 5, 'lost'), hold('b', 11, 20, 9)];
      expect(types(checkLockSafety(holds, [write('b', 9), write('a', 5)]))).to.deep.equal([
        'stale-token-accepted',
      ]);
    });

    it('reports two holders given one token', () => {
      const vs = checkLockSafety([hold('a', 0, 10, 5), hold('b', 5, 20, 5)], []);
      expect(types(vs)).to.include('duplicate-token');
      expect(types(vs)).to.include('unfenced-overlap');
    });

    it('reports a later hold with a smaller token', () => {
      expect(types(checkLockSafety([hold('a', 0, 10, 8), hold('b', 11, 20, 3)], []))).to.deep.equal([
        'token-not-increasing',
      ]);
    });

    it('reports an accepted write whose token no hold was given', () => {
      expect(types(checkLockSafety([hold('a', 0, 10, 1)], [write('x', 77)]))).to.deep.equal([
        'write-without-hold',
      ]);
    });
  });
});

describe('checkSemaphore', () => {
  it('accepts N holders at once', () => {
    expect(checkSemaphore([sem('a', 0, 10), sem('b', 1, 10), sem('c', 2, 10)], 3)).to.deep.equal([]);
  });

  it('accepts a release and an acquire at the same instant', () => {
    expect(checkSemaphore([sem('a', 0, 10), sem('b', 10, 20)], 1)).to.deep.equal([]);
  });

  it('reports N+1 holders', () => {
    const vs = checkSemaphore([sem('a', 0, 10), sem('b', 1, 10), sem('c', 2, 10), sem('d', 5, 6)], 3);
    expect(vs).to.have.length(1);
    const v = vs[0]!;
    expect(v.type).to.equal('over-capacity');
    if (v.type === 'over-capacity') {
      expect(v.holders).to.have.members(['a', 'b', 'c', 'd']);
      expect(v.atMs).to.equal(5);
    }
  });
});
