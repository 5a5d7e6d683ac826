/**
 * A member restarted with a catch-up window (boot entries that start before its snapshot, as
 * storage keeps them with `catchUpEntries`) still sends entries, not its snapshot, to a follower
 * that is behind the snapshot but inside the window — as it did before the restart.
 */
import { expect } from 'chai';
import type { Entry } from '../../server/raft/types.js';
import { TestNetwork, text } from './network.js';

/** Node 3 misses ten entries; node 1 (leader) then snapshots. Its log before the snapshot is kept. */
function laggingFollower(): { net: TestNetwork; snapIndex: number; logBefore: Entry[] } {
  const net = new TestNetwork([1, 2, 3]);
  net.node(1).campaign();
  net.stabilize();
  expect(net.leader()).to.equal(1);
  for (let i = 0; i < 3; i++) net.node(1).propose(text(`early-${i}`));
  net.stabilize();
  net.isolate(3);
  for (let i = 0; i < 10; i++) net.node(1).propose(text(`late-${i}`));
  net.stabilize();
  const logBefore = [...net.store(1).entries];
  net.snapshotAndCompact(1);
  return { net, snapIndex: net.store(1).snapshot.metadata.index, logBefore };
}

describe('Raft boot with a catch-up window', () => {
  it('sends the lagging follower entries from the window, not the snapshot', () => {
    const { net, snapIndex, logBefore } = laggingFollower();
    const behind = net.store(3).entries[net.store(3).entries.length - 1]!.index;
    expect(behind).to.be.lessThan(snapIndex);
    // Restart the leader with its log from the follower's last entry up to the snapshot and on;
    // node 2 restarts too, so that it grants a vote at once.
    net.store(1).entries = logBefore.filter((e) => e.index >= behind);
    net.start(1);
    net.start(2);
    net.node(1).campaign();
    net.stabilize();
    expect(net.leader()).to.equal(1);
    net.delivered.length = 0;
    net.heal();
    net.node(1).propose(text('after'));
    net.stabilize();
    net.tickAll(3);
    expect(net.delivered.filter((m) => m.to === 3 && m.type === 'MsgSnap')).to.deep.equal([]);
    expect(net.appliedData(3)).to.include('late-9');
    expect(net.appliedData(3)).to.include('after');
  });

  it('refuses boot entries whose term at the snapshot index differs from the snapshot', () => {
    const { net, logBefore } = laggingFollower();
    net.store(1).entries = logBefore.map((e) => ({ ...e, term: e.term + 1 }));
    expect(() => net.start(1)).to.throw(/disagree with the snapshot/);
  });
});
