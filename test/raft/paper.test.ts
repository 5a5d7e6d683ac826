/**
 * Raft behaviour by section of the Raft paper (§5) and thesis (§4 membership, §6.4 reads, §9.6
 * pre-vote), on the synchronous test network.
 */
import { expect } from 'chai';
import { SeededRandom } from '../../server/platform/random.js';
import { ProposalRefusedError, RaftNode, type Message } from '../../server/raft/index.js';
import { emptySnapshot, entry, TestNetwork, text } from './network.js';

function electFirst(net: TestNetwork, id = 1): void {
  net.node(id).campaign();
  net.stabilize();
  expect(net.leader()).to.equal(id);
}

describe('Raft', () => {
  describe('§5.2 leader election', () => {
    it('elects the member that campaigns when all can vote for it', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      for (const id of [2, 3]) {
        expect(net.node(id).status().role).to.equal('follower');
        expect(net.node(id).status().lead).to.equal(1);
      }
      expect(net.node(1).status().term).to.equal(1);
    });

    it('elects a leader from election timeouts alone', () => {
      const net = new TestNetwork([1, 2, 3, 4, 5], {}, 7);
      net.tickAll(40);
      const leader = net.leader();
      expect(leader).to.not.equal(undefined);
      const leaders = [...net.nodes.values()].filter((n) => n.status().role === 'leader');
      expect(leaders).to.have.length(1);
    });

    it('randomizes election timeouts within [electionTicks, 2 × electionTicks)', () => {
      const net = new TestNetwork([1, 2, 3], { electionTicks: 10 });
      net.isolate(1);
      const node = net.node(1);
      let ticks = 0;
      while (node.status().role === 'follower') {
        node.tick();
        ticks++;
      }
      expect(ticks).to.be.within(10, 19);
    });

    it('does not become leader without a quorum of votes', () => {
      const net = new TestNetwork([1, 2, 3]);
      net.isolate(1);
      net.node(1).campaign();
      net.stabilize();
      expect(net.node(1).status().role).to.equal('preCandidate');
      expect(net.node(1).status().term).to.equal(0);
    });

    it('rejects a vote from a candidate whose log is behind (§5.4.1)', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(3);
      net.node(1).propose(text('a'));
      net.stabilize();
      net.heal();
      // 3 missed the entry: it cannot win even when the others are not in a leader lease.
      const n3 = net.node(3);
      for (const id of [1, 2]) net.start(id, { checkQuorum: false });
      n3.campaign();
      net.stabilize();
      expect(n3.status().role).to.not.equal('leader');
    });

    it('grants at most one vote per term', () => {
      const net = new TestNetwork([1, 2, 3], { preVote: false });
      const n3 = net.node(3);
      const vote = (from: number): Message => ({
        type: 'MsgVote',
        from,
        to: 3,
        term: 1,
        index: 0,
        logTerm: 0,
        force: false,
      });
      n3.step(vote(1));
      n3.step(vote(2));
      const rd = n3.ready();
      const answers = rd.messages.filter((m) => m.type === 'MsgVoteResp');
      expect(answers.map((m) => (m.type === 'MsgVoteResp' ? [m.to, m.reject] : []))).to.deep.equal([
        [1, false],
        [2, true],
      ]);
      expect(rd.hardState?.vote).to.equal(1);
    });
  });

  describe('§9.6 pre-vote and check-quorum', () => {
    it('keeps a rejoining partitioned member from disrupting the leader', () => {
      const net = new TestNetwork([1, 2, 3], {}, 3);
      electFirst(net);
      net.isolate(3);
      net.tickAll(60);
      // Pre-vote kept 3's term from rising while it was cut off.
      expect(net.node(3).status().term).to.equal(1);
      net.heal();
      net.tickAll(5);
      expect(net.leader()).to.equal(1);
      expect(net.node(1).status().term).to.equal(1);
    });

    it('steps a leader down when it cannot hear a quorum', () => {
      const net = new TestNetwork([1, 2, 3], {}, 3);
      electFirst(net);
      net.isolate(1);
      for (let i = 0; i < 25; i++) {
        net.node(1).tick();
        net.stabilize();
      }
      expect(net.node(1).status().role).to.equal('follower');
    });

    it('ignores a vote request while in a leader lease', () => {
      const net = new TestNetwork([1, 2, 3], { preVote: false });
      electFirst(net);
      net.node(2).step({ type: 'MsgVote', from: 3, to: 2, term: 5, index: 10, logTerm: 5, force: false });
      expect(net.node(2).status().term).to.equal(1);
    });
  });

  describe('§5.3 log replication', () => {
    it('commits a proposal on all members and applies it in order', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      for (const s of ['a', 'b', 'c']) net.node(1).propose(text(s));
      net.stabilize();
      for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['a', 'b', 'c']);
    });

    it('forwards a follower proposal to the leader', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.node(3).propose(text('from-3'));
      net.stabilize();
      expect(net.appliedData(1)).to.deep.equal(['from-3']);
    });

    it('refuses a proposal when no leader is known', () => {
      const net = new TestNetwork([1, 2, 3]);
      expect(() => net.node(1).propose(text('x')))
        .to.throw(ProposalRefusedError)
        .with.property('reason', 'NO_LEADER');
    });

    it('truncates a follower conflicting suffix and replaces it with the leader entries', () => {
      const net = new TestNetwork([1, 2, 3], { checkQuorum: false });
      electFirst(net);
      net.isolate(1);
      net.node(1).propose(text('lost-1'));
      net.node(1).propose(text('lost-2'));
      net.stabilize();
      net.node(2).campaign();
      net.stabilize();
      expect(net.leader()).to.be.oneOf([1, 2]);
      expect(net.node(2).status().role).to.equal('leader');
      net.node(2).propose(text('kept'));
      net.stabilize();
      net.heal();
      net.node(2).propose(text('kept-2'));
      net.tickAll(2);
      for (const id of [1, 2, 3]) expect(net.appliedData(id)).to.deep.equal(['kept', 'kept-2']);
      const terms = net.store(1).entries.map((e) => e.term);
      expect(terms.every((t, i) => i === 0 || t >= terms[i - 1]!)).to.equal(true);
    });

    it('backs off by whole terms when a follower rejects (fast back-off)', () => {
      const net = new TestNetwork([1, 2, 3], { checkQuorum: false });
      electFirst(net);
      net.isolate(1);
      for (let i = 0; i < 50; i++) net.node(1).propose(text(`stale-${i}`));
      net.stabilize();
      net.node(2).campaign();
      net.stabilize();
      net.node(2).propose(text('new'));
      net.stabilize();
      net.heal();
      net.delivered.length = 0;
      net.node(2).propose(text('new-2'));
      net.tickAll(2);
      const rejections = net.delivered.filter((m) => m.type === 'MsgAppResp' && m.reject);
      expect(rejections.length).to.be.at.most(2);
      expect(net.appliedData(1)).to.deep.equal(['new', 'new-2']);
    });

    it('bounds the appends in flight to a follower in replicate state', () => {
      const net = new TestNetwork([1, 2], { maxInflightMsgs: 4 });
      electFirst(net);
      net.filter = (m) => !(m.type === 'MsgAppResp' && m.from === 2);
      for (let i = 0; i < 20; i++) net.node(1).propose(text(`p${i}`));
      net.stabilize();
      const appsTo2 = net.delivered.filter((m) => m.type === 'MsgApp' && m.to === 2 && m.entries.length > 0);
      expect(appsTo2.length).to.be.at.most(5);
    });
  });

  describe('lost appends', () => {
    it('recovers a follower whose in-flight window filled with lost appends', () => {
      const net = new TestNetwork([1, 2, 3], { maxInflightMsgs: 1 });
      electFirst(net);
      net.node(1).propose(text('warm-up'));
      net.stabilize();
      // Every append to 2 is lost for a while: its window fills and stays full.
      net.filter = (m) => !(m.type === 'MsgApp' && m.to === 2);
      for (let i = 0; i < 5; i++) net.node(1).propose(text(`p${i}`));
      net.stabilize();
      net.filter = () => true;
      net.tickAll(5);
      expect(net.appliedData(2)).to.deep.equal(['warm-up', 'p0', 'p1', 'p2', 'p3', 'p4']);
    });
  });

  describe('§5.4.2 committing entries from previous terms (figure 8)', () => {
    function figure8(bug: boolean): RaftNode {
      const conf = { voters: [1, 2, 3], learners: [] };
      const node = new RaftNode({
        id: 1,
        electionTicks: 10,
        heartbeatTicks: 1,
        random: new SeededRandom(1),
        preVote: false,
        boot: {
          hardState: { term: 2, vote: 0, commit: 1 },
          snapshot: emptySnapshot(conf),
          entries: [entry(1, 1), entry(2, 2)],
        },
        injectedBugs: { commitPreviousTermByCount: bug },
      });
      node.campaign();
      node.step({ type: 'MsgVoteResp', from: 2, to: 1, term: 3, reject: false });
      expect(node.status().role).to.equal('leader');
      expect(node.status().term).to.equal(3);
      // Follower 2 stores index 2 (of term 2) but has not yet acknowledged the term-3 entry.
      node.step({
        type: 'MsgAppResp',
        from: 2,
        to: 1,
        term: 3,
        index: 2,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
      });
      return node;
    }

    it('does not commit an entry of an earlier term by counting replicas', () => {
      const node = figure8(false);
      expect(node.status().commit).to.equal(1);
      node.step({
        type: 'MsgAppResp',
        from: 2,
        to: 1,
        term: 3,
        index: 3,
        reject: false,
        rejectHint: 0,
        logTerm: 0,
      });
      expect(node.status().commit).to.equal(3);
    });

    it('commits it early when the injected bug is on (the checkers must catch this)', () => {
      expect(figure8(true).status().commit).to.equal(2);
    });
  });

  describe('§6.4 ReadIndex', () => {
    it('answers a read on the leader after a heartbeat round, at the commit index', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.node(1).propose(text('x'));
      net.stabilize();
      const commit = net.node(1).status().commit;
      net.node(1).readIndex('r1');
      const answers: string[] = [];
      const rd = net.node(1).ready();
      expect(rd.readStates).to.deep.equal([]);
      net.node(1).advance(rd);
      for (const m of rd.messages) net.node(m.to).step(m);
      for (const id of [2, 3]) {
        const r = net.node(id).ready();
        net.node(id).advance(r);
        for (const m of r.messages) net.node(1).step(m);
      }
      const rd2 = net.node(1).ready();
      for (const rs of rd2.readStates) answers.push(`${rs.context}@${rs.index}`);
      net.node(1).advance(rd2);
      expect(answers).to.deep.equal([`r1@${commit}`]);
    });

    it('answers a read issued on a follower through the leader', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.node(1).propose(text('x'));
      net.stabilize();
      const states: string[] = [];
      net.node(3).readIndex('f1');
      for (let i = 0; i < 10; i++) {
        const n3 = net.node(3);
        if (n3.hasReady()) {
          const rd = n3.ready();
          for (const rs of rd.readStates) states.push(`${rs.context}@${rs.index}`);
          n3.advance(rd);
          for (const m of rd.messages) net.node(m.to).step(m);
        }
        for (const id of [1, 2]) {
          const n = net.node(id);
          if (!n.hasReady()) continue;
          const rd = n.ready();
          n.advance(rd);
          for (const m of rd.messages) net.node(m.to).step(m);
        }
      }
      expect(states).to.deep.equal([`f1@${net.node(1).status().commit}`]);
    });

    it('never confirms a read on a leader cut off from the quorum', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(1);
      net.node(1).readIndex('stale');
      net.stabilize();
      const rd = net.node(1).hasReady() ? net.node(1).ready() : undefined;
      expect(rd?.readStates ?? []).to.deep.equal([]);
    });
  });

  describe('§3.10 leadership transfer', () => {
    it('hands leadership to the named member', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.node(1).propose(text('x'));
      net.stabilize();
      net.node(1).transferLeadership(3);
      net.stabilize();
      expect(net.leader()).to.equal(3);
      expect(net.node(1).status().lead).to.equal(3);
    });

    it('catches the transferee up before handing over', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(3);
      net.node(1).propose(text('x'));
      net.stabilize();
      net.heal();
      net.node(1).transferLeadership(3);
      net.stabilize();
      expect(net.leader()).to.equal(3);
      expect(net.appliedData(3)).to.deep.equal(['x']);
    });

    it('refuses proposals while a transfer is in progress', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(3);
      net.node(1).transferLeadership(3);
      expect(() => net.node(1).propose(text('x')))
        .to.throw(ProposalRefusedError)
        .with.property('reason', 'TRANSFER_IN_PROGRESS');
    });
  });

  describe('§4 membership changes', () => {
    it('adds a learner that catches up without voting, then promotes it', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.node(1).propose(text('before'));
      net.stabilize();
      net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
      net.stabilize();
      net.addNode(4, { voters: [1, 2, 3], learners: [4] });
      net.tickAll(2);
      expect(net.appliedData(4)).to.deep.equal(['before']);
      expect(net.node(1).confState()).to.deep.equal({ voters: [1, 2, 3], learners: [4] });
      net.node(1).proposeConfChange({ type: 'addVoter', nodeId: 4 });
      net.stabilize();
      expect(net.node(1).confState()).to.deep.equal({ voters: [1, 2, 3, 4], learners: [] });
      expect(net.node(4).confState()).to.deep.equal({ voters: [1, 2, 3, 4], learners: [] });
    });

    it('allows only one pending membership change at a time', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(2);
      net.isolate(3);
      net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
      expect(() => net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 5 }))
        .to.throw(ProposalRefusedError)
        .with.property('reason', 'CONF_CHANGE_PENDING');
    });

    it('steps a removed leader down, and the rest elect a new one', () => {
      const net = new TestNetwork([1, 2, 3], {}, 5);
      electFirst(net);
      net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 });
      net.stabilize();
      expect(net.node(1).status().role).to.equal('follower');
      net.isolate(1);
      net.tickAll(40);
      const leader = net.leader();
      expect(leader).to.be.oneOf([2, 3]);
      expect(net.node(leader!).confState().voters).to.deep.equal([2, 3]);
    });

    it('refuses to remove the last voter', () => {
      const net = new TestNetwork([1]);
      electFirst(net);
      expect(() => net.node(1).proposeConfChange({ type: 'removeNode', nodeId: 1 }))
        .to.throw(ProposalRefusedError)
        .with.property('reason', 'INVALID_CONF_CHANGE');
    });
  });

  describe('§7 log compaction and InstallSnapshot', () => {
    it('sends a snapshot to a follower behind the compacted log, which then continues', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      net.isolate(3);
      for (let i = 0; i < 10; i++) net.node(1).propose(text(`e${i}`));
      net.stabilize();
      net.snapshotAndCompact(1);
      expect(net.node(1).status().firstIndex).to.be.greaterThan(2);
      net.heal();
      net.tickAll(2);
      expect(net.delivered.some((m) => m.type === 'MsgSnap' && m.to === 3)).to.equal(true);
      net.node(1).propose(text('after'));
      net.stabilize();
      expect(net.appliedData(3)).to.deep.equal([...Array.from({ length: 10 }, (_, i) => `e${i}`), 'after']);
    });

    it('catches up a member added after the snapshot it receives was taken', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      for (let i = 0; i < 5; i++) net.node(1).propose(text(`e${i}`));
      net.stabilize();
      net.snapshotAndCompact(1);
      net.node(1).proposeConfChange({ type: 'addLearner', nodeId: 4 });
      net.stabilize();
      // The new member boots knowing only the initial configuration, which does not list it.
      net.addNode(4, { voters: [1, 2, 3], learners: [] });
      net.tickAll(3);
      expect(net.appliedData(4)).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4']);
      expect(net.node(4).confState()).to.deep.equal({ voters: [1, 2, 3], learners: [4] });
    });

    it('restarts from a snapshot plus the entries after it', () => {
      const net = new TestNetwork([1, 2, 3]);
      electFirst(net);
      for (let i = 0; i < 5; i++) net.node(1).propose(text(`e${i}`));
      net.stabilize();
      net.snapshotAndCompact(2);
      net.node(1).propose(text('tail'));
      net.stabilize();
      net.start(2);
      net.tickAll(3);
      expect(net.appliedData(2)).to.deep.equal(['e0', 'e1', 'e2', 'e3', 'e4', 'tail']);
    });
  });
});
