import { expect } from 'chai';
import { ServerError } from '../../../server/errors.js';
import { cmd, ReplicaCluster } from './fixtures.js';

/** Runs `promise` to completion while moving the manual clock. */
async function settle<T>(cluster: ReplicaCluster, promise: Promise<T>, maxMs = 10_000): Promise<T> {
  let done = false;
  const result = promise.finally(() => {
    done = true;
  });
  result.catch(() => {});
  for (let t = 0; t < maxMs && !done; t += 50) await cluster.clock.advance(50);
  return result;
}

/**
 * Proposes `q=1` on `leader` while its disk holds every write (an fsync that has not returned),
 * moves the clock, then reports what the state machine applied and whether the proposal was
 * answered — and lets the disk finish.
 */
async function proposeWhileTheDiskHolds(
  cluster: ReplicaCluster,
  leader: number,
): Promise<{ applied: string | undefined; answered: boolean }> {
  const storage = cluster.storages.get(leader)!;
  storage.hold();
  let answered = false;
  const write = cluster.replica(leader).propose(cmd('q=1'));
  void write.then(() => {
    answered = true;
  });
  try {
    await cluster.clock.advance(300);
    return { applied: cluster.machines.get(leader)!.map.get('q'), answered };
  } finally {
    storage.release();
    await settle(cluster, write);
  }
}

describe('Replica', () => {
  let cluster: ReplicaCluster;
  afterEach(async () => {
    await cluster.stopAll();
  });

  describe('#propose', () => {
    it('resolves with the state machine result once applied, on every member', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const result = await settle(cluster, cluster.replica(leader).propose(cmd('a=1')));
      expect(result).to.equal(1);
      await cluster.clock.advance(300);
      for (const id of [1, 2, 3]) expect(cluster.machines.get(id)!.map.get('a')).to.equal('1');
    });

    it("reads the term every answer's header carries without building a status, on every member", async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      await settle(cluster, cluster.replica(leader).propose(cmd('t=1')));
      for (const id of [1, 2, 3]) {
        const replica = cluster.replica(id);
        expect(replica.term).to.be.greaterThan(0);
        expect(replica.term).to.equal(replica.status().raft.term);
      }
    });

    it('forwards a proposal made on a follower and answers it there', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      const result = await settle(cluster, cluster.replica(follower).propose(cmd('b=2')));
      expect(result).to.equal(1);
    });

    it('batches proposals of one macrotask into one fsync (group commit)', async () => {
      cluster = new ReplicaCluster([1]);
      const leader = await cluster.waitForLeader();
      const storage = cluster.storages.get(leader)!;
      const before = storage.saves;
      const all = Promise.all(
        Array.from({ length: 50 }, (_, i) => cluster.replica(leader).propose(cmd(`k${i}=v`))),
      );
      await settle(cluster, all);
      expect(storage.saves - before).to.be.at.most(3);
    });

    it('lets the leader replicate while its own write runs, and answers only after it is durable', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const storage = cluster.storages.get(leader)!;
      storage.hold();
      let answered = false;
      const write = cluster.replica(leader).propose(cmd('p=1'));
      void write.then(() => {
        answered = true;
      });
      try {
        await cluster.clock.advance(300);
        const fromLeader = cluster.sent.filter((s) => s.m.from === leader);
        // the followers got the entry (and acknowledged it) while the leader's fsync had not returned
        const early = fromLeader.filter(
          (s) => s.m.type === 'MsgApp' && s.m.entries.some((e) => e.index > s.senderStored),
        );
        expect(early.length).to.be.greaterThan(0);
        expect(cluster.sent.some((s) => s.m.to === leader && s.m.type === 'MsgAppResp')).to.equal(true);
        expect(answered).to.equal(false);
        // and no message told anybody a commit index the leader had not stored
        for (const s of fromLeader) {
          const commit = s.m.type === 'MsgApp' || s.m.type === 'MsgHeartbeat' ? s.m.commit : 0;
          expect(commit).to.be.at.most(s.senderStored);
        }
      } finally {
        storage.release();
      }
      expect(await settle(cluster, write)).to.equal(1);
    });

    it("applies nothing of a single voter's write before the write is durable", async () => {
      cluster = new ReplicaCluster([1]);
      const leader = await cluster.waitForLeader();
      const { applied, answered } = await proposeWhileTheDiskHolds(cluster, leader);
      expect(applied).to.equal(undefined);
      expect(answered).to.equal(false);
    });

    it('with the injected bug applyBeforePersist, applies and answers a write before it is durable', async () => {
      cluster = new ReplicaCluster([1], { injectedBugs: { applyBeforePersist: true } });
      const leader = await cluster.waitForLeader();
      const { applied, answered } = await proposeWhileTheDiskHolds(cluster, leader);
      expect(applied).to.equal('1');
      expect(answered).to.equal(true);
    });

    it('refuses with a retryable UNAVAILABLE when no leader is known', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const err = await cluster
        .replica(1)
        .propose(cmd('x=1'))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).to.be.instanceOf(ServerError);
      expect((err as ServerError).code).to.equal('UNAVAILABLE');
      expect((err as ServerError).retryable).to.equal(true);
    });

    context("when the leader's process died and its connection closed (held-proposals.ts)", () => {
      it('holds a write refused for want of a leader and proposes it once the successor is elected', async () => {
        cluster = new ReplicaCluster([1, 2, 3]);
        const leader = await cluster.waitForLeader();
        const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
        await cluster.crash(leader);
        cluster.replica(f1).leaderConnectionLost(leader);
        cluster.replica(f2).leaderConnectionLost(leader);
        // Our leader is suspect: Raft refuses to forward to it; the replica holds the write.
        const write = cluster.replica(f1).propose(cmd('held=1'));
        const result = await settle(cluster, write);
        expect(result).to.be.a('number');
        expect(cluster.machines.get(f1)!.map.get('held')).to.equal('1');
        expect(cluster.leader()).to.be.oneOf([f1, f2]);
      });

      it('holds a write while the connection to the leader is closed, before Raft suspects the leader', async () => {
        cluster = new ReplicaCluster([1, 2, 3]);
        const leader = await cluster.waitForLeader();
        const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
        await cluster.crash(leader);
        // The transport saw the close; its redial probe has not failed yet (no report to Raft).
        cluster.closedConnections.add(`${f1}→${leader}`);
        const sentBefore = cluster.sent.length;
        const write = cluster.replica(f1).propose(cmd('early=1'));
        await cluster.clock.advance(0);
        const forwarded = cluster.sent.slice(sentBefore).filter((s) => s.m.type === 'MsgProp');
        expect(forwarded).to.deep.equal([]);
        cluster.replica(f1).leaderConnectionLost(leader);
        cluster.replica(f2).leaderConnectionLost(leader);
        expect(await settle(cluster, write)).to.be.a('number');
        expect(cluster.machines.get(f1)!.map.get('early')).to.equal('1');
      });

      it('refuses it with UNAVAILABLE (never proposed) when no successor comes within an election timeout', async () => {
        cluster = new ReplicaCluster([1, 2, 3]);
        const leader = await cluster.waitForLeader();
        const [f1, f2] = [1, 2, 3].filter((id) => id !== leader) as [number, number];
        await cluster.crash(leader);
        await cluster.crash(f2);
        cluster.replica(f1).leaderConnectionLost(leader);
        const start = cluster.clock.nowMs();
        let answeredAt = 0;
        const err = await settle(
          cluster,
          cluster
            .replica(f1)
            .propose(cmd('x=1'), { timeoutMs: 5000 })
            .then(
              () => undefined,
              (e: unknown) => e,
            )
            .finally(() => (answeredAt = cluster.clock.nowMs())),
        );
        expect((err as ServerError).code).to.equal('UNAVAILABLE');
        expect((err as ServerError).message).to.match(/no leader/);
        // Answered when the window closed (10 ticks of 100 ms), not at the request's own deadline.
        expect(answeredAt - start).to.be.within(1000, 1200);
        expect(cluster.machines.get(f1)!.map.has('x')).to.equal(false);
      });
    });

    it('times out (outcome unknown) when the leader is unreachable', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      await cluster.crash(leader);
      const err = await settle(
        cluster,
        cluster
          .replica(follower)
          .propose(cmd('x=1'), { timeoutMs: 50 })
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      );
      expect((err as ServerError).code).to.be.oneOf(['TIMEOUT', 'UNAVAILABLE']);
    });

    it('stops and fails pending requests when the disk fails, without applying them', async () => {
      cluster = new ReplicaCluster([1]);
      const leader = await cluster.waitForLeader();
      cluster.storages.get(leader)!.failNext = Object.assign(new Error('ENOSPC: no space left on device'), {
        code: 'ENOSPC',
      });
      const err = await settle(
        cluster,
        cluster
          .replica(leader)
          .propose(cmd('lost=1'))
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      );
      expect((err as ServerError).code).to.equal('UNAVAILABLE');
      expect(cluster.machines.get(leader)!.map.has('lost')).to.equal(false);
      expect(cluster.replica(leader).status().fatal?.message).to.match(/ENOSPC/);
    });
  });

  describe('#linearizableRead', () => {
    it('waits until the member applied everything committed before the read', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      await settle(cluster, cluster.replica(leader).propose(cmd('r=1')));
      const follower = [1, 2, 3].find((id) => id !== leader)!;
      await settle(cluster, cluster.replica(follower).linearizableRead());
      expect(cluster.machines.get(follower)!.map.get('r')).to.equal('1');
    });

    it('never confirms a read on a member cut off from the majority', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      for (const id of [1, 2, 3]) if (id !== leader) await cluster.crash(id);
      const err = await settle(
        cluster,
        cluster
          .replica(leader)
          .linearizableRead({ timeoutMs: 500 })
          .then(
            () => undefined,
            (e: unknown) => e,
          ),
      );
      expect((err as ServerError).code).to.be.oneOf(['TIMEOUT', 'UNAVAILABLE']);
    });
  });

  describe('snapshots', () => {
    it('snapshots every snapshotCount entries and catches a restarted member up by snapshot', async () => {
      cluster = new ReplicaCluster([1, 2, 3], { snapshotCount: 20, snapshotCatchUpEntries: 5 });
      const leader = await cluster.waitForLeader();
      const lagging = [1, 2, 3].find((id) => id !== leader)!;
      await cluster.crash(lagging);
      for (let i = 0; i < 60; i++) await settle(cluster, cluster.replica(leader).propose(cmd(`s${i}=${i}`)));
      expect(cluster.replica(leader).status().snapshotIndex).to.be.greaterThan(20);
      cluster.start(lagging);
      await cluster.clock.advance(3000);
      expect(cluster.machines.get(lagging)!.map.get('s59')).to.equal('59');
      expect(cluster.machines.get(lagging)!.map.size).to.equal(60);
    });
  });

  describe('#transferLeadership', () => {
    it('moves leadership to the named member', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const target = [1, 2, 3].find((id) => id !== leader)!;
      await settle(cluster, cluster.replica(leader).transferLeadership(target));
      expect(cluster.replica(target).isLeader()).to.equal(true);
    });
  });

  describe('membership', () => {
    it('adds a member whose attributes appear in every member list', async () => {
      cluster = new ReplicaCluster([1, 2, 3]);
      const leader = await cluster.waitForLeader();
      const context = JSON.stringify({ name: 'm4', peerUrls: ['http://127.0.0.1:2384'], clientUrls: [] });
      await settle(
        cluster,
        cluster.replica(leader).changeMembership({ type: 'addLearner', nodeId: 4, context }),
      );
      await cluster.clock.advance(300);
      for (const id of [1, 2, 3])
        expect(
          cluster
            .replica(id)
            .memberList()
            .map((m) => m.name),
        ).to.deep.equal(['m1', 'm2', 'm3', 'm4']);
      await settle(
        cluster,
        cluster
          .replica(leader)
          .publishAttributes({ name: `m${leader}`, peerUrls: [], clientUrls: ['http://127.0.0.1:2379'] }),
      );
      expect(
        cluster
          .replica(leader)
          .memberList()
          .find((m) => m.id === leader)!.clientUrls,
      ).to.deep.equal(['http://127.0.0.1:2379']);
    });
  });
});

describe('bootstrapEntries', () => {
  it('lets a cluster started from committed conf-change entries elect a leader and learn its members', async () => {
    const { bootstrapEntries } = await import('../../../server/replica/bootstrap.js');
    const { entries, hardState } = bootstrapEntries([
      { id: 3, name: 'c', peerUrls: ['http://127.0.0.1:3'], clientUrls: [] },
      { id: 1, name: 'a', peerUrls: ['http://127.0.0.1:1'], clientUrls: [] },
      { id: 2, name: 'b', peerUrls: ['http://127.0.0.1:2'], clientUrls: [] },
    ]);
    expect(entries.map((e) => e.index)).to.deep.equal([1, 2, 3]);
    expect(hardState.commit).to.equal(3);
    const cluster = new ReplicaCluster([1, 2, 3], {}, { entries, hardState });
    try {
      const leader = await cluster.waitForLeader();
      expect(
        cluster
          .replica(leader)
          .memberList()
          .map((m) => m.name),
      ).to.deep.equal(['a', 'b', 'c']);
      expect(cluster.replica(leader).status().raft.confState.voters).to.deep.equal([1, 2, 3]);
    } finally {
      await cluster.stopAll();
    }
  });
});

describe('a single-voter cluster', () => {
  it('leads as soon as its bootstrap entries are applied, without waiting an election timeout', async () => {
    const { bootstrapEntries } = await import('../../../server/replica/bootstrap.js');
    const cluster = new ReplicaCluster(
      [1],
      {},
      bootstrapEntries([{ id: 1, name: 'a', peerUrls: [], clientUrls: [] }]),
    );
    try {
      await cluster.clock.advance(1);
      expect(cluster.leader()).to.equal(1);
    } finally {
      await cluster.stopAll();
    }
  });
});
