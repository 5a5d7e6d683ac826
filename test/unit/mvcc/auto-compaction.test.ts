import { expect } from 'chai';
import { AutoCompactionPolicy } from '../../../server/mvcc/index.js';

describe('AutoCompactionPolicy', () => {
  describe('#maybeCompact', () => {
    context('in revision mode', () => {
      it('keeps the last N revisions, checking at most once per interval', () => {
        const p = new AutoCompactionPolicy({ mode: 'revision', retainRevisions: 100, checkIntervalMs: 1000 });
        expect(p.maybeCompact(0, 50)).to.equal(undefined);
        expect(p.maybeCompact(500, 500)).to.equal(undefined);
        expect(p.maybeCompact(1000, 500)).to.equal(400);
        p.compacted(400);
        expect(p.maybeCompact(2000, 450)).to.equal(undefined);
        expect(p.maybeCompact(3000, 650)).to.equal(550);
      });
    });

    context('in periodic mode', () => {
      it('compacts to the revision sampled a retention period ago', () => {
        const p = new AutoCompactionPolicy({ mode: 'periodic', retainMs: 1000 });
        expect(p.maybeCompact(0, 10)).to.equal(undefined);
        expect(p.maybeCompact(100, 20)).to.equal(undefined);
        expect(p.maybeCompact(999, 30)).to.equal(undefined);
        expect(p.maybeCompact(1000, 40)).to.equal(10);
        p.compacted(10);
        expect(p.maybeCompact(1100, 50)).to.equal(20);
      });
    });

    it('rejects a bad configuration at construction', () => {
      expect(() => new AutoCompactionPolicy({ mode: 'revision', retainRevisions: 0 })).to.throw(
        /retainRevisions/,
      );
      expect(() => new AutoCompactionPolicy({ mode: 'periodic', retainMs: -1 })).to.throw(/retainMs/);
    });
  });
});
