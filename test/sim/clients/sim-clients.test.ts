import { expect } from 'chai';
import { SeededRandom } from '../../../server/platform/random.js';
import { Invariant, Violation } from '../checkers/violation.js';
import { FakeCluster, runOnFakeCluster, type FakeClusterFaults } from './fake-cluster.js';
import { SimClients, type SimClientsStats } from './sim-clients.js';

const MEMBERS = [1, 2, 3] as const;

async function run(
  seed: number,
  faults: FakeClusterFaults = {},
): Promise<{ clients: SimClients; cluster: FakeCluster }> {
  const cluster = new FakeCluster(seed, MEMBERS, faults);
  const clients = new SimClients(cluster.host);
  await runOnFakeCluster(clients, cluster, {
    runMs: 6000,
    settleMs: 1000,
    crashMeanMs: 400,
    random: new SeededRandom(seed + 1000),
  });
  return { clients, cluster };
}

function outcome(clients: SimClients): Violation | SimClientsStats {
  try {
    return clients.check();
  } catch (err) {
    if (err instanceof Violation) return err;
    throw err;
  }
}

describe('sim clients (on an in-memory cluster)', () => {
  it('a correct store passes every checker, and the workload exercises what they check', async () => {
    let indeterminate = 0;
    for (const seed of [1, 2, 3]) {
      const { clients } = await run(seed);
      const r = outcome(clients);
      if (r instanceof Violation) throw r;
      indeterminate += r.indeterminate;
      expect(r.writes, 'acknowledged writes').to.be.greaterThan(50);
      expect(r.linearizable.operations, 'register operations').to.be.greaterThan(50);
      expect(r.reads.exact, 'reads judged exactly').to.be.greaterThan(50);
      expect(r.watches.events, 'watch events').to.be.greaterThan(50);
      expect(r.watches.resumed, 'watches resumed after a crash').to.be.greaterThan(0);
      expect(r.leases.leasesGone, 'leases revoked or expired').to.be.greaterThan(0);
      expect(r.leases.leasedReads, 'reads of leased keys').to.be.greaterThan(0);
    }
    expect(indeterminate, 'operations cut by crashes').to.be.greaterThan(0);
  });

  it('replays a seed exactly', async () => {
    const a = (await run(7)).clients.history();
    const b = (await run(7)).clients.history();
    expect(JSON.stringify(b)).to.equal(JSON.stringify(a));
    expect(a.registers.length).to.be.greaterThan(0);
  });

  it('catches a txn whose second write emits no watch event (skipTxnSecondWatchEvent)', async () => {
    for (const seed of [1, 2, 3]) {
      const r = outcome((await run(seed, { skipTxnSecondWatchEvent: true })).clients);
      expect(r, `seed ${seed}`).to.be.instanceOf(Violation);
      expect((r as Violation).invariant).to.be.oneOf([Invariant.WatchDelivery, Invariant.ReadsMatchHistory]);
    }
  });

  it('catches a lease expiry that removes keys without a revision (expireLeaseWithoutRevision)', async () => {
    for (const seed of [1, 2, 3]) {
      const r = outcome((await run(seed, { expireLeaseWithoutRevision: true })).clients);
      expect(r, `seed ${seed}`).to.be.instanceOf(Violation);
      expect((r as Violation).invariant).to.be.oneOf([Invariant.LeaseKeysGone, Invariant.ReadsMatchHistory]);
    }
  });
});
