import { expect } from 'chai';
import { CanonicalHistory } from './history-canonical.js';
import { checkWatches } from './watch-delivery.js';
import { acked, del, put, violationOf, watch } from './history-fixtures.js';
import { Invariant } from './violation.js';
import type { AckedWrite, WatchRecord } from '../clients/record.js';

function judge(watches: WatchRecord[], writes: AckedWrite[] = []): void {
  checkWatches(watches, CanonicalHistory.build(watches, writes));
}

const txnBoth = acked(
  5,
  { type: 'put', key: 'c/pair/0', value: 'v1', lease: 0 },
  { type: 'put', key: 'c/pair/1', value: 'v2', lease: 0 },
);

describe('sim checkers: watch delivery', () => {
  it('passes watches that agree with each other and with the acknowledged writes', () => {
    const events = [put('c/a', '1', 2), put('c/pair/0', 'v1', 5), put('c/pair/1', 'v2', 5), del('c/a', 6)];
    const stats = checkWatches(
      [watch('c/', 'c0', 1, 6, events), watch('c/pair/0', '', 3, 7, [events[1]!])],
      CanonicalHistory.build(
        [watch('c/', 'c0', 1, 6, events), watch('c/pair/0', '', 3, 7, [events[1]!])],
        [txnBoth],
      ),
    );
    expect(stats.events).to.equal(5);
  });

  it("catches a txn's second write missing from a watch (skipTxnSecondWatchEvent)", () => {
    const v = violationOf(() => judge([watch('c/', 'c0', 1, 5, [put('c/pair/0', 'v1', 5)])], [txnBoth]));
    expect(v.invariant).to.equal(Invariant.WatchDelivery);
    expect(v.message).to.contain('skipped put c/pair/1=v2@5');
  });

  it('catches a watch that skipped what another watch of the key delivered', () => {
    const v = violationOf(() =>
      judge([watch('c/', 'c0', 1, 4, [put('c/a', '1', 3)]), watch('c/a', '', 2, 9, [put('c/a', '2', 8)])]),
    );
    expect(v.message).to.contain('skipped put c/a=1@3');
  });

  it('catches watchers that disagree on a revision', () => {
    const v = violationOf(() =>
      judge([watch('c/', 'c0', 1, 4, [put('c/a', '1', 3)]), watch('c/a', '', 1, 4, [put('c/a', 'x', 3)])]),
    );
    expect(v.message).to.contain('disagree on c/a');
  });

  it('catches events out of revision order, twice, outside the range or before the start', () => {
    expect(
      violationOf(() => judge([watch('c/', 'c0', 1, 5, [put('c/a', '1', 4), put('c/b', '1', 3)])])).message,
    ).to.contain('after an event of revision 4');
    expect(
      violationOf(() => judge([watch('c/', 'c0', 1, 5, [put('c/a', '1', 4), put('c/a', '1', 4)])])).message,
    ).to.contain('twice');
    expect(violationOf(() => judge([watch('c/a', '', 1, 5, [put('c/b', '1', 4)])])).message).to.contain(
      'outside its range',
    );
    expect(violationOf(() => judge([watch('c/', 'c0', 5, 6, [put('c/a', '1', 4)])])).message).to.contain(
      'before its start',
    );
  });

  it('accepts a watch canceled by compaction only if it was behind the compaction', () => {
    const behind = watch('c/', 'c0', 1, 3, [put('c/a', '1', 2)], {
      end: { kind: 'compacted', compactRevision: 6, atMs: 1 },
    });
    expect(judge.bind(undefined, [behind])).not.to.throw();
    const notBehind = watch('c/', 'c0', 1, 6, [put('c/a', '1', 2)], {
      end: { kind: 'compacted', compactRevision: 7, atMs: 1 },
    });
    expect(violationOf(() => judge([notBehind])).message).to.contain('needed nothing below it');
    const refused = watch('c/', 'c0', 7, 6, [], {
      end: { kind: 'refused-compacted', compactRevision: 7, atMs: 1 },
    });
    expect(violationOf(() => judge([refused])).message).to.contain('refused as compacted at 7');
    const refusedOk = watch('c/', 'c0', 5, 4, [], {
      end: { kind: 'refused-compacted', compactRevision: 7, atMs: 1 },
    });
    expect(judge.bind(undefined, [refusedOk])).not.to.throw();
  });

  it('catches a watch ended as compacted at a revision no client compacted at', () => {
    const history = (w: WatchRecord): CanonicalHistory => CanonicalHistory.build([w], []);
    const canceled = watch('c/', 'c0', 1, 3, [put('c/a', '1', 2)], {
      end: { kind: 'compacted', compactRevision: 6, atMs: 1 },
    });
    expect(() => checkWatches([canceled], history(canceled), new Set([4, 6]))).not.to.throw();
    expect(
      violationOf(() => checkWatches([canceled], history(canceled), new Set([4, 7]))).message,
    ).to.contain('ended as compacted at 6, a revision no client compacted at');
    const refused = watch('c/', 'c0', 5, 4, [], {
      end: { kind: 'refused-compacted', compactRevision: 7, atMs: 1 },
    });
    expect(violationOf(() => checkWatches([refused], history(refused), new Set([6]))).invariant).to.equal(
      Invariant.WatchDelivery,
    );
  });
});
