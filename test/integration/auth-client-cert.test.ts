/**
 * `--client-cert-auth` with auth on: a request without a token is served as the user its verified
 * client certificate's CN names (as etcd does), on all three doors — the SDK over wss://, the
 * gateway over https, gRPC with etcdctl — and only within that user's permissions. A
 * certificate-only user (`no_password`) cannot authenticate with a password; a CN that names no
 * user is refused; a token, when sent, wins over the certificate.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { Client, PermissionDeniedError, type TlsOptions } from '../../client/index.js';
import { rejectionOf } from '../helpers/rejection.js';
import { requireEtcdctl, runEtcdctl } from '../helpers/etcdctl.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { createLeafCertificate, createTestPki, type TestPki } from '../helpers/tls.js';

describe('auth with client-certificate users', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let m: TestMember;
  let alice: { certFile: string; keyFile: string };

  const tlsOf = (files: { certFile: string; keyFile: string }): TlsOptions => ({
    ca: readFileSync(pki.caFile),
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
  });
  const client = (
    files: { certFile: string; keyFile: string },
    auth?: { username: string; password: string },
  ) =>
    new Client({
      endpoints: [m.url],
      tls: tlsOf(files),
      requestTimeoutMs: 20_000,
      ...(auth === undefined ? {} : { auth }),
    });

  before(async () => {
    pki = await createTestPki();
    alice = await createLeafCertificate(pki, 'alice');
    m = await startTestMember('cert-auth', { tls: pki });
    // Auth is off: the admin (CN=peer, no such user) may set everything up.
    await using admin = client(pki.peer);
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.userAdd('alice', '', { noPassword: true });
    await admin.auth.roleAdd('app');
    await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
    await admin.auth.userGrantRole('alice', 'app');
    await admin.put('other', 'before');
    await admin.auth.enable();
  });
  after(async () => {
    await m?.stop();
    await pki?.remove();
  });

  it('serves the CN user over the WebSocket protocol within its permissions only', async () => {
    await using c = client(alice);
    await c.put('app/ws', 'one');
    expect(await c.getText('app/ws')).to.equal('one');
    const denied = await rejectionOf(c.put('other', 'after'));
    expect(denied).to.be.instanceOf(PermissionDeniedError);
    expect(await rejectionOf(c.auth.userList())).to.be.instanceOf(PermissionDeniedError);
    await using root = client(alice, { username: 'root', password: 'rootpw' });
    // The token (root's) wins over the certificate (alice's).
    expect(await root.auth.userList()).to.deep.equal(['alice', 'root']);
    expect(await root.getText('other')).to.equal('before');
  });

  it('refuses a certificate whose CN names no user, and a password for a certificate-only user', async () => {
    await using stranger = client(pki.peer); // CN=peer: no such user
    const e = await rejectionOf(stranger.put('app/x', 'v'));
    expect(e).to.be.instanceOf(PermissionDeniedError);
    expect((e as Error).message).to.match(/peer/);
    await using anyone = client(pki.peer);
    const login = await rejectionOf(anyone.auth.authenticate('alice', ''));
    expect((login as { code?: string }).code).to.equal('AUTH_FAILED');
    const login2 = await rejectionOf(anyone.auth.authenticate('alice', 'guess'));
    expect((login2 as { code?: string }).code).to.equal('AUTH_FAILED');
  });

  it('serves the CN user over the gateway (https) without an Authorization header', async () => {
    const post = (path: string, body: object): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request(
          `${m.url}${path}`,
          {
            method: 'POST',
            ca: readFileSync(pki.caFile),
            cert: readFileSync(alice.certFile),
            key: readFileSync(alice.keyFile),
            headers: { 'content-type': 'application/json' },
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(body));
      });
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    expect((await post('/v3/kv/put', { key: b64('app/gw'), value: b64('v') })).status).to.equal(200);
    const denied = await post('/v3/kv/put', { key: b64('other'), value: b64('after') });
    expect(denied.status).to.equal(403);
    expect(denied.body).to.contain('permission denied');
  });

  it('serves the CN user over gRPC (etcdctl --cert)', async function () {
    requireEtcdctl(this);
    const tls = [`--cacert=${pki.caFile}`, `--cert=${alice.certFile}`, `--key=${alice.keyFile}`];
    const endpoint = [m.url.replace(/^https:\/\//, '')];
    const put = await runEtcdctl(endpoint, [...tls, 'put', 'app/grpc', 'v']);
    expect(put.code, put.stderr).to.equal(0);
    expect(put.stdout).to.equal('OK\n');
    const denied = await runEtcdctl(endpoint, [...tls, 'put', 'other', 'after']);
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.contain('etcdserver: permission denied');
    await using root = client(alice, { username: 'root', password: 'rootpw' });
    expect(await root.getText('other')).to.equal('before');
    expect(await root.getText('app/grpc')).to.equal('v');
  });
});
