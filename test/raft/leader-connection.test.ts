/**
 * The early pre-vote when the leader's process dies (docs/raft.md): `leaderConnectionLost` /
 * `leaderConnectionRestored` on a follower, and which voters grant a (pre-)vote that names a lost
 * leader while they are inside their leader lease (thesis §9.6 check-quorum + pre-vote otherwise).
 */
import { expect } from 'chai';
import { ProposalRefusedError, type Message, type MsgVote, type RaftNode } from '../../server/raft/index.js';
import { TestNetwork } from './network.js';

const ELECTION_TICKS = 10;
const EARLY_WINDOW_TICKS = Math.ceil(ELECTION_TICKS / 3);

function electFirst(net: TestNetwork, id = 1): void {
  net.node(id).campaign();
  net.stabilize();
  expect(net.leader()).to.equal(id);
}

/** Steps `m` into `node` and returns the messages its next Ready sends. */
function answersTo(node: RaftNode, m: Message): Message[] {
  node.step(m);
  if (!node.hasReady()) return [];
  const rd = node.ready();
  node.advance(rd);
  return [...rd.messages];
}

function voteRequest(
  type: 'MsgVote' | 'MsgPreVote',
  from: number,
  to: number,
  voter: RaftNode,
  lostLeader: number | undefined,
): MsgVote {
  const st = voter.status();
  return {
    type,
    from,
    to,
    term: st.term + 1,
    index: st.lastIndex,
    logTerm: st.term,
    force: false,
    ...(lostLeader !== undefined ? { lostLeader } : {}),
  };
}

/** Ticks the members in `ids` one tick at a time (delivering everything) until `done` or `maxTicks`. */
function tickUntil(net: TestNetwork, ids: readonly number[], done: () => boolean, maxTicks: number): number {
  for (let t = 1; t <= maxTicks; t++) {
    for (const id of ids) net.node(id).tick();
    net.stabilize();
    if (done()) return t;
  }
  return Infinity;
}

describe('Raft early pre-vote on a lost leader connection', () => {
  describe('#leaderConnectionLost', () => {
    context('when the leader of a 5-member cluster dies and every follower sees its connection close', () => {
      it('elects a new leader within ⌈electionTicks/3⌉ ticks, by an early pre-vote', () => {
        const net = new TestNetwork([1, 2, 3, 4, 5], { electionTicks: ELECTION_TICKS }, 3);
        electFirst(net);
        net.isolate(1);
        const alive = [2, 3, 4, 5];
        for (const id of alive) net.node(id).leaderConnectionLost(1);
        const newLeader = (): number | undefined =>
          alive.find((id) => net.node(id).status().role === 'leader');
        const ticks = tickUntil(net, alive, () => newLeader() !== undefined, 20);
        expect(ticks).to.be.at.most(EARLY_WINDOW_TICKS);
        const leader = net.node(newLeader()!).status();
        expect(leader.term).to.equal(2);
        expect(leader.campaignReason).to.equal('leaderLost');
      });
    });

    it('waits at least one tick before campaigning, so the followers do not all start at once', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      const node = net.node(2);
      node.leaderConnectionLost(1);
      expect(node.hasReady()).to.equal(false);
      expect(node.status().suspectLeader).to.equal(1);
    });

    it('gives each follower of the dead leader its own tick, two apart by id, so none campaign together', () => {
      const net = new TestNetwork([1, 2, 3, 4, 5], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      const alive = [2, 3, 4, 5];
      for (const id of alive) net.node(id).leaderConnectionLost(1);
      const startedAt = new Map<number, number>();
      for (let t = 1; t < ELECTION_TICKS; t++) {
        // Nothing is delivered: each campaign starts on its own timer, not on a peer's request.
        for (const id of alive) {
          net.node(id).tick();
          if (!startedAt.has(id) && net.node(id).status().role === 'preCandidate') startedAt.set(id, t);
        }
      }
      expect([...startedAt]).to.deep.equal([
        [2, 1],
        [3, 3],
        [4, 5],
        [5, 7],
      ]);
    });

    it('does not count a granted pre-vote left over from an earlier pre-campaign of its own', () => {
      // Sim flap seed 880 (3 members): a grant of the pre-campaign for term 1, delayed past the
      // election of term 1, reached the member's early pre-campaign for term 2 and was counted:
      // it became a candidate and its higher term unseated the live leader.
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      const node = net.node(2);
      node.leaderConnectionLost(1);
      net.isolate(2);
      tickUntil(net, [2], () => node.status().role === 'preCandidate', ELECTION_TICKS);
      expect(node.status().role).to.equal('preCandidate');
      const term = node.status().term;
      const stale: Message = { type: 'MsgPreVoteResp', from: 3, to: 2, term, reject: false };
      node.step(stale);
      expect(node.status().role).to.equal('preCandidate');
      expect(node.status().term).to.equal(term);
      // The grant of this pre-campaign (its term is ours + 1) still wins it.
      node.step({ ...stale, term: term + 1 });
      expect(node.status().role).to.equal('candidate');
      expect(node.status().term).to.equal(term + 1);
    });

    it("drops its own early round once it granted a peer's early pre-vote for the same leader", () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      const voter = net.node(2);
      voter.leaderConnectionLost(1);
      const answers = answersTo(voter, voteRequest('MsgPreVote', 3, 2, voter, 1));
      expect(answers.map((m) => [m.type, 'reject' in m ? m.reject : undefined])).to.deep.equal([
        ['MsgPreVoteResp', false],
      ]);
      // Isolated from here on, it would otherwise start its own early round on its next tick.
      net.isolate(2);
      const ticks = tickUntil(net, [2], () => voter.status().role !== 'follower', ELECTION_TICKS - 1);
      expect(ticks).to.equal(Infinity);
    });

    it('refuses to forward a proposal to a suspect leader (it would be lost)', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      const node = net.node(2);
      node.leaderConnectionLost(1);
      expect(() => node.propose(new Uint8Array([1])))
        .to.throw(ProposalRefusedError)
        .with.property('reason', 'NO_LEADER');
      node.leaderConnectionRestored(1);
      node.propose(new Uint8Array([1]));
      expect(node.ready().messages.map((m) => [m.type, m.to])).to.deep.equal([['MsgProp', 1]]);
    });

    it('ignores a lost connection to a member that is not its leader', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      net.isolate(2);
      net.node(2).leaderConnectionLost(3);
      expect(net.node(2).status().suspectLeader).to.equal(0);
      const ticks = tickUntil(net, [2], () => net.node(2).status().role !== 'follower', ELECTION_TICKS - 1);
      expect(ticks).to.equal(Infinity);
    });

    it('does not campaign early once the connection is restored', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      net.isolate(2);
      net.node(2).leaderConnectionLost(1);
      net.node(2).leaderConnectionRestored(1);
      expect(net.node(2).status().suspectLeader).to.equal(0);
      const ticks = tickUntil(net, [2], () => net.node(2).status().role !== 'follower', ELECTION_TICKS - 1);
      expect(ticks).to.equal(Infinity);
    });

    it('forgets the suspicion when the leader is heard from', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      net.node(2).leaderConnectionLost(1);
      net.node(1).tick();
      net.stabilize();
      expect(net.node(2).status().suspectLeader).to.equal(0);
    });

    context('when only one follower loses its connection to a live leader', () => {
      it('keeps the leader and its term (the other voters are in their lease)', () => {
        const net = new TestNetwork([1, 2, 3, 4, 5], { electionTicks: ELECTION_TICKS }, 5);
        electFirst(net);
        net.cutLink(1, 2);
        net.node(2).leaderConnectionLost(1);
        const preVotes: Message[] = [];
        net.filter = (m) => {
          if (m.type === 'MsgPreVote') preVotes.push(m);
          return true;
        };
        for (let t = 0; t < ELECTION_TICKS - 1; t++) {
          for (const id of [1, 2, 3, 4, 5]) net.node(id).tick();
          net.stabilize();
        }
        expect(preVotes.length).to.be.greaterThan(0);
        expect(preVotes.every((m) => m.type === 'MsgPreVote' && m.lostLeader === 1)).to.equal(true);
        expect(net.leader()).to.equal(1);
        for (const id of [1, 3, 4, 5]) expect(net.node(id).status().term).to.equal(1);
        expect(net.node(2).status().campaignReason).to.equal('leaderLost');
      });
    });
  });

  describe('a voter inside its leader lease', () => {
    let net: TestNetwork;
    let voter: RaftNode;
    beforeEach(() => {
      net = new TestNetwork([1, 2, 3], { electionTicks: ELECTION_TICKS });
      electFirst(net);
      voter = net.node(3);
    });

    const granted = (msgs: Message[], type: 'MsgPreVoteResp' | 'MsgVoteResp'): boolean =>
      msgs.some((m) => m.type === type && m.to === 2 && !m.reject);

    it('grants a pre-vote naming its leader when it lost that leader too', () => {
      voter.leaderConnectionLost(1);
      const out = answersTo(voter, voteRequest('MsgPreVote', 2, 3, voter, 1));
      expect(granted(out, 'MsgPreVoteResp')).to.equal(true);
      expect(voter.status().term).to.equal(1);
    });

    it('grants the vote of the election that follows, and moves to its term', () => {
      voter.leaderConnectionLost(1);
      const out = answersTo(voter, voteRequest('MsgVote', 2, 3, voter, 1));
      expect(granted(out, 'MsgVoteResp')).to.equal(true);
      expect(voter.status().term).to.equal(2);
      expect(voter.status().vote).to.equal(2);
    });

    it('ignores a pre-vote naming its leader when its own connection is fine', () => {
      expect(answersTo(voter, voteRequest('MsgPreVote', 2, 3, voter, 1))).to.deep.equal([]);
    });

    it('ignores it once its connection was restored', () => {
      voter.leaderConnectionLost(1);
      voter.leaderConnectionRestored(1);
      expect(answersTo(voter, voteRequest('MsgPreVote', 2, 3, voter, 1))).to.deep.equal([]);
    });

    it('ignores a pre-vote naming another member than its leader', () => {
      voter.leaderConnectionLost(1);
      expect(answersTo(voter, voteRequest('MsgPreVote', 2, 3, voter, 2))).to.deep.equal([]);
    });

    it('ignores a pre-vote that names no lost leader, even while it suspects its leader', () => {
      voter.leaderConnectionLost(1);
      expect(answersTo(voter, voteRequest('MsgPreVote', 2, 3, voter, undefined))).to.deep.equal([]);
    });

    it('ignores a vote naming its leader when its own connection is fine', () => {
      expect(answersTo(voter, voteRequest('MsgVote', 2, 3, voter, 1))).to.deep.equal([]);
      expect(voter.status().term).to.equal(1);
    });

    it('still refuses a candidate whose log is behind (§5.4.1)', () => {
      net.node(1).propose(new TextEncoder().encode('x'));
      net.stabilize();
      voter.leaderConnectionLost(1);
      const stale: MsgVote = { ...voteRequest('MsgPreVote', 2, 3, voter, 1), index: 1 };
      const out = answersTo(voter, stale);
      expect(out.some((m) => m.type === 'MsgPreVoteResp' && m.reject)).to.equal(true);
    });
  });
});
