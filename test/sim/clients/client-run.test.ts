import { expect } from 'chai';
import type { StateMachineInjectedBugs } from '../../../server/apply/index.js';
import { Invariant } from '../checkers/violation.js';
import { runClientSeed } from './client-run.js';

describe('sim clients (on members built from the production code)', () => {
  it('pass every client checker across crashes, restarts, snapshot installs and compaction', async () => {
    let resumed = 0;
    let snapshots = 0;
    let compacted = 0;
    let indeterminate = 0;
    for (const seed of [2, 3, 5]) {
      const r = await runClientSeed({ seed });
      if (r.violation !== undefined)
        throw new Error(`seed ${seed}: ${r.violation.message}\n${r.trace.join('\n')}`);
      const s = r.stats!;
      expect(s.writes, `seed ${seed}: acknowledged writes`).to.be.greaterThan(0);
      expect(s.linearizable.operations, `seed ${seed}: register operations`).to.be.greaterThan(50);
      expect(s.reads.exact, `seed ${seed}: reads judged exactly`).to.be.greaterThan(50);
      expect(s.watches.events, `seed ${seed}: watch events`).to.be.greaterThan(0);
      expect(s.leases.leasesGone, `seed ${seed}: leases revoked or expired`).to.be.greaterThan(0);
      expect(s.leases.leasedReads, `seed ${seed}: reads of leased keys`).to.be.greaterThan(0);
      expect(r.crashes, `seed ${seed}: crashes`).to.be.greaterThan(0);
      resumed += s.watches.resumed;
      compacted += s.watches.compacted;
      indeterminate += s.indeterminate;
      snapshots += r.snapshotsSent;
    }
    expect(snapshots, 'snapshots sent to lagging members').to.be.greaterThan(0);
    expect(resumed, 'watches resumed after their member crashed').to.be.greaterThan(0);
    expect(indeterminate, 'operations cut by crashes').to.be.greaterThan(0);
    // Watches overtaken by a compaction while catching up (slow-catch-up.ts), canceled with the
    // compact revision, and judged by watch-delivery.ts.
    expect(compacted, 'watches canceled by compaction').to.be.greaterThan(0);
  });

  it('replays a seed exactly', async () => {
    const a = await runClientSeed({ seed: 4, faultMs: 1500, healMs: 500 });
    const b = await runClientSeed({ seed: 4, faultMs: 1500, healMs: 500 });
    expect(b.events).to.equal(a.events);
    expect(JSON.stringify(b.stats)).to.equal(JSON.stringify(a.stats));
    expect(b.trace).to.deep.equal(a.trace);
    expect(a.stats?.writes).to.be.greaterThan(0);
  });

  // The state machine's injected bugs (server/apply/injected-bugs.ts) on every member: each of the
  // first seeds must catch them (20 of 20 seeds do, docs/simulator-clients.md).
  const caught = (bug: keyof StateMachineInjectedBugs, invariants: readonly Invariant[]) => async () => {
    for (const seed of [1, 2, 3]) {
      const r = await runClientSeed({ seed, machineBugs: { [bug]: true } });
      expect(r.violation, `seed ${seed}: ${bug} not caught`).not.to.equal(undefined);
      expect(r.violation!.invariant, r.violation!.message).to.be.oneOf(invariants);
    }
  };

  it(
    'catch a txn whose second write emits no watch event (skipTxnSecondWatchEvent)',
    caught('skipTxnSecondWatchEvent', [Invariant.WatchDelivery, Invariant.ReadsMatchHistory]),
  );

  it(
    'catch a lease expiry that removes keys without a revision (expireLeaseWithoutRevision)',
    caught('expireLeaseWithoutRevision', [Invariant.LeaseKeysGone, Invariant.ReadsMatchHistory]),
  );
});
