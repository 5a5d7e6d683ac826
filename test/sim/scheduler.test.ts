import { expect } from 'chai';
import { Scheduler } from './scheduler.js';
import { Trace } from './trace.js';

describe('Scheduler', () => {
  describe('#step', () => {
    it('runs events in virtual-time order, ties in scheduling order', () => {
      const s = new Scheduler();
      const seen: string[] = [];
      s.after(5, 'x', 0, undefined, () => seen.push('b@5'));
      s.after(1, 'x', 0, undefined, () => seen.push('a@1'));
      s.after(5, 'x', 0, undefined, () => seen.push('c@5'));
      s.after(0, 'x', 0, undefined, () => seen.push('z@0'));
      while (s.step()) {
        // drain
      }
      expect(seen).to.deep.equal(['z@0', 'a@1', 'b@5', 'c@5']);
      expect(s.nowMs).to.equal(5);
      expect(s.executed).to.equal(4);
    });

    it('orders a large random batch exactly by (time, seq)', () => {
      const s = new Scheduler();
      const order: [number, number][] = [];
      let x = 12345;
      for (let i = 0; i < 2000; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const t = x % 97;
        s.after(t, 'x', 0, undefined, () => order.push([t, i]));
      }
      while (s.step()) {
        // drain
      }
      const sorted = order.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(order).to.deep.equal(sorted);
    });

    it('lets events scheduled while running land after the current time', () => {
      const s = new Scheduler();
      const seen: number[] = [];
      s.after(10, 'x', 0, undefined, () => {
        s.after(0, 'x', 0, undefined, () => seen.push(s.nowMs));
        s.after(3, 'x', 0, undefined, () => seen.push(s.nowMs));
      });
      while (s.step()) {
        // drain
      }
      expect(seen).to.deep.equal([10, 13]);
    });

    context('when an event is cancelled', () => {
      it('skips it and does not count it', () => {
        const s = new Scheduler();
        let ran = false;
        const e = s.after(1, 'x', 0, undefined, () => {
          ran = true;
        });
        s.cancel(e);
        expect(s.step()).to.equal(false);
        expect(ran).to.equal(false);
        expect(s.executed).to.equal(0);
      });
    });

    context('when the next event is after the limit', () => {
      it('leaves it queued and returns false', () => {
        const s = new Scheduler();
        s.after(50, 'x', 0, undefined, () => undefined);
        expect(s.step(49)).to.equal(false);
        expect(s.pendingCount).to.equal(1);
        expect(s.step(50)).to.equal(true);
      });
    });
  });

  describe('#after', () => {
    it('rejects a negative delay', () => {
      expect(() => new Scheduler().after(-1, 'x', 0, undefined, () => undefined)).to.throw(/bad delay/);
    });
  });

  it('records executed events in the trace, oldest first, keeping the last ones', () => {
    const trace = new Trace(3);
    const s = new Scheduler(trace);
    for (let i = 1; i <= 5; i++) s.after(i, `e${i}`, i, `event ${i}`, () => undefined);
    while (s.step()) {
      // drain
    }
    const lines = trace.render();
    expect(lines).to.have.length(3);
    expect(lines[0]).to.match(/e3\s+n3 event 3$/);
    expect(lines[2]).to.match(/e5\s+n5 event 5$/);
  });
});
