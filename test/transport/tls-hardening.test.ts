/**
 * The peer port's TLS hardening (etcd's --peer-crl-file, --peer-cert-allowed-cn,
 * --peer-cert-allowed-hostname, --cipher-suites): refusals inbound and on this member's dials,
 * each next to the control case that passes.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { pemCrls, type PeerTlsOptions } from '../../server/transport/index.js';
import {
  createLeafCertificate,
  createTestPki,
  negotiatedCipher,
  writeCrl,
  type TestPki,
} from '../helpers/tls.js';
import { CLUSTER, heartbeat, knows, Member, meshAll, Signal } from './harness.js';

type Cert = { readonly certFile: string; readonly keyFile: string };

/** Dials a TLS peer port as member 9 with `cert`; true when the acceptor said Hello. */
function saysHello(url: string, ca: string, cert: Cert): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('https', 'wss')}/raft/stream`, {
      ca: readFileSync(ca),
      cert: readFileSync(cert.certFile),
      key: readFileSync(cert.keyFile),
      headers: {
        'x-concord-peer-version': '2',
        'x-concord-cluster-id': CLUSTER,
        'x-concord-from': '9',
        'x-concord-to': '2',
      },
    });
    ws.on('error', () => {});
    ws.on('message', () => {
      ws.terminate();
      resolve(true);
    });
    ws.on('close', () => resolve(false));
  });
}

describe('PeerTransport TLS hardening', function () {
  this.timeout(30_000);
  const signal = new Signal();
  let pki: TestPki;
  let revoked: Cert;
  let otherCn: Cert;
  let named: Cert;
  let crlFile: string;
  let members: Member[] = [];

  before(async () => {
    pki = await createTestPki();
    revoked = await createLeafCertificate(pki, 'revoked');
    otherCn = await createLeafCertificate(pki, 'intruder');
    named = await createLeafCertificate(pki, 'm2', { subjectAltName: 'DNS:m2.cluster.test,IP:127.0.0.1' });
    crlFile = await writeCrl(pki, [revoked.certFile]);
  });
  after(async () => {
    await pki.remove();
  });
  afterEach(async () => {
    await Promise.all(members.map((m) => m.transport.close()));
    members = [];
  });

  const start = async (id: number, cert: Cert, extra: Partial<PeerTlsOptions> = {}): Promise<Member> => {
    const m = await Member.start(id, signal, {
      listenUrls: ['https://127.0.0.1:0'],
      tls: { ...cert, trustedCaFile: pki.caFile, clientCertAuth: true, ...extra },
    });
    members.push(m);
    return m;
  };

  context('with a CRL', () => {
    it('refuses an inbound peer whose certificate is revoked, logging OpenSSL’s reason', async () => {
      const b = await start(2, pki.peer, { crlFile });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, revoked)).to.equal(false);
      await signal.until(() => b.transport.stats().refusedConnections >= 1, 'refusal counted');
      expect(
        b.logger.has('warn', 'peer TLS handshake failed', (f) => f['reason'] === 'CERT_REVOKED'),
      ).to.equal(true);
      expect(b.inbox).to.have.length(0);
    });

    it('accepts an inbound peer whose certificate is not revoked', async () => {
      const b = await start(2, pki.peer, { crlFile });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, pki.peer)).to.equal(true);
    });

    it('does not dial a peer whose server certificate is revoked', async () => {
      const a = await start(1, pki.peer, { crlFile });
      const b = await start(2, revoked);
      meshAll([a, b]);
      a.transport.send([heartbeat(1, 2, 3)]);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 1, 'a failed dial');
      expect(a.isConnectedTo(2)).to.equal(false);
      expect(b.inbox).to.have.length(0);
    });

    it('applies new CRLs from setCrl to the next handshakes', async () => {
      const none = await writeCrl(pki, [], `${pki.dir}/none.crl`);
      const b = await start(2, pki.peer, { crlFile: none });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, revoked)).to.equal(true);
      b.transport.setCrl(pemCrls(readFileSync(crlFile), crlFile));
      expect(await saysHello(b.url, pki.caFile, revoked)).to.equal(false);
      expect(await saysHello(b.url, pki.caFile, pki.peer)).to.equal(true);
    });

    it('refuses a start with a file that holds no CRL', async () => {
      let error: unknown;
      try {
        await start(1, pki.peer, { crlFile: pki.caFile });
      } catch (err) {
        error = err;
      }
      expect(String(error)).to.include('holds no PEM X509 CRL');
    });
  });

  context('with an allowed CN', () => {
    it('refuses an inbound peer with another CN and logs why', async () => {
      const b = await start(2, pki.peer, { allowedCn: 'peer' });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, otherCn)).to.equal(false);
      await signal.until(
        () =>
          b.logger.has('warn', 'peer certificate refused', (f) => String(f['reason']).includes('intruder')),
        'refusal logged',
      );
      expect(b.transport.stats().refusedConnections).to.be.at.least(1);
    });

    it('accepts the allowed CN', async () => {
      const b = await start(2, pki.peer, { allowedCn: 'peer' });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, pki.peer)).to.equal(true);
    });

    it('does not dial a peer whose server certificate has another CN', async () => {
      const a = await start(1, pki.peer, { allowedCn: 'peer' });
      const b = await start(2, otherCn);
      meshAll([a, b]);
      a.transport.send([heartbeat(1, 2, 3)]);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 1, 'a failed dial');
      expect(b.inbox).to.have.length(0);
    });

    it('lets members with the allowed CN exchange messages both ways', async () => {
      const a = await start(1, pki.peer, { allowedCn: 'peer' });
      const b = await start(2, pki.peer, { allowedCn: 'peer' });
      meshAll([a, b]);
      await a.connect(b);
      await b.connect(a);
      a.transport.send([heartbeat(1, 2, 7)]);
      b.transport.send([heartbeat(2, 1, 8)]);
      await signal.until(() => a.inbox.length === 1 && b.inbox.length === 1, 'both heartbeats');
    });
  });

  context('with an allowed hostname', () => {
    it('refuses an inbound peer whose SANs do not cover it', async () => {
      const b = await start(2, named, { allowedHostname: 'm2.cluster.test' });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, pki.peer)).to.equal(false);
      await signal.until(() => b.logger.has('warn', 'peer certificate refused'), 'refusal logged');
    });

    it('accepts a peer whose SANs cover it', async () => {
      const b = await start(2, pki.peer, { allowedHostname: 'm2.cluster.test' });
      knows(b, 9);
      expect(await saysHello(b.url, pki.caFile, named)).to.equal(true);
    });

    it('does not dial a peer whose server certificate does not cover it', async () => {
      const a = await start(1, named, { allowedHostname: 'm2.cluster.test' });
      const b = await start(2, pki.peer);
      meshAll([a, b]);
      a.transport.send([heartbeat(1, 2, 3)]);
      await signal.until(() => (a.peerStats(2)?.dialFailures ?? 0) >= 1, 'a failed dial');
      expect(b.inbox).to.have.length(0);
    });
  });

  context('with a cipher list', () => {
    const negotiated = (url: string, maxVersion: 'TLSv1.2' | 'TLSv1.3', ciphers?: string) =>
      negotiatedCipher(url, pki, { maxVersion, ...(ciphers !== undefined ? { ciphers } : {}) });

    it('negotiates the listed TLS 1.2 suite, and only it', async () => {
      const b = await start(2, pki.peer, { ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' });
      expect(await negotiated(b.url, 'TLSv1.2')).to.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
      expect(await negotiated(b.url, 'TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256')).to.match(/^error: /);
    });

    it('negotiates another suite without the list (control)', async () => {
      const b = await start(2, pki.peer);
      expect(await negotiated(b.url, 'TLSv1.2')).to.not.equal('ECDHE-ECDSA-AES256-GCM-SHA384');
    });

    it('refuses TLS 1.3 with maxVersion TLSv1.2', async () => {
      const b = await start(2, pki.peer, { maxVersion: 'TLSv1.2' });
      expect(await negotiated(b.url, 'TLSv1.3')).to.match(/^ECDHE-/);
    });
  });
});
