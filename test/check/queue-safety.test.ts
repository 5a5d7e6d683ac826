import { expect } from 'chai';
import { Outcome } from './history.js';
import {
  checkQueue,
  describeQueueViolation,
  queueStats,
  SettleResult,
  type QueueDelivery,
  type QueueEnqueue,
  type QueueHistory,
  type QueueSettle,
} from './queue-safety.js';

const enq = (id: string, invokeMs: number, outcome: Outcome = Outcome.Ok): QueueEnqueue => ({
  id,
  value: `v-${id}`,
  producer: 0,
  invokeMs,
  completeMs: invokeMs + 5,
  outcome,
});
const del = (
  id: string,
  session: number,
  revision: number,
  completeMs: number,
  value = `v-${id}`,
): QueueDelivery => ({
  id,
  value,
  consumer: `c${session}`,
  session,
  revision,
  invokeMs: completeMs - 5,
  completeMs,
});
const settle = (
  kind: 'ack' | 'nack',
  d: QueueDelivery,
  invokeMs: number,
  result: SettleResult = SettleResult.Ok,
): QueueSettle => ({
  kind,
  id: d.id,
  session: d.session,
  deliveryRevision: d.revision,
  invokeMs,
  completeMs: invokeMs + 5,
  result,
});
const history = (h: Partial<QueueHistory>): QueueHistory => ({
  enqueues: [],
  deliveries: [],
  settles: [],
  remaining: [],
  ...h,
});
const types = (h: QueueHistory): string[] => checkQueue(h).map((v) => v.type);

describe('checkQueue', () => {
  context('when the history keeps the documented semantics', () => {
    it('accepts items each delivered once and acked', () => {
      const a = del('a', 1, 10, 20);
      const b = del('b', 2, 11, 21);
      const h = history({
        enqueues: [enq('a', 0), enq('b', 1)],
        deliveries: [a, b],
        settles: [settle('ack', a, 30), settle('ack', b, 31)],
      });
      expect(checkQueue(h)).to.deep.equal([]);
      expect(queueStats(h)).to.deep.include({ enqueuedOk: 2, itemsDelivered: 2, itemsAcked: 2 });
    });

    it('accepts a redelivery after the first consumer lost its session (no later ack under it)', () => {
      // Session 1 got `a` and was cut off past its TTL; its claim expired and session 2 got `a`.
      // Session 1's late ack returned false.
      const first = del('a', 1, 10, 20);
      const second = del('a', 2, 30, 4000);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [first, second],
        settles: [settle('ack', first, 5000, SettleResult.ClaimLost), settle('ack', second, 4010)],
      });
      expect(checkQueue(h)).to.deep.equal([]);
    });

    it('accepts a redelivery after a nack even though the session lived on', () => {
      const first = del('a', 1, 10, 20);
      const second = del('a', 1, 30, 60);
      const other = del('b', 1, 40, 70);
      const h = history({
        enqueues: [enq('a', 0), enq('b', 0)],
        deliveries: [first, second, other],
        settles: [settle('nack', first, 25), settle('ack', second, 65), settle('ack', other, 80)],
      });
      expect(checkQueue(h)).to.deep.equal([]);
    });

    it('accepts an indeterminate enqueue whether or not the item shows up', () => {
      const b = del('b', 1, 10, 20);
      const h = history({
        enqueues: [enq('a', 0, Outcome.Indeterminate), enq('b', 0, Outcome.Indeterminate)],
        deliveries: [b],
        settles: [settle('ack', b, 30)],
      });
      expect(checkQueue(h)).to.deep.equal([]);
      expect(queueStats(h).enqueuedIndeterminate).to.equal(2);
    });

    it('accepts an item whose only ack had an unknown outcome and that never came back', () => {
      const a = del('a', 1, 10, 20);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [a],
        settles: [settle('ack', a, 30, SettleResult.Unknown)],
      });
      expect(checkQueue(h)).to.deep.equal([]);
    });

    it('accepts an enqueue that failed definitely and was never seen', () => {
      expect(checkQueue(history({ enqueues: [enq('a', 0, Outcome.Fail)] }))).to.deep.equal([]);
    });
  });

  context('when an item is lost', () => {
    it('reports an acknowledged enqueue never delivered and not left in the queue', () => {
      const h = history({ enqueues: [enq('a', 0)] });
      expect(types(h)).to.deep.equal(['lost']);
      expect(describeQueueViolation(checkQueue(h)[0]!)).to.contain('never delivered');
    });

    it('reports a delivered item whose ack failed and that was never delivered again', () => {
      const a = del('a', 1, 10, 20);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [a],
        settles: [settle('ack', a, 30, SettleResult.ClaimLost)],
      });
      expect(types(h)).to.deep.equal(['lost']);
    });

    it('reports an item left in the queue after the drain', () => {
      expect(types(history({ enqueues: [enq('a', 0)], remaining: ['a'] }))).to.deep.equal(['undrained']);
    });
  });

  context('when an item was never enqueued', () => {
    it('reports a delivery of an unknown id', () => {
      const x = del('x', 1, 10, 20);
      const h = history({ deliveries: [x], settles: [settle('ack', x, 30)] });
      expect(types(h)).to.deep.equal(['phantom']);
    });

    it('reports a delivery of an item whose enqueue was reported as not applied', () => {
      const a = del('a', 1, 10, 20);
      const h = history({
        enqueues: [enq('a', 0, Outcome.Fail)],
        deliveries: [a],
        settles: [settle('ack', a, 30)],
      });
      expect(types(h)).to.deep.equal(['phantom']);
    });

    it('reports a delivery that completed before the enqueue was invoked', () => {
      const a = del('a', 1, 10, 20);
      const h = history({ enqueues: [enq('a', 50)], deliveries: [a], settles: [settle('ack', a, 60)] });
      expect(types(h)).to.deep.equal(['phantom']);
    });

    it('reports a delivery with another value than the one enqueued', () => {
      const a = del('a', 1, 10, 20, 'something else');
      const h = history({ enqueues: [enq('a', 0)], deliveries: [a], settles: [settle('ack', a, 30)] });
      expect(types(h)).to.deep.equal(['phantom']);
    });
  });

  context('when an item is delivered twice', () => {
    it('reports a delivery after a successful ack', () => {
      const first = del('a', 1, 10, 20);
      const second = del('a', 2, 40, 50);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [first, second],
        settles: [settle('ack', first, 30), settle('ack', second, 60, SettleResult.ClaimLost)],
      });
      expect(types(h)).to.include('delivered-after-ack');
    });

    it('reports two successful acks of one item', () => {
      const first = del('a', 1, 10, 20);
      const second = del('a', 2, 40, 50);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [first, second],
        settles: [settle('ack', first, 60), settle('ack', second, 61)],
      });
      expect(types(h)).to.include('acked-twice');
    });

    it('reports a redelivery while the first consumer’s session provably still held its claim', () => {
      // Session 1 got `a`; session 2 got it too at t = 50; then session 1 acked `b` successfully
      // (invoked at t = 70), so its lease was alive after the redelivery and the claim stood.
      const first = del('a', 1, 10, 20);
      const b = del('b', 1, 12, 25);
      const second = del('a', 2, 40, 50);
      const h = history({
        enqueues: [enq('a', 0), enq('b', 0)],
        deliveries: [first, b, second],
        settles: [settle('ack', second, 60), settle('ack', b, 70)],
      });
      expect(types(h)).to.deep.equal(['redelivered-while-claimed']);
      expect(describeQueueViolation(checkQueue(h)[0]!)).to.contain('while claimed');
    });

    it('reports two deliveries at one revision', () => {
      const first = del('a', 1, 10, 20);
      const second = del('a', 2, 10, 21);
      const h = history({
        enqueues: [enq('a', 0)],
        deliveries: [first, second],
        settles: [settle('ack', second, 30)],
      });
      expect(types(h)).to.include('duplicate-claim');
    });
  });

  context('when ids are reused by the workload', () => {
    it('throws (the checker relies on unique ids)', () => {
      expect(() => checkQueue(history({ enqueues: [enq('a', 0), enq('a', 1)] }))).to.throw(/unique/);
    });
  });
});
