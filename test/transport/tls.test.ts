/** Loopback over TLS: mutual authentication between members, refusal of certificate-less peers. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { CLUSTER, heartbeat, meshAll, Member, Signal, knows } from './harness.js';

interface RawOutcome {
  readonly opened: boolean;
  readonly hello: boolean;
  readonly error: string | undefined;
}

/** Dials a TLS peer port with the given client credentials; settles when the socket closes or says Hello. */
function rawTlsPeer(url: string, tls: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('https', 'wss')}/raft/stream`, {
      ...tls,
      headers: {
        'x-concord-peer-version': '2',
        'x-concord-cluster-id': CLUSTER,
        'x-concord-from': '9',
        'x-concord-to': '2',
      },
    });
    let opened = false;
    let error: string | undefined;
    ws.on('open', () => {
      opened = true;
    });
    ws.on('error', (err) => {
      error = err.message;
    });
    ws.on('message', () => {
      ws.terminate();
      resolve({ opened, hello: true, error });
    });
    ws.on('close', () => resolve({ opened, hello: false, error }));
  });
}

describe('PeerTransport (loopback TLS)', function () {
  this.timeout(20_000);
  const signal = new Signal();
  let pki: TestPki;
  let members: Member[] = [];

  before(async () => {
    pki = await createTestPki();
  });
  after(async () => {
    await pki.remove();
  });
  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  const tlsMember = (id: number, clientCertAuth: boolean): Promise<Member> =>
    Member.start(id, signal, {
      listenUrls: ['https://127.0.0.1:0'],
      tls: { ...pki.peer, trustedCaFile: pki.caFile, clientCertAuth },
    });

  context('with clientCertAuth', () => {
    it('lets members with CA-signed certificates exchange messages', async () => {
      const a = await tlsMember(1, true);
      const b = await tlsMember(2, true);
      members = [a, b];
      expect(a.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      meshAll(members);
      await a.connect(b);
      await b.connect(a);
      a.transport.send([heartbeat(1, 2, 7)]);
      b.transport.send([heartbeat(2, 1, 8)]);
      await signal.until(() => a.inbox.length === 1 && b.inbox.length === 1, 'both heartbeats');
      expect(b.inbox[0]).to.deep.include({ from: 1, commit: 7 });
    });

    it('refuses a peer without a client certificate', async () => {
      const b = await tlsMember(2, true);
      members = [b];
      const outcome = await rawTlsPeer(b.url, { ca: readFileSync(pki.caFile) });
      expect(outcome.hello).to.equal(false);
      expect(outcome.error).to.be.a('string');
      await signal.until(() => b.transport.stats().refusedConnections >= 1, 'refusal counted');
      expect(b.logger.has('warn', 'peer TLS handshake failed')).to.equal(true);
      expect(b.inbox).to.have.length(0);
    });

    it('refuses a peer whose certificate comes from another CA', async () => {
      const b = await tlsMember(2, true);
      members = [b];
      const outcome = await rawTlsPeer(b.url, {
        ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.stranger.certFile),
        key: readFileSync(pki.stranger.keyFile),
      });
      expect(outcome.hello).to.equal(false);
    });

    it('accepts the raw client when it presents the CA-signed certificate (control case)', async () => {
      const b = await tlsMember(2, true);
      members = [b];
      knows(b, 9);
      const outcome = await rawTlsPeer(b.url, {
        ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.peer.certFile),
        key: readFileSync(pki.peer.keyFile),
      });
      expect(outcome.hello).to.equal(true);
    });
  });

  context('without clientCertAuth', () => {
    it('accepts a peer without a client certificate', async () => {
      const b = await tlsMember(2, false);
      members = [b];
      knows(b, 9);
      const outcome = await rawTlsPeer(b.url, { ca: readFileSync(pki.caFile) });
      expect(outcome.hello).to.equal(true);
    });
  });

  context('when the dialer does not trust the server certificate', () => {
    it('fails the dial and delivers nothing', async () => {
      const a = await Member.start(1, signal, {
        listenUrls: ['https://127.0.0.1:0'],
        tls: { ...pki.peer, trustedCaFile: pki.otherCaFile },
      });
      const b = await tlsMember(2, false);
      members = [a, b];
      a.transport.addPeer(2, [b.url]);
      a.transport.send([heartbeat(1, 2, 0)]);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 1, 'a failed dial');
      expect(a.isConnectedTo(2)).to.equal(false);
      expect(b.inbox).to.have.length(0);
    });
  });
});
