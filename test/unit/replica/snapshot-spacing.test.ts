/**
 * Snapshots spaced by the log's weight as well as by count (server/storage/snapshot-policy.ts): a
 * snapshot is cut at the first applied index where at least `snapshotCount` entries and
 * `snapshotLogRatio` × the newest snapshot's bytes of log came after it, so as the state grows the
 * snapshots grow apart and the bytes serialised per write stay constant.
 */
import { expect } from 'chai';
import type { Entry, Snapshot } from '../../../server/raft/index.js';
import { entryWeight } from '../../../server/storage/snapshot-policy.js';
import { advanceUntilSettled, cmd, ReplicaCluster } from './fixtures.js';

interface Cut {
  readonly index: number;
  readonly bytes: number;
}

/**
 * Writes `puts` new keys with 100-byte values to a one-member cluster: the snapshots it cut and the
 * entries' data sizes by index.
 */
async function load(
  options: { snapshotCount: number; snapshotLogRatio: number },
  puts: number,
): Promise<{
  cuts: Cut[];
  dataBytes: Map<number, number>;
  cluster: ReplicaCluster;
  bootSnapshotBytes: number;
}> {
  const cluster = new ReplicaCluster([1], { ...options, snapshotCatchUpEntries: 5 });
  const storage = cluster.storages.get(1)!;
  const bootSnapshotBytes = storage.snapshot.data.length;
  await cluster.waitForLeader();
  const cuts: Cut[] = [];
  const dataBytes = new Map<number, number>();
  const saveSnapshot = storage.saveSnapshot.bind(storage);
  storage.saveSnapshot = (s: Snapshot): Promise<void> => {
    cuts.push({ index: s.metadata.index, bytes: s.data.length });
    return saveSnapshot(s);
  };
  const save = storage.save.bind(storage);
  storage.save = (update: Parameters<typeof save>[0]): Promise<void> => {
    for (const e of update.entries as readonly Entry[]) dataBytes.set(e.index, e.data.length);
    return save(update);
  };
  for (const e of storage.entries) dataBytes.set(e.index, e.data.length);
  const replica = cluster.replica(1);
  const value = 'v'.repeat(100);
  for (let i = 0; i < puts; i++)
    await advanceUntilSettled(cluster.clock, replica.propose(cmd(`key${i}=${value}`)));
  return { cuts, dataBytes, cluster, bootSnapshotBytes };
}

describe('Replica snapshot spacing', () => {
  let cluster: ReplicaCluster | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });

  it('cuts a snapshot at the first index where snapshotCount entries and logRatio × the last snapshot of log followed it', async () => {
    const snapshotCount = 5;
    const ratio = 0.5;
    const run = await load({ snapshotCount, snapshotLogRatio: ratio }, 400);
    cluster = run.cluster;
    const { cuts, dataBytes } = run;
    expect(cuts.length).to.be.greaterThan(4);
    const weight = (from: number, to: number): number => {
      let w = 0;
      for (let i = from + 1; i <= to; i++) w += entryWeight(dataBytes.get(i)!);
      return w;
    };
    // The boot snapshot (index 0, the membership) is the first one counted from.
    let previous: Cut = { index: 0, bytes: run.bootSnapshotBytes };
    for (const cut of cuts) {
      // Due at cut.index...
      expect(cut.index - previous.index).to.be.at.least(snapshotCount);
      expect(weight(previous.index, cut.index)).to.be.at.least(ratio * previous.bytes);
      // ...and not one entry earlier.
      const dueEarlier =
        cut.index - 1 - previous.index >= snapshotCount &&
        weight(previous.index, cut.index - 1) >= ratio * previous.bytes;
      expect(dueEarlier, `snapshot at ${cut.index} was due at ${cut.index - 1}`).to.equal(false);
      previous = cut;
    }
    // The intervals grow with the state: the last one is several times the count.
    const gaps = cuts.slice(1).map((c, i) => c.index - cuts[i]!.index);
    expect(gaps[gaps.length - 1]).to.be.greaterThan(4 * snapshotCount);
  });

  it('serialises a bounded number of bytes per write however large the state grows, where the count alone does not', async () => {
    const serialisedPerWrite = async (snapshotLogRatio: number): Promise<number> => {
      const run = await load({ snapshotCount: 5, snapshotLogRatio }, 400);
      const applied = run.cluster.replica(1).status().appliedIndex;
      await run.cluster.stopAll();
      return run.cuts.reduce((sum, c) => sum + c.bytes, 0) / applied;
    };
    const spaced = await serialisedPerWrite(0.5);
    const countOnly = await serialisedPerWrite(0);
    // Each write weighs entryWeight(~110 bytes); spaced at 0.5, it pays at most about twice
    // its weight / 0.5 (the state doubles at most between two snapshots).
    expect(spaced).to.be.below((2 * entryWeight(130)) / 0.5);
    // By count alone every 5th write serialises the whole state: ~ state / 5 bytes per write.
    expect(countOnly).to.be.greaterThan(4 * spaced);
  });
});
