/** The SDK's single-consumer stream: onTake sees each item once, when the consumer gets it. */
import { expect } from 'chai';
import { QueuedIterator } from '../../../client/queued-iterator.js';

describe('QueuedIterator', () => {
  describe('#next', () => {
    context('when items were buffered before the consumer asked', () => {
      it('calls onTake as each one is handed out, in order', async () => {
        const taken: number[] = [];
        const it = new QueuedIterator<number>(undefined, (n) => taken.push(n));
        it.push(1);
        it.push(2);
        expect(taken).to.deep.equal([]);
        expect(await it.next()).to.deep.equal({ value: 1, done: false });
        expect(taken).to.deep.equal([1]);
        expect(await it.next()).to.deep.equal({ value: 2, done: false });
        expect(taken).to.deep.equal([1, 2]);
      });
    });

    context('when the consumer is already waiting', () => {
      it('calls onTake synchronously in push, once', async () => {
        const taken: number[] = [];
        const it = new QueuedIterator<number>(undefined, (n) => taken.push(n));
        const waiting = it.next();
        it.push(7);
        expect(taken).to.deep.equal([7]);
        expect(await waiting).to.deep.equal({ value: 7, done: false });
        it.stop();
        expect(await it.next()).to.deep.equal({ value: undefined, done: true });
        expect(taken).to.deep.equal([7]);
      });
    });
  });
});
