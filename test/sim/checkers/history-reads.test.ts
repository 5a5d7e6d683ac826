import { expect } from 'chai';
import type { AckedWrite, ReadRecord, WatchRecord } from '../clients/record.js';
import { CanonicalHistory } from './history-canonical.js';
import { acked, del, kv, put, read, violationOf, watch } from './history-fixtures.js';
import { checkReads, type ReadStats } from './history-reads.js';
import { Invariant } from './violation.js';

function judge(reads: ReadRecord[], watches: WatchRecord[], writes: AckedWrite[] = []): ReadStats {
  return checkReads(reads, CanonicalHistory.build(watches, writes));
}

describe('sim checkers: reads match the history', () => {
  const leased = [watch('c/', 'c0', 1, 4, [put('c/lease/0', 'a', 2, 7), put('c/reg/0', 'x', 4)])];

  it('passes reads that replay the history, stale serializable ones included', () => {
    const stats = judge(
      [
        read('c/', 'c0', 4, [kv('c/lease/0', 'a', 2, 7), kv('c/reg/0', 'x', 4)]),
        read('c/reg/0', '', 3, []),
        read('c/lease/', 'c/lease0', 2, [kv('c/lease/0', 'a', 2, 7)], 'past'),
      ],
      leased,
    );
    expect(stats.exact).to.equal(4);
  });

  it('catches a key gone from a read while the history still has it (lease expiry without a revision)', () => {
    const v = violationOf(() => judge([read('c/lease/', 'c/lease0', 4, [])], leased));
    expect(v.invariant).to.equal(Invariant.ReadsMatchHistory);
    expect(v.message).to.contain('did not return c/lease/0');
  });

  it('catches a serializable read whose value is not the one at its revision', () => {
    const v = violationOf(() => judge([read('c/reg/0', '', 3, [kv('c/reg/0', 'x', 4)])], leased));
    expect(v.message).to.contain('returned c/reg/0=x@4, which the history does not have');
    const w = violationOf(() => judge([read('c/reg/0', '', 4, [kv('c/reg/0', 'y', 4)])], leased));
    expect(w.message).to.contain('the history has put c/reg/0=x@4');
  });

  it('catches a stale read against acknowledged writes where no watch covers the key', () => {
    const writes = [
      acked(3, { type: 'put', key: 'c/r', value: 'a', lease: 0 }),
      acked(6, { type: 'delete', key: 'c/r' }),
    ];
    expect(judge([read('c/r', '', 5, [kv('c/r', 'a', 3)])], [], writes).partial).to.equal(1);
    const v = violationOf(() => judge([read('c/r', '', 6, [kv('c/r', 'a', 3)])], [], writes));
    expect(v.message).to.contain('stale: the history has delete c/r@6');
  });

  it('passes a delete seen by the watch and the read after it', () => {
    const ws = [watch('c/', 'c0', 1, 5, [put('c/lease/0', 'a', 2, 7), del('c/lease/0', 5)])];
    expect(() => judge([read('c/', 'c0', 5, [])], ws)).not.to.throw();
  });
});
