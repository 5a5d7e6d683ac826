import { expect } from 'chai';
import { SeededRandom } from '../../server/platform/random.js';
import type { Message } from '../../server/raft/index.js';
import { Scheduler } from './scheduler.js';
import { CALM_NETWORK, SimNetwork, type NetworkConditions } from './sim-network.js';

function heartbeat(from: number, to: number, commit = 0): Message {
  return { type: 'MsgHeartbeat', from, to, term: 1, commit, context: '' };
}

function setup(conditions: NetworkConditions, seed = 7): { s: Scheduler; net: SimNetwork; got: Message[] } {
  const s = new Scheduler();
  const got: Message[] = [];
  const net = new SimNetwork(s, new SeededRandom(seed), conditions, (m) => got.push(m));
  return { s, net, got };
}

function drain(s: Scheduler): void {
  while (s.step()) {
    // drain
  }
}

describe('SimNetwork', () => {
  describe('#send', () => {
    it('delivers every message after at least the minimum latency', () => {
      const { s, net, got } = setup({ ...CALM_NETWORK, latencyMinMs: 2, latencyMeanMs: 3 });
      const times: number[] = [];
      for (let i = 0; i < 100; i++) net.send(heartbeat(1, 2, i));
      while (s.step()) times.push(s.nowMs);
      expect(got).to.have.length(100);
      expect(Math.min(...times)).to.be.at.least(2);
    });

    context('when the loss rate is 1', () => {
      it('delivers nothing', () => {
        const { s, net, got } = setup({ ...CALM_NETWORK, lossRate: 1 });
        for (let i = 0; i < 20; i++) net.send(heartbeat(1, 2));
        drain(s);
        expect(got).to.have.length(0);
        expect(net.stats.lost).to.equal(20);
      });
    });

    context('when the duplicate rate is 1', () => {
      it('delivers every message twice', () => {
        const { s, net, got } = setup({ ...CALM_NETWORK, duplicateRate: 1 });
        for (let i = 0; i < 10; i++) net.send(heartbeat(1, 2, i));
        drain(s);
        expect(got).to.have.length(20);
      });
    });

    it('keeps each link FIFO when no message is picked for reordering', () => {
      const { s, net, got } = setup({ ...CALM_NETWORK, latencyMeanMs: 20 });
      for (let i = 0; i < 200; i++) net.send(heartbeat(1 + (i % 2), 3, i));
      drain(s);
      for (const from of [1, 2]) {
        const commits = got
          .filter((m) => m.from === from)
          .map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1));
        expect(commits).to.have.length(100);
        expect(commits).to.deep.equal([...commits].sort((a, b) => a - b));
      }
    });

    context('when messages are reordered', () => {
      it('lets later messages overtake earlier ones', () => {
        const { s, net, got } = setup({
          ...CALM_NETWORK,
          latencyMeanMs: 0,
          reorderRate: 0.5,
          reorderDelayMs: 50,
        });
        for (let i = 0; i < 50; i++) net.send(heartbeat(1, 2, i));
        drain(s);
        const commits = got.map((m) => (m.type === 'MsgHeartbeat' ? m.commit : -1));
        expect(commits).to.have.length(50);
        expect(commits).to.not.deep.equal([...commits].sort((a, b) => a - b));
      });
    });
  });

  describe('#cut', () => {
    it('blocks one direction only (asymmetric partition)', () => {
      const { s, net, got } = setup(CALM_NETWORK);
      net.cut(1, 2);
      net.send(heartbeat(1, 2));
      net.send(heartbeat(2, 1));
      drain(s);
      expect(got.map((m) => `${m.from}>${m.to}`)).to.deep.equal(['2>1']);
      expect(net.describeCuts()).to.equal('1→2');
    });

    it('drops a message that is in flight when its link is cut', () => {
      const { s, net, got } = setup({ ...CALM_NETWORK, latencyMinMs: 10 });
      net.send(heartbeat(1, 2));
      net.cut(1, 2);
      drain(s);
      expect(got).to.have.length(0);
      expect(net.stats.cut).to.equal(1);
    });
  });

  describe('#partition', () => {
    it('blocks both directions between the groups and nothing inside them', () => {
      const { s, net, got } = setup(CALM_NETWORK);
      net.partition([1], [2, 3]);
      for (const [a, b] of [
        [1, 2],
        [2, 1],
        [1, 3],
        [2, 3],
        [3, 2],
      ] as const) {
        net.send(heartbeat(a, b));
      }
      drain(s);
      expect(got.map((m) => `${m.from}>${m.to}`).sort()).to.deep.equal(['2>3', '3>2']);
      expect(net.describeCuts()).to.equal('1↔2 1↔3');
    });
  });

  describe('#healAll', () => {
    it('restores every link', () => {
      const { s, net, got } = setup(CALM_NETWORK);
      net.partition([1], [2]);
      net.healAll();
      net.send(heartbeat(1, 2));
      drain(s);
      expect(got).to.have.length(1);
      expect(net.describeCuts()).to.equal('none');
    });
  });

  it('replays the same deliveries at the same times for the same seed', () => {
    const run = (seed: number): string => {
      const { s, net } = setup(
        { ...CALM_NETWORK, lossRate: 0.2, duplicateRate: 0.2, reorderRate: 0.2, reorderDelayMs: 9 },
        seed,
      );
      const out: string[] = [];
      const net2 = net;
      for (let i = 0; i < 100; i++) net2.send(heartbeat(1 + (i % 3), 4, i));
      while (s.step()) out.push(s.nowMs.toFixed(6));
      return out.join(',');
    };
    expect(run(3)).to.equal(run(3));
    expect(run(3)).to.not.equal(run(4));
  });
});
