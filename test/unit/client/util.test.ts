/** The SDK's small async helpers: one abort listener per signal however many subscribe. */
import { expect } from 'chai';
import { onAbort } from '../../../client/util.js';

/** A signal that counts the 'abort' listeners currently added to it. */
function countingSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let n = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, ...rest: unknown[]) => {
    if (type === 'abort') n++;
    return (add as (...args: unknown[]) => void)(type, ...rest);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, ...rest: unknown[]) => {
    if (type === 'abort') n--;
    return (remove as (...args: unknown[]) => void)(type, ...rest);
  }) as typeof signal.removeEventListener;
  return { controller, listeners: () => n };
}

describe('client util', () => {
  describe('#onAbort', () => {
    context('when many subscribe to one signal', () => {
      it('adds one listener and calls every subscriber once on abort, in order', () => {
        const { controller, listeners } = countingSignal();
        const calls: number[] = [];
        for (let i = 0; i < 50; i++) onAbort(controller.signal, () => calls.push(i));
        expect(listeners()).to.equal(1);
        controller.abort();
        controller.abort();
        expect(calls).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
      });
    });

    context('when subscribers unsubscribe', () => {
      it('skips them and removes the listener once the last one is gone', () => {
        const { controller, listeners } = countingSignal();
        const calls: string[] = [];
        const offA = onAbort(controller.signal, () => calls.push('a'));
        const offB = onAbort(controller.signal, () => calls.push('b'));
        offA();
        offA();
        expect(listeners()).to.equal(1);
        offB();
        expect(listeners()).to.equal(0);
        onAbort(controller.signal, () => calls.push('c'));
        expect(listeners()).to.equal(1);
        controller.abort();
        expect(calls).to.deep.equal(['c']);
      });
    });

    context('when the same function subscribes twice', () => {
      it('counts two subscriptions', () => {
        const { controller } = countingSignal();
        let n = 0;
        const f = (): void => void n++;
        const off = onAbort(controller.signal, f);
        onAbort(controller.signal, f);
        off();
        controller.abort();
        expect(n).to.equal(1);
      });
    });

    context('when a subscriber unsubscribes another during the abort', () => {
      it('does not call the removed one (as EventTarget does)', () => {
        const { controller } = countingSignal();
        const calls: string[] = [];
        let offB: () => void = () => undefined;
        onAbort(controller.signal, () => {
          calls.push('a');
          offB();
        });
        offB = onAbort(controller.signal, () => calls.push('b'));
        controller.abort();
        expect(calls).to.deep.equal(['a']);
      });
    });
  });
});
