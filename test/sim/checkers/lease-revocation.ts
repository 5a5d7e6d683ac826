/**
 * No key attached to lease L is readable after L is gone: once some member answered that L was
 * revoked (a leaseRevoke acknowledged at header revision R) or no longer exists (a leaseTimeToLive
 * answering TTL −1 at header revision R, which covers expiry), every read at a revision ≥ R must
 * return no key whose lease is L. A revoke deletes the lease's keys in a new revision, so a read at
 * R or later cannot see them; a revoke that removes them without a new revision leaves reads at R
 * that showed the key before it, which this catches.
 */
import { describeRange, type LeaseGone, type ReadRecord } from '../clients/record.js';
import { Invariant, Violation } from './violation.js';

export interface LeaseStats {
  readonly leasesGone: number;
  /** Reads that returned at least one key with a lease. */
  readonly leasedReads: number;
}

export function checkLeaseKeysGone(reads: readonly ReadRecord[], gone: readonly LeaseGone[]): LeaseStats {
  const first = new Map<number, LeaseGone>();
  for (const g of gone) {
    const known = first.get(g.lease);
    if (known === undefined || g.revision < known.revision) first.set(g.lease, g);
  }
  let leasedReads = 0;
  for (const read of reads) {
    let leased = false;
    for (const kv of read.kvs) {
      if (kv.lease === 0) continue;
      leased = true;
      const g = first.get(kv.lease);
      if (g === undefined || read.revision < g.revision) continue;
      throw new Violation(
        Invariant.LeaseKeysGone,
        `${read.kind} read of ${describeRange(read.key, read.rangeEnd)} by client ${read.client} on member ` +
          `${read.member} at ${read.atMs.toFixed(1)}ms returned ${kv.key}=${kv.value}@${kv.modRevision} ` +
          `with lease ${kv.lease} at revision ${read.revision}, but the lease was gone at revision ${g.revision} ` +
          `(${g.how === 'revoke' ? 'revoke acknowledged' : 'TTL -1 answered'} by member ${g.member} at ${g.atMs.toFixed(1)}ms)`,
      );
    }
    if (leased) leasedReads++;
  }
  return { leasesGone: first.size, leasedReads };
}
