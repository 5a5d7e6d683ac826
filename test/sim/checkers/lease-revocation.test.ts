import { expect } from 'chai';
import type { LeaseGone } from '../clients/record.js';
import { kv, read } from './history-fixtures.js';
import { checkLeaseKeysGone } from './lease-revocation.js';
import { Invariant, Violation } from './violation.js';

const gone = (lease: number, revision: number): LeaseGone => ({
  lease,
  revision,
  how: 'time-to-live',
  member: 1,
  atMs: 100,
});

describe('sim checkers: lease keys gone after revoke', () => {
  it('passes reads of a leased key before the lease is gone, and reads without it after', () => {
    const stats = checkLeaseKeysGone(
      [read('c/lease/', 'c/lease0', 4, [kv('c/lease/0', 'a', 2, 7)]), read('c/lease/', 'c/lease0', 5, [])],
      [gone(7, 5)],
    );
    expect(stats).to.deep.equal({ leasesGone: 1, leasedReads: 1 });
  });

  it('catches a key of the lease read at the revision the lease was gone at (expiry without a revision)', () => {
    let caught: unknown;
    try {
      checkLeaseKeysGone([read('c/lease/0', '', 5, [kv('c/lease/0', 'a', 2, 7)])], [gone(7, 5), gone(7, 9)]);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Violation);
    expect((caught as Violation).invariant).to.equal(Invariant.LeaseKeysGone);
    expect((caught as Violation).message).to.contain('gone at revision 5');
  });
});
