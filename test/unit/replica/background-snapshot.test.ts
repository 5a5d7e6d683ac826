/**
 * The Ready loop never waits for a snapshot: it is serialised and written in the background, and
 * only the compaction of Raft's log waits for it to be durable. A restart from what was written
 * gives exactly the state that was applied.
 */
import { expect } from 'chai';
import { encodeCommand, StateMachine, type ApplyResult } from '../../../server/apply/index.js';
import { StateMachinePort } from '../../../server/member/state-machine-port.js';
import { MemoryDisk } from '../../../server/platform/memory-disk.js';
import { SeededRandom } from '../../../server/platform/random.js';
import { encodeReplicaSnapshot, Replica } from '../../../server/replica/index.js';
import { RaftStorage } from '../../../server/storage/raft-storage.js';
import { silentLogger } from '../../../server/storage/logger.js';
import { ManualClock } from '../../helpers/manual-clock.js';
import { advanceUntil, advanceUntilSettled, cmd, memberRegistry, ReplicaCluster } from './fixtures.js';

/** Moves virtual time on in 50 ms steps until `promise` settles. */
const settle = <T>(clock: ManualClock, promise: Promise<T>): Promise<T> =>
  advanceUntilSettled(clock, promise, { stepMs: 50 });

describe('Replica background snapshots', () => {
  let cluster: ReplicaCluster | undefined;
  afterEach(async () => {
    await cluster?.stopAll();
    cluster = undefined;
  });

  it('keeps applying and answering writes on every member while their snapshots are still being written', async () => {
    cluster = new ReplicaCluster([1, 2, 3], { snapshotCount: 10, snapshotCatchUpEntries: 5 });
    const c = cluster;
    const leader = await c.waitForLeader();
    for (const id of c.ids) c.storages.get(id)!.holdSnapshots();
    // Well past snapshotCount: every member starts a snapshot that does not complete.
    for (let i = 0; i < 40; i++) await settle(c.clock, c.replica(leader).propose(cmd(`w${i}=${i}`)));
    for (const id of c.ids) {
      expect(c.storages.get(id)!.snapshotSaves, `member ${id}`).to.equal(1);
      expect(c.replica(id).status().snapshotIndex, `member ${id}`).to.equal(0);
    }
    await c.clock.advance(500);
    for (const id of c.ids) expect(c.machines.get(id)!.map.get('w39'), `member ${id}`).to.equal('39');
    for (const id of c.ids) c.storages.get(id)!.releaseSnapshots();
    await settle(c.clock, c.replica(leader).propose(cmd('after=1')));
    for (const id of c.ids) {
      await c.clock.advance(200);
      expect(c.replica(id).status().snapshotIndex, `member ${id}`).to.be.greaterThan(0);
    }
  });

  it('restarts from its streamed snapshot and WAL with the state hash it had applied', async () => {
    const clock = new ManualClock();
    const disk = new MemoryDisk();
    const members = memberRegistry([1]);
    const storageOptions = {
      dataDir: 'm1',
      clusterId: 'c',
      memberId: 1,
      initialConfState: { voters: [1], learners: [] },
      initialSnapshotData: encodeReplicaSnapshot(members, undefined),
      logger: silentLogger,
    };
    const boot = async (): Promise<{
      replica: Replica<ApplyResult>;
      machine: StateMachine;
      storage: RaftStorage;
    }> => {
      const opened = await RaftStorage.open(disk.attach(), storageOptions);
      const machine = new StateMachine();
      const replica = new Replica<ApplyResult>({
        id: 1,
        boot: opened.boot,
        platform: { clock, timers: clock, random: new SeededRandom(7) },
        storage: opened.storage,
        stateMachine: new StateMachinePort(machine, clock),
        peers: { send: () => {} },
        tickIntervalMs: 100,
        electionTicks: 10,
        snapshotCount: 25,
        snapshotCatchUpEntries: 5,
        requestTimeoutMs: 5000,
      });
      replica.start();
      await advanceUntil(clock, () => replica.isLeader(), 'a leader');
      return { replica, machine, storage: opened.storage };
    };
    const first = await boot();
    const random = new SeededRandom(3);
    const writes: Promise<ApplyResult>[] = [];
    for (let i = 0; i < 200; i++) {
      const key = new TextEncoder().encode(`k${random.int(50)}`);
      const value = new TextEncoder().encode(`v${i}`.repeat(1 + random.int(20)));
      const command =
        random.int(8) === 0
          ? encodeCommand({ type: 'deleteRange', request: { key } })
          : encodeCommand({ type: 'put', request: { key, value } });
      writes.push(first.replica.propose(command));
      if (i % 7 === 0) await settle(clock, Promise.all(writes));
    }
    await settle(clock, Promise.all(writes));
    expect(first.replica.stats().snapshotsTaken).to.be.greaterThan(2);
    const hash = first.machine.hash();
    const applied = first.replica.status().appliedIndex;
    await first.replica.stop();
    await first.storage.close();
    const second = await boot();
    await settle(clock, second.replica.linearizableRead());
    expect(second.replica.status().snapshotIndex).to.be.greaterThan(0);
    expect(second.machine.appliedIndex).to.be.at.least(applied - 1);
    expect(second.machine.hash()).to.equal(hash);
    await second.replica.stop();
    await second.storage.close();
  });

  it('catches a follower up with a snapshot read back from its file, to the leader state hash', async () => {
    const clock = new ManualClock();
    const ids = [1, 2, 3];
    const members = memberRegistry(ids);
    const disks = new Map(ids.map((id) => [id, new MemoryDisk()]));
    const nodes = new Map<
      number,
      { replica: Replica<ApplyResult>; machine: StateMachine; storage: RaftStorage }
    >();
    const down = new Set<number>();
    const start = async (id: number): Promise<void> => {
      const opened = await RaftStorage.open(disks.get(id)!.attach(), {
        dataDir: `m${id}`,
        clusterId: 'c',
        memberId: id,
        initialConfState: { voters: ids, learners: [] },
        initialSnapshotData: encodeReplicaSnapshot(members, undefined),
        logger: silentLogger,
      });
      const machine = new StateMachine();
      const replica = new Replica<ApplyResult>({
        id,
        boot: opened.boot,
        platform: { clock, timers: clock, random: new SeededRandom(id) },
        storage: opened.storage,
        stateMachine: new StateMachinePort(machine, clock),
        peers: {
          send: (msgs) => {
            for (const m of msgs) {
              if (down.has(m.to) || down.has(id)) continue;
              queueMicrotask(() => nodes.get(m.to)?.replica.step(m));
            }
          },
        },
        tickIntervalMs: 100,
        electionTicks: 10,
        snapshotCount: 30,
        snapshotCatchUpEntries: 5,
        requestTimeoutMs: 5000,
      });
      nodes.set(id, { replica, machine, storage: opened.storage });
      down.delete(id);
      replica.start();
    };
    for (const id of ids) await start(id);
    const leaderOf = (): number | undefined =>
      ids.find((id) => !down.has(id) && nodes.get(id)!.replica.isLeader());
    await advanceUntil(clock, () => leaderOf() !== undefined, 'a leader');
    const leader = leaderOf()!;
    const lagging = ids.find((id) => id !== leader)!;
    down.add(lagging);
    await nodes.get(lagging)!.replica.stop();
    await nodes.get(lagging)!.storage.close();
    const random = new SeededRandom(11);
    for (let i = 0; i < 150; i++) {
      const key = new TextEncoder().encode(`k${random.int(40)}`);
      const put = encodeCommand({ type: 'put', request: { key, value: new TextEncoder().encode(`v${i}`) } });
      await settle(clock, nodes.get(leader)!.replica.propose(put));
    }
    // The leader compacted its log past what the lagging member has: only a snapshot can help.
    expect(nodes.get(leader)!.replica.status().snapshotIndex).to.be.greaterThan(100);
    await start(lagging);
    const target = nodes.get(leader)!.replica.status().appliedIndex;
    await advanceUntil(
      clock,
      () => nodes.get(lagging)!.replica.status().appliedIndex >= target,
      'the lagging member to catch up',
    );
    expect(nodes.get(lagging)!.replica.stats().snapshotsRestored).to.equal(1);
    expect(nodes.get(lagging)!.machine.hash()).to.equal(nodes.get(leader)!.machine.hash());
    for (const id of ids) {
      await nodes.get(id)!.replica.stop();
      await nodes.get(id)!.storage.close();
    }
  });
});
