/**
 * A member with `--auth-token jwt,...`: tokens are JWTs any member can verify, a token signed by
 * another key is refused, and a token issued before an auth change answers AUTH_OLD_REVISION (etcd's
 * rule for JWTs: authenticate again).
 */
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtTokens } from '../../../server/auth/index.js';
import { NodeClock } from '../../../server/platform/node-clock.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';
import { b64, type Json } from '../helpers.js';

async function post(
  url: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = token;
  const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: res.status, json: (await res.json()) as Json };
}

function pems(): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

describe('auth with JWT tokens', function () {
  this.timeout(60_000);
  let dir: string;
  let m: TestMember;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'concord-jwt-'));
    const keys = pems();
    await writeFile(join(dir, 'pub.pem'), keys.pub);
    await writeFile(join(dir, 'priv.pem'), keys.priv);
    m = await startTestMember('jwtauth', {
      flags: {
        authToken: `jwt,pub-key=${join(dir, 'pub.pem')},priv-key=${join(dir, 'priv.pem')},sign-method=ES256`,
      },
    });
    for (const [path, body] of [
      ['/v3/auth/user/add', { name: 'root', password: 'rootpw' }],
      ['/v3/auth/user/grant', { user: 'root', role: 'root' }],
      ['/v3/auth/enable', {}],
    ] as const)
      expect((await post(m.url, path, body)).status).to.equal(200);
  });
  after(async () => {
    await m?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('issues a JWT that the member verifies, and refuses one signed with another key', async () => {
    const token = (await post(m.url, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json[
      'token'
    ];
    expect(String(token).split('.')).to.have.length(3);
    expect(
      (await post(m.url, '/v3/kv/put', { key: b64('k'), value: b64('v') }, String(token))).status,
    ).to.equal(200);
    const other = pems();
    const rev = Number((await post(m.url, '/v3/auth/status', {})).json['authRevision']);
    const mallory = await JwtTokens.fromPem(new NodeClock(), 'ES256', 60_000, other.pub, other.priv);
    const forged = await mallory.sign('root', rev);
    const r = await post(m.url, '/v3/kv/put', { key: b64('k'), value: b64('forged') }, forged);
    expect([r.status, r.json['error']]).to.deep.equal([401, 'etcdserver: invalid auth token']);
  });

  it('answers AUTH_OLD_REVISION for a token issued before an auth change', async () => {
    const token = String(
      (await post(m.url, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json['token'],
    );
    expect((await post(m.url, '/v3/auth/role/add', { name: 'later' }, token)).status).to.equal(200);
    const r = await post(m.url, '/v3/kv/range', { key: b64('k') }, token);
    expect([r.status, r.json['error']]).to.deep.equal([400, 'etcdserver: revision of auth store is old']);
  });
});
