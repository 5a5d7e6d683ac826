import { expect } from 'chai';
import type { Message, RaftNode, Ready } from '../../server/raft/index.js';
import { TestNetwork, type NodeOptions } from './network.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function electFirst(net: TestNetwork): RaftNode {
  net.node(1).campaign();
  net.stabilize();
  expect(net.leader()).to.equal(1);
  return net.node(1);
}

/** A follower of a fresh 3-member cluster that has just been handed the leader's append of one entry. */
function followerGivenAnAppend(options: NodeOptions = {}): RaftNode {
  const net = new TestNetwork([1, 2, 3], options);
  const leader = electFirst(net);
  leader.propose(text('x'));
  const rd = leader.ready();
  leader.advance(rd);
  const follower = net.node(2);
  for (const m of rd.messages) if (m.to === 2) follower.step(m);
  return follower;
}

/** The commit index a message tells its receiver (0 when it carries none). */
function commitOf(m: Message): number {
  return m.type === 'MsgApp' || m.type === 'MsgHeartbeat' ? m.commit : 0;
}

describe('Ready', () => {
  describe('#messagesBeforePersist', () => {
    context('when a leader of three voters appends a proposal', () => {
      it('lets the appends leave before the leader has written them, promising no commit above its stored log', () => {
        const net = new TestNetwork([1, 2, 3]);
        const leader = electFirst(net);
        const stored = leader.status().lastIndex;
        leader.propose(text('x'));
        const rd = leader.ready();
        expect(rd.entries.map((e) => e.index)).to.deep.equal([stored + 1]);
        expect(rd.messages.filter((m) => m.type === 'MsgApp')).to.have.length(2);
        expect(rd.messagesBeforePersist).to.equal(rd.messages.length);
        for (const m of rd.messages) expect(commitOf(m)).to.be.at.most(stored);
        leader.advance(rd);
      });
    });

    context('when a single voter replicates to a learner', () => {
      it('holds the messages back, because the leader alone already counts the entry committed', () => {
        const net = new TestNetwork([1], {}, 1, [2]);
        const leader = electFirst(net);
        leader.propose(text('x'));
        const rd = leader.ready();
        const app = rd.messages.find((m) => m.type === 'MsgApp');
        expect(app, 'an append to the learner').to.not.equal(undefined);
        expect(commitOf(app!)).to.be.greaterThan(leader.status().lastIndex - rd.entries.length);
        expect(rd.messagesBeforePersist).to.equal(0);
        leader.advance(rd);
      });
    });

    context('when a member campaigns', () => {
      it('holds its vote requests back until its new term and vote are stored', () => {
        const net = new TestNetwork([1, 2, 3], { preVote: false });
        net.node(1).campaign();
        const rd = net.node(1).ready();
        expect(rd.messages.some((m) => m.type === 'MsgVote')).to.equal(true);
        expect(rd.messagesBeforePersist).to.equal(0);
        expect(rd.mustSync).to.equal(true);
      });
    });

    context('when a follower acknowledges appends', () => {
      it('holds the acknowledgements back until its write is durable', () => {
        const follower = followerGivenAnAppend();
        const frd: Ready = follower.ready();
        expect(frd.entries).to.have.length(1);
        expect(frd.messages.some((m) => m.type === 'MsgAppResp')).to.equal(true);
        expect(frd.messagesBeforePersist).to.equal(0);
        follower.advance(frd);
      });
    });

    context('when a follower forwards a proposal while it acknowledges appends', () => {
      it('lets the proposal leave at once and holds the acknowledgement back', () => {
        const follower = followerGivenAnAppend();
        follower.propose(text('y'));
        const frd = follower.ready();
        expect(frd.messagesBeforePersist).to.equal(1);
        expect(frd.messages[0]?.type).to.equal('MsgProp');
        expect(frd.messages.slice(1).map((m) => m.type)).to.deep.equal(['MsgAppResp']);
        follower.advance(frd);
      });
    });

    context('with the injected bug sendBeforePersist', () => {
      const bug: NodeOptions = { injectedBugs: { sendBeforePersist: true } };

      it('lets a follower acknowledge appends before its write is durable', () => {
        const follower = followerGivenAnAppend(bug);
        const frd = follower.ready();
        expect(frd.entries).to.have.length(1);
        expect(frd.messages.some((m) => m.type === 'MsgAppResp')).to.equal(true);
        expect(frd.messagesBeforePersist).to.equal(frd.messages.length);
        follower.advance(frd);
      });

      it('lets a candidate ask for votes, and a voter grant one, before the vote is stored', () => {
        const net = new TestNetwork([1, 2, 3], { preVote: false, ...bug });
        net.node(1).campaign();
        const rd = net.node(1).ready();
        expect(rd.mustSync).to.equal(true);
        expect(rd.messages.filter((m) => m.type === 'MsgVote')).to.have.length(2);
        expect(rd.messagesBeforePersist).to.equal(rd.messages.length);
        for (const m of rd.messages) if (m.to === 2) net.node(2).step(m);
        const vrd = net.node(2).ready();
        expect(vrd.hardState?.vote).to.equal(1);
        expect(vrd.messages.map((m) => m.type)).to.deep.equal(['MsgVoteResp']);
        expect(vrd.messagesBeforePersist).to.equal(1);
      });
    });
  });

  describe('forwarded proposals', () => {
    context('when a follower takes several proposals before its next Ready', () => {
      it('forwards them to the leader as one proposal, in order', () => {
        const net = new TestNetwork([1, 2, 3]);
        electFirst(net);
        const follower = net.node(2);
        for (const s of ['a', 'b', 'c']) follower.propose(text(s));
        const rd = follower.ready();
        const props = rd.messages.filter((m) => m.type === 'MsgProp');
        expect(props).to.have.length(1);
        const entries = props[0]?.type === 'MsgProp' ? props[0].entries : [];
        expect(entries.map((e) => new TextDecoder().decode(e.data))).to.deep.equal(['a', 'b', 'c']);
        follower.advance(rd);
        for (const m of rd.messages) net.node(m.to).step(m);
        net.stabilize();
        expect(net.appliedData(3)).to.deep.equal(['a', 'b', 'c']);
      });
    });
  });

  describe('#mustSync', () => {
    context('when only the commit index moved', () => {
      it('asks for no fsync', () => {
        const net = new TestNetwork([1, 2, 3]);
        const leader = electFirst(net);
        leader.propose(text('x'));
        const rd = leader.ready();
        expect(rd.mustSync).to.equal(true);
        leader.advance(rd);
        for (const m of rd.messages) net.node(m.to).step(m);
        for (const id of [2, 3]) {
          const frd = net.node(id).ready();
          for (const m of frd.messages) leader.step(m);
          net.node(id).advance(frd);
        }
        const commitRd = leader.ready();
        expect(commitRd.hardState?.commit).to.equal(leader.status().lastIndex);
        expect(commitRd.entries).to.have.length(0);
        expect(commitRd.committedEntries).to.have.length(1);
        expect(commitRd.mustSync).to.equal(false);
        leader.advance(commitRd);
      });
    });
  });
});
