import { expect } from 'chai';
import { AssertionError } from '../../../server/assert.js';
import { RaftLog } from '../../../server/raft/raft-log.js';
import { emptySnapshot, entry } from '../../raft/network.js';

const conf = { voters: [1, 2, 3], learners: [] };

function log(terms: number[], committed = 0): RaftLog {
  return new RaftLog(
    emptySnapshot(conf),
    terms.map((t, i) => entry(t, i + 1)),
    committed,
    0,
  );
}

describe('RaftLog', () => {
  describe('#maybeAppend', () => {
    it('refuses entries whose previous index and term do not match', () => {
      const l = log([1, 1, 2]);
      expect(l.maybeAppend(3, 1, 0, [entry(3, 4)])).to.equal(undefined);
      expect(l.lastIndex()).to.equal(3);
    });

    it('truncates a conflicting suffix and marks it unstable again', () => {
      const l = log([1, 1, 2, 2]);
      expect(l.stabled).to.equal(4);
      expect(l.maybeAppend(2, 1, 0, [entry(3, 3)])).to.equal(3);
      expect(l.lastIndex()).to.equal(3);
      expect(l.term(3)).to.equal(3);
      expect(l.stabled).to.equal(2);
      expect(l.unstableEntries().map((e) => e.index)).to.deep.equal([3]);
    });

    it('keeps entries that already match (a duplicated append changes nothing)', () => {
      const l = log([1, 1, 2, 2]);
      expect(l.maybeAppend(1, 1, 0, [entry(1, 2)])).to.equal(2);
      expect(l.lastIndex()).to.equal(4);
      expect(l.stabled).to.equal(4);
    });

    it('moves commit only up to the last new entry', () => {
      const l = log([1, 1, 2, 2]);
      l.maybeAppend(1, 1, 10, [entry(1, 2)]);
      expect(l.committed).to.equal(2);
    });

    it('refuses to truncate committed entries', () => {
      const l = log([1, 1, 2], 3);
      expect(() => l.maybeAppend(1, 1, 3, [entry(5, 2)])).to.throw(AssertionError);
    });
  });

  describe('#findConflictByTerm', () => {
    it('skips back over every entry of a newer term', () => {
      const l = log([1, 1, 4, 4, 4, 5, 5]);
      expect(l.findConflictByTerm(7, 4)).to.equal(5);
      expect(l.findConflictByTerm(7, 3)).to.equal(2);
      expect(l.findConflictByTerm(7, 0)).to.equal(0);
    });
  });

  describe('#isUpToDate', () => {
    it('compares last term first, then length (§5.4.1)', () => {
      const l = log([1, 2, 2]);
      expect(l.isUpToDate(1, 3)).to.equal(true);
      expect(l.isUpToDate(3, 2)).to.equal(true);
      expect(l.isUpToDate(2, 2)).to.equal(false);
      expect(l.isUpToDate(10, 1)).to.equal(false);
    });
  });

  describe('#compact', () => {
    it('drops applied entries and keeps the term of the compaction point', () => {
      const l = log([1, 1, 2, 2], 4);
      l.appliedTo(3);
      l.compact({ metadata: { index: 3, term: 2, confState: conf }, data: new Uint8Array(0) });
      expect(l.firstIndex()).to.equal(4);
      expect(l.term(3)).to.equal(2);
      expect(l.term(2)).to.equal(undefined);
      expect(l.slice(2, 4)).to.equal(undefined);
    });

    it('keeps catch-up entries after the snapshot when asked to compact lower', () => {
      const l = log([1, 1, 2, 2, 3], 5);
      l.appliedTo(5);
      l.compact({ metadata: { index: 5, term: 3, confState: conf }, data: new Uint8Array(0) }, 2);
      expect(l.firstIndex()).to.equal(3);
      expect(l.term(2)).to.equal(1);
      expect(l.slice(3, 6)?.map((e) => e.index)).to.deep.equal([3, 4, 5]);
      expect(l.snapshot.metadata.index).to.equal(5);
    });

    it('refuses to compact beyond the applied index', () => {
      const l = log([1, 1, 2, 2], 4);
      expect(() =>
        l.compact({ metadata: { index: 3, term: 2, confState: conf }, data: new Uint8Array(0) }),
      ).to.throw(AssertionError);
    });
  });
});
