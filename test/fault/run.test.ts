import { expect } from 'chai';
import { Verdict } from '../check/linearizability.js';
import { parseWorkloads, reportPassed, summaryLine, WORKLOADS, type FaultReport } from './run.js';

const report: FaultReport = {
  operations: 10,
  ok: 9,
  fail: 1,
  indeterminate: 0,
  faults: 3,
  faultsByKind: {},
  errors: {},
  linearizable: Verdict.Linearizable,
  checkMs: 1,
  finalKeysRead: 8,
  keys: 8,
  maxOkGapMs: 0,
  lockViolations: 0,
  lockWorkload: true,
  lockHolds: 5,
  staleWritesRejected: 0,
  semaphoreViolations: 0,
  semaphoreHolds: 4,
  semaphoreLostHolds: 0,
  semaphoreEvictions: 1,
  queueViolations: 0,
  queue: {
    enqueuedOk: 7,
    enqueuedIndeterminate: 2,
    enqueuedFail: 0,
    itemsDelivered: 8,
    deliveries: 9,
    itemsAcked: 8,
    nacks: 1,
  },
  seed: 5,
  client: 'sdk',
};

describe('fault run', () => {
  describe('#parseWorkloads', () => {
    it('parses all and comma lists in a fixed order', () => {
      expect(parseWorkloads('all')).to.deep.equal([...WORKLOADS]);
      expect(parseWorkloads('queue, register')).to.deep.equal(['register', 'queue']);
    });

    it('rejects unknown names and an empty list', () => {
      expect(() => parseWorkloads('register,queues')).to.throw(/unknown workload "queues"/);
      expect(() => parseWorkloads(',')).to.throw(/no workload/);
    });
  });

  describe('#summaryLine', () => {
    it('reports every checker and the queue items', () => {
      expect(summaryLine(report)).to.equal(
        'operations=10 ok=9 fail=1 indeterminate=0 faults=3 linearizable=yes lock-violations=0 ' +
          'semaphore-violations=0 queue-violations=0 queue-enqueued=7+2? queue-delivered=8 client=sdk seed=5',
      );
    });

    it('says n/a for workloads that did not run', () => {
      const { semaphoreViolations: _s, queueViolations: _q, queue: _qs, ...rest } = report;
      expect(summaryLine({ ...rest, lockWorkload: false })).to.contain(
        'lock-violations=n/a semaphore-violations=n/a queue-violations=n/a client=sdk',
      );
    });
  });

  describe('#reportPassed', () => {
    it('fails a report with a violation of any checker', () => {
      expect(reportPassed(report)).to.equal(true);
      expect(reportPassed({ ...report, semaphoreViolations: 1 })).to.equal(false);
      expect(reportPassed({ ...report, queueViolations: 2 })).to.equal(false);
      expect(reportPassed({ ...report, lockViolations: 1 })).to.equal(false);
      expect(reportPassed({ ...report, linearizable: Verdict.Unknown })).to.equal(false);
    });
  });
});
