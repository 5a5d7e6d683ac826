/**
 * How often the replica snapshots and how much log it keeps after a snapshot: one snapshot every
 * `snapshotCount` applied entries (never two in a row because the first became durable during a
 * Ready's write), and `snapshotCatchUpEntries` entries kept so that a follower that missed fewer
 * writes than that catches up from the log, without a snapshot.
 */
import { expect } from 'chai';
import type { Snapshot } from '../../../server/raft/index.js';
import { advanceUntil, advanceUntilSettled, cmd, ReplicaCluster } from './fixtures.js';

/** Runs every queued microtask and promise continuation (the manual clock fires no timer). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Replica snapshot cadence and catch-up window', () => {
  let cluster: ReplicaCluster | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });

  it('snapshots exactly every snapshotCount applied entries, even when a snapshot becomes durable during a write', async () => {
    cluster = new ReplicaCluster([1], { snapshotCount: 10, snapshotCatchUpEntries: 5 });
    const c = cluster;
    await c.waitForLeader();
    const storage = c.storages.get(1)!;
    const indices: number[] = [];
    const save = storage.saveSnapshot.bind(storage);
    storage.saveSnapshot = (s: Snapshot): Promise<void> => {
      indices.push(s.metadata.index);
      return save(s);
    };
    const replica = c.replica(1);
    storage.holdSnapshots();
    for (let i = 0; i < 55; i++) {
      const snapshotsBefore = indices.length;
      await advanceUntilSettled(c.clock, replica.propose(cmd(`k${i}=${i}`)));
      if (indices.length === snapshotsBefore) continue;
      // A snapshot is being written. The next write's save is held, and the snapshot completes
      // while the Ready loop waits for it.
      storage.hold();
      const next = replica.propose(cmd(`k${i}=again`));
      await flush();
      storage.releaseSnapshots();
      await flush();
      storage.release();
      await advanceUntilSettled(c.clock, next);
      storage.holdSnapshots();
    }
    storage.releaseSnapshots();
    const applied = replica.status().appliedIndex;
    expect(applied).to.be.greaterThan(50);
    const expected: number[] = [];
    for (let i = 10; i <= applied; i += 10) expected.push(i);
    expect(indices).to.deep.equal(expected);
  });

  it('catches up a follower that missed fewer than snapshotCatchUpEntries entries from the log, with no snapshot sent', async () => {
    // 60 entries kept, a snapshot every 10: the leader snapshots several times while the follower
    // is down, and still has every entry it missed.
    cluster = new ReplicaCluster([1, 2, 3], { snapshotCount: 10, snapshotCatchUpEntries: 60 });
    const c = cluster;
    const leader = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== leader)!;
    await advanceUntilSettled(c.clock, c.replica(leader).propose(cmd('before=1')));
    await c.crash(follower);
    for (let i = 0; i < 45; i++)
      await advanceUntilSettled(c.clock, c.replica(leader).propose(cmd(`w${i}=${i}`)));
    expect(c.replica(leader).stats().snapshotsTaken).to.be.at.least(3);
    const sentBefore = c.sent.length;
    c.start(follower);
    const target = c.replica(leader).status().appliedIndex;
    await advanceUntil(
      c.clock,
      () => c.replica(follower).status().appliedIndex >= target,
      'the follower to catch up',
    );
    expect(c.machines.get(follower)!.map.get('w44')).to.equal('44');
    const snapshotsSent = c.sent
      .slice(sentBefore)
      .filter(({ m }) => m.type === 'MsgSnap' && m.to === follower);
    expect(snapshotsSent).to.have.length(0);
    expect(c.replica(follower).stats().snapshotsRestored).to.equal(0);
  });

  it('sends a snapshot to a follower that missed more than snapshotCatchUpEntries entries', async () => {
    cluster = new ReplicaCluster([1, 2, 3], { snapshotCount: 10, snapshotCatchUpEntries: 15 });
    const c = cluster;
    const leader = await c.waitForLeader();
    const follower = c.ids.find((id) => id !== leader)!;
    await c.crash(follower);
    for (let i = 0; i < 45; i++)
      await advanceUntilSettled(c.clock, c.replica(leader).propose(cmd(`w${i}=${i}`)));
    c.start(follower);
    const target = c.replica(leader).status().appliedIndex;
    await advanceUntil(
      c.clock,
      () => c.replica(follower).status().appliedIndex >= target,
      'the follower to catch up',
    );
    expect(c.replica(follower).stats().snapshotsRestored).to.equal(1);
    expect(c.machines.get(follower)!.map.get('w44')).to.equal('44');
  });
});
