/**
 * The SDK over wss:// to a member with client-certificate authentication (startMember,
 * in-process): TLS material given as Node's `tls` takes it (PEM text, Buffers, arrays of either),
 * and a refused handshake reported as what it is, with Node's code in the message, as soon as every
 * attempt failed (not as a request timeout).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Client, RequestTimeoutError, UnreachableError, type TlsOptions } from '../../../client/index.js';
import type { MemberHandle } from '../../../server/index.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';
import { rejectionOf } from '../../helpers/rejection.js';
import { createTestPki, type TestPki } from '../../helpers/tls.js';

describe('Client over TLS', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let started: TestMember | undefined;
  let member: MemberHandle;

  before(async () => {
    pki = await createTestPki();
    started = await startTestMember('tls', { tls: pki });
    ({ member } = started);
  });

  after(async () => {
    await started?.stop();
    await pki?.remove();
  });

  /** A client that would wait long for an answer: a failure must not come from that deadline. */
  function clientWith(tls: TlsOptions): Client {
    return new Client({ endpoints: [...member.clientUrls], tls, requestTimeoutMs: 30_000 });
  }

  describe('certificates and keys', () => {
    it('are accepted as PEM text', async () => {
      await using client = clientWith({
        ca: readFileSync(pki.caFile, 'utf8'),
        cert: readFileSync(pki.peer.certFile, 'utf8'),
        key: readFileSync(pki.peer.keyFile, 'utf8'),
      });
      await client.put('secure', 'yes');
      expect(await client.getText('secure')).to.equal('yes');
      expect(client.endpoint?.startsWith('wss://')).to.equal(true);
    });

    it('are accepted as Buffers, as read from a file', async () => {
      await using client = clientWith({
        ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.peer.certFile),
        key: readFileSync(pki.peer.keyFile),
      });
      await client.put('secure/buffer', 'yes');
      expect(await client.getText('secure/buffer')).to.equal('yes');
    });

    it('are accepted as arrays of Buffers and text (a CA bundle)', async () => {
      await using client = clientWith({
        ca: [readFileSync(pki.otherCaFile), readFileSync(pki.caFile, 'utf8')],
        cert: [readFileSync(pki.peer.certFile)],
        key: [readFileSync(pki.peer.keyFile)],
      });
      await client.put('secure/array', 'yes');
      expect(await client.getText('secure/array')).to.equal('yes');
    });
  });

  describe('a refused handshake', () => {
    it('without a client certificate: ready() and calls fail with the TLS alert, not a timeout', async () => {
      await using client = clientWith({ ca: readFileSync(pki.caFile) });
      const notReady = await rejectionOf(client.ready());
      expect(notReady).to.be.instanceOf(UnreachableError);
      const error = notReady as UnreachableError;
      expect(error.message).to.match(/TLS handshake failed: .*certificate required/);
      expect(error.message).to.include('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      expect(error.failures[0]?.tls).to.equal(true);
      expect(error.failures[0]?.code).to.equal('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
      const put = await rejectionOf(client.put('k', 'v'));
      expect(put).to.be.instanceOf(UnreachableError);
      expect(put).to.not.be.instanceOf(RequestTimeoutError);
      expect((put as Error).message).to.include('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    });

    it('from a member whose CA is unknown: fails with the certificate verification reason', async () => {
      await using client = clientWith({
        ca: readFileSync(pki.otherCaFile),
        cert: readFileSync(pki.peer.certFile),
        key: readFileSync(pki.peer.keyFile),
      });
      const failures: string[] = [];
      client.on('status', (s) => {
        if (s.type === 'connectFailed') failures.push(s.error.message);
      });
      const error = await rejectionOf(client.ready());
      expect(error).to.be.instanceOf(UnreachableError);
      const { message, failures: last } = error as UnreachableError;
      // Node's code for an untrusted chain (self-signed root not in `ca`).
      expect(message).to.match(
        /TLS handshake failed: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
      );
      expect(last[0]?.tls).to.equal(true);
      expect(failures.length).to.be.greaterThan(0);
      expect(client.state).to.not.equal('connected');
    });
  });
});
