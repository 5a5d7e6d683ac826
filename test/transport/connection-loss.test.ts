/**
 * The reports the early pre-vote is made of (outbound.ts, docs/raft.md): 'established' on every
 * open stream, and 'lost' when an open stream was closed and the immediate redial failed too —
 * never for a reset that the redial repairs, and never before a first connection.
 */
import { expect } from 'chai';
import { TcpProxy } from '../cluster/tcp-proxy.js';
import { freePort } from '../helpers/ports.js';
import { closedPortUrl, knows, Member, Signal } from './harness.js';

interface Report {
  readonly peer: number;
  readonly event: 'established' | 'lost';
}

describe('PeerTransport connection reports', () => {
  let signal: Signal;
  let members: Member[];
  let proxies: TcpProxy[];

  beforeEach(() => {
    signal = new Signal();
    members = [];
    proxies = [];
  });

  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    await Promise.all(proxies.map((p) => p.close()));
  });

  async function start(id: number): Promise<{ member: Member; reports: Report[] }> {
    const member = await Member.start(id, signal);
    members.push(member);
    const reports: Report[] = [];
    member.transport.onPeerConnection((peer, event) => {
      reports.push({ peer, event });
      signal.notify();
    });
    return { member, reports };
  }

  /** A proxy in front of `target`'s peer port, so the test can reset and refuse its connections. */
  async function proxyTo(target: Member): Promise<{ proxy: TcpProxy; url: string }> {
    const port = await freePort();
    const targetUrl = new URL(target.url);
    const proxy = new TcpProxy('127.0.0.1', port, targetUrl.hostname, Number(targetUrl.port));
    await proxy.start();
    proxies.push(proxy);
    return { proxy, url: `http://127.0.0.1:${port}` };
  }

  const count = (reports: Report[], event: Report['event']): number =>
    reports.filter((r) => r.event === event).length;

  context('when the peer process is gone (its port refuses)', () => {
    it('reports the stream established, then lost once', async () => {
      const { member: a, reports } = await start(1);
      const b = (await start(2)).member;
      knows(b, 1); // the handshake accepts only current members
      a.transport.addPeer(2, [b.url]);
      await a.connect(b);
      expect(reports).to.deep.equal([{ peer: 2, event: 'established' }]);
      expect(a.transport.connectionClosed(2)).to.equal(false);
      await b.transport.close();
      await signal.until(() => count(reports, 'lost') === 1, 'the loss report');
      // Closed by the peer's side and not back: the replica holds proposals instead of sending.
      expect(a.transport.connectionClosed(2)).to.equal(true);
      expect(reports).to.deep.equal([
        { peer: 2, event: 'established' },
        { peer: 2, event: 'lost' },
      ]);
      expect(a.peerStats(2)?.connectionsLost).to.equal(1);
      // Redials keep failing with backoff, and are not reported again.
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 3, 'more failed redials');
      expect(count(reports, 'lost')).to.equal(1);
    });
  });

  context('when the connection is reset but the peer still answers', () => {
    it('redials at once and reports it established again, not lost', async () => {
      const { member: a, reports } = await start(1);
      const b = (await start(2)).member;
      knows(b, 1); // the handshake accepts only current members
      const { proxy, url } = await proxyTo(b);
      a.transport.addPeer(2, [url]);
      await a.connect(b);
      proxy.block();
      proxy.unblock();
      await signal.until(() => count(reports, 'established') === 2, 'the second established stream');
      expect(count(reports, 'lost')).to.equal(0);
      expect(a.transport.connectionClosed(2)).to.equal(false);
    });
  });

  context('when the path refuses after the reset, then comes back (a flap)', () => {
    it('reports lost, then established when the backoff redial gets through', async () => {
      const { member: a, reports } = await start(1);
      const b = (await start(2)).member;
      knows(b, 1); // the handshake accepts only current members
      const { proxy, url } = await proxyTo(b);
      a.transport.addPeer(2, [url]);
      await a.connect(b);
      for (let flap = 1; flap <= 3; flap++) {
        proxy.block();
        await signal.until(() => count(reports, 'lost') === flap, `loss ${flap}`);
        proxy.unblock();
        await signal.until(() => count(reports, 'established') === flap + 1, `re-establishment ${flap}`);
      }
    });
  });

  context('when the peer was never reached', () => {
    it('reports nothing, however many dials fail', async () => {
      const { member: a, reports } = await start(1);
      a.transport.addPeer(2, [await closedPortUrl()]);
      a.transport.connect(2);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 3, 'three failed dials');
      expect(reports).to.deep.equal([]);
    });
  });
});
