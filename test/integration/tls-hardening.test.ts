/**
 * A member started with etcd's TLS hardening flags (startMember, as `concord serve` maps them):
 * --client-crl-file (and its reload), --cipher-suites on both ports, and the startup errors of a
 * bad suite name or a file that holds no CRL. Each refusal sits beside the case that passes.
 */
import { expect } from 'chai';
import { copyFile } from 'node:fs/promises';
import { InvalidConfigError, startMember } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, tlsFlags, type TestMember } from '../helpers/test-member.js';
import {
  createLeafCertificate,
  createTestPki,
  httpsRequest,
  negotiatedCipher,
  writeCrl,
  type TestPki,
} from '../helpers/tls.js';

type Cert = { readonly certFile: string; readonly keyFile: string };

/** GET /health with `cert`: the status, or `refused: …` when the connection is refused. */
async function health(url: string, pki: TestPki, cert: Cert): Promise<number | string> {
  const r = await httpsRequest(`${url}/health`, pki, { cert });
  return typeof r === 'string' ? r : r.status;
}

const negotiated = negotiatedCipher;

describe('member TLS hardening', function () {
  this.timeout(60_000);
  let pki: TestPki;

  before(async () => {
    pki = await createTestPki();
  });
  after(async () => {
    await pki.remove();
  });

  context('with --client-crl-file', () => {
    let m: TestMember;
    let revoked: Cert;
    let late: Cert;
    let crlFile: string;
    const log: string[] = [];

    before(async () => {
      revoked = await createLeafCertificate(pki, 'revoked-client');
      late = await createLeafCertificate(pki, 'late-client');
      crlFile = await writeCrl(pki, [revoked.certFile], `${pki.dir}/clients.crl`);
      m = await startTestMember('crl', {
        tls: pki,
        flags: { clientCrlFile: crlFile },
        logWrite: (line) => log.push(line),
      });
    });
    after(async () => {
      await m?.stop();
    });

    it('serves a client whose certificate is not revoked', async () => {
      expect(await health(m.url, pki, pki.peer)).to.equal(200);
      expect(await health(m.url, pki, late)).to.equal(200);
    });

    it('refuses a client whose certificate is revoked and logs CERT_REVOKED', async () => {
      expect(await health(m.url, pki, revoked)).to.match(/^refused: /);
      await eventually('the refusal logged', () =>
        log.some((l) => l.includes('client TLS handshake failed') && l.includes('CERT_REVOKED'))
          ? true
          : undefined,
      );
    });

    it('re-reads the file when it changes: a newly revoked certificate is refused without a restart', async () => {
      await writeCrl(pki, [revoked.certFile, late.certFile], crlFile);
      await eventually('the late client refused', async () =>
        typeof (await health(m.url, pki, late)) === 'string' ? true : undefined,
      );
      expect(await health(m.url, pki, pki.peer)).to.equal(200);
      expect(log.some((l) => l.includes('CRL file reloaded'))).to.equal(true);
    });

    it('keeps the CRLs in force when the file is replaced by one without a CRL', async () => {
      const before = log.length;
      await copyFile(pki.caFile, crlFile);
      await eventually('the refused reload logged', () =>
        log.slice(before).some((l) => l.includes('CRL file not reloaded')) ? true : undefined,
      );
      expect(await health(m.url, pki, late)).to.match(/^refused: /);
      expect(await health(m.url, pki, pki.peer)).to.equal(200);
    });
  });

  context('with --cipher-suites', () => {
    let m: TestMember;
    before(async () => {
      m = await startTestMember('ciphers', {
        tls: pki,
        flags: { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'] },
      });
    });
    after(async () => {
      await m?.stop();
    });

    it('negotiates the listed suite over TLS 1.2 on the client and the peer port', async () => {
      for (const url of [m.url, m.member.peerUrls[0]!]) {
        expect(await negotiated(url, pki, { maxVersion: 'TLSv1.2' })).to.equal(
          'ECDHE-ECDSA-AES256-GCM-SHA384',
        );
        expect(
          await negotiated(url, pki, { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
        ).to.match(/^error: /);
      }
    });

    it('leaves TLS 1.3 to its own suites, as etcd does', async () => {
      expect(await negotiated(m.url, pki, { maxVersion: 'TLSv1.3' })).to.match(/^TLS_AES_/);
    });
  });

  context('with --tls-max-version TLS1.2', () => {
    it('negotiates TLS 1.2 with a client that offers 1.3', async () => {
      const m = await startTestMember('tls12', {
        tls: pki,
        flags: { cipherSuites: ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'], tlsMaxVersion: 'TLS1.2' },
      });
      try {
        expect(await negotiated(m.url, pki, { maxVersion: 'TLSv1.3' })).to.equal(
          'ECDHE-ECDSA-AES256-GCM-SHA384',
        );
      } finally {
        await m.stop();
      }
    });
  });

  context('a bad value refuses the start', () => {
    const start = (flags: Parameters<typeof startMember>[0]) =>
      startMember({
        name: 'bad',
        dataDir: `${pki.dir}/never`,
        listenClientUrls: ['https://127.0.0.1:0'],
        listenPeerUrls: ['https://127.0.0.1:0'],
        ...tlsFlags(pki),
        ...flags,
      }).then(
        async (h) => {
          await h.stop();
          return undefined;
        },
        (err: unknown) => err,
      );

    it('an unknown cipher suite name', async () => {
      const err = await start({
        cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_NO_SUCH_SUITE'],
      });
      expect(err).to.be.instanceOf(InvalidConfigError).with.property('field', 'cipherSuites');
      expect((err as Error).message).to.include("unknown cipher suite 'TLS_NO_SUCH_SUITE'");
    });

    it('a file that holds no CRL', async () => {
      const err = await start({ peerCrlFile: pki.caFile });
      expect(err).to.be.instanceOf(InvalidConfigError).with.property('field', 'peerCrlFile');
      expect((err as Error).message).to.include('holds no PEM X509 CRL');
    });
  });
});
