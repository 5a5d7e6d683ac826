import { expect } from 'chai';
import { Inflights } from '../../../server/raft/inflights.js';
import { Progress } from '../../../server/raft/progress.js';

describe('Progress', () => {
  describe('#maybeDecrTo', () => {
    context('when probing', () => {
      it('ignores a stale rejection', () => {
        const pr = new Progress(10, 4, false);
        expect(pr.maybeDecrTo(5, 3)).to.equal(false);
        expect(pr.next).to.equal(10);
      });

      it('jumps back to the hint, never below match + 1', () => {
        const pr = new Progress(10, 4, false);
        pr.match = 2;
        expect(pr.maybeDecrTo(9, 4)).to.equal(true);
        expect(pr.next).to.equal(5);
        expect(pr.maybeDecrTo(4, 0)).to.equal(true);
        expect(pr.next).to.equal(3);
      });
    });

    context('when replicating', () => {
      it('falls back to match + 1', () => {
        const pr = new Progress(1, 4, false);
        pr.maybeUpdate(5);
        pr.becomeReplicate();
        pr.sentEntries(9, 4);
        expect(pr.maybeDecrTo(9, 0)).to.equal(true);
        expect(pr.next).to.equal(6);
      });
    });
  });

  describe('#isPaused', () => {
    it('pauses a probing follower after one append until it answers', () => {
      const pr = new Progress(1, 4, false);
      expect(pr.isPaused()).to.equal(false);
      pr.sentEntries(3, 2);
      expect(pr.isPaused()).to.equal(true);
      pr.maybeUpdate(3);
      expect(pr.isPaused()).to.equal(false);
    });

    it('pauses a replicating follower when the in-flight window is full', () => {
      const pr = new Progress(1, 2, false);
      pr.becomeReplicate();
      pr.sentEntries(1, 1);
      pr.sentEntries(2, 1);
      expect(pr.isPaused()).to.equal(true);
      pr.inflights.freeLE(1);
      expect(pr.isPaused()).to.equal(false);
    });
  });
});

describe('Inflights', () => {
  it('frees every index up to an acknowledgement', () => {
    const inf = new Inflights(5);
    for (const i of [1, 3, 5, 7]) inf.add(i);
    inf.freeLE(5);
    expect(inf.count()).to.equal(1);
    expect(inf.full()).to.equal(false);
  });
});
