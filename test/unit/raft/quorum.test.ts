import { expect } from 'chai';
import fc from 'fast-check';
import { committedIndex, quorumSize, voteResult } from '../../../server/raft/quorum.js';

/** The obviously-correct definition: the largest index that at least a majority stores. */
function naiveCommitted(matches: readonly number[]): number {
  let best = 0;
  for (const candidate of matches) {
    const holders = matches.filter((m) => m >= candidate).length;
    if (holders >= Math.floor(matches.length / 2) + 1 && candidate > best) best = candidate;
  }
  return best;
}

describe('quorum', () => {
  describe('#quorumSize', () => {
    it('is a strict majority', () => {
      expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).to.deep.equal([1, 2, 2, 3, 3, 4, 4]);
    });
  });

  describe('#committedIndex', () => {
    it('agrees with the naive majority definition on random inputs', () => {
      fc.assert(
        fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 7 }), (matches) => {
          const voters = matches.map((_, i) => i + 1);
          expect(committedIndex(voters, (id) => matches[id - 1]!)).to.equal(naiveCommitted(matches));
        }),
        { numRuns: 500 },
      );
    });

    it('commits nothing with no voters', () => {
      expect(committedIndex([], () => 5)).to.equal(0);
    });
  });

  describe('#voteResult', () => {
    it('is won with a majority, pending while one is possible, lost otherwise', () => {
      const voters = [1, 2, 3];
      expect(voteResult(voters, new Map([[1, true]]))).to.equal('pending');
      expect(
        voteResult(
          voters,
          new Map([
            [1, true],
            [2, true],
          ]),
        ),
      ).to.equal('won');
      expect(
        voteResult(
          voters,
          new Map([
            [1, true],
            [2, false],
            [3, false],
          ]),
        ),
      ).to.equal('lost');
      expect(
        voteResult(
          voters,
          new Map([
            [2, false],
            [3, false],
          ]),
        ),
      ).to.equal('lost');
    });

    it('ignores votes from non-voters', () => {
      expect(
        voteResult(
          [1, 2, 3],
          new Map([
            [1, true],
            [9, true],
          ]),
        ),
      ).to.equal('pending');
    });
  });
});
