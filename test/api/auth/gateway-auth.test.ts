/**
 * Access control over the etcd JSON gateway, on a real member: etcd's `/v3/auth/*` paths with
 * etcd's answers (status, gRPC code, text), the `Authorization` header, a prefix-limited user
 * refused outside its prefix (the key unchanged), forged / truncated / oversized tokens, deleted
 * users and revoked permissions taking effect at once, and the per-client limit on wrong passwords.
 */
import { expect } from 'chai';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';
import { b64, unb64, type Json } from '../helpers.js';

interface Reply {
  readonly status: number;
  readonly json: Json;
}

async function post(url: string, path: string, body: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = token;
  const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: res.status, json: (await res.json()) as Json };
}

/** etcd's gateway error triple: HTTP status, gRPC code number, text. */
const etcdError = (r: Reply): [number, unknown, unknown] => [r.status, r.json['code'], r.json['error']];

describe('auth over the JSON gateway', function () {
  this.timeout(60_000);
  let m: TestMember;
  let url: string;
  let root: string;

  async function login(name: string, password: string): Promise<string> {
    const r = await post(url, '/v3/auth/authenticate', { name, password });
    expect(r.status, JSON.stringify(r.json)).to.equal(200);
    return r.json['token'] as string;
  }

  async function valueOf(key: string): Promise<string | undefined> {
    const r = await post(url, '/v3/kv/range', { key: b64(key) }, root);
    const kvs = (r.json['kvs'] ?? []) as Json[];
    return kvs.length === 0 ? undefined : unb64(kvs[0]?.['value']);
  }

  before(async () => {
    m = await startTestMember('gwauth');
    url = m.url;
  });
  after(async () => m?.stop());

  it('answers the enable sequence as etcd does', async () => {
    expect(etcdError(await post(url, '/v3/auth/enable', {}))).to.deep.equal([
      412,
      9,
      'etcdserver: root user does not exist',
    ]);
    expect((await post(url, '/v3/auth/user/add', { name: 'root', password: 'rootpw' })).status).to.equal(200);
    expect(etcdError(await post(url, '/v3/auth/enable', {}))).to.deep.equal([
      412,
      9,
      'etcdserver: root user does not have root role',
    ]);
    expect((await post(url, '/v3/auth/user/grant', { user: 'root', role: 'root' })).status).to.equal(200);
    expect((await post(url, '/v3/auth/enable', {})).status).to.equal(200);
    const status = await post(url, '/v3/auth/status', {});
    expect(status.json['enabled']).to.equal(true);
    root = await login('root', 'rootpw');
    expect((await post(url, '/v3/kv/put', { key: b64('app/a'), value: b64('1') }, root)).status).to.equal(
      200,
    );
    expect((await post(url, '/v3/kv/put', { key: b64('other'), value: b64('1') }, root)).status).to.equal(
      200,
    );
  });

  it('refuses a request without a token (400 user name is empty) and leaves the key unchanged', async () => {
    expect(etcdError(await post(url, '/v3/kv/put', { key: b64('other'), value: b64('x') }))).to.deep.equal([
      400,
      3,
      'etcdserver: user name is empty',
    ]);
    expect(etcdError(await post(url, '/v3/kv/range', { key: b64('other') }))[0]).to.equal(400);
    expect(await valueOf('other')).to.equal('1');
  });

  it('refuses forged, truncated and oversized tokens with 401 invalid auth token', async () => {
    const bad = ['forged', root.slice(0, -1), `${root}x`, 'x'.repeat(9000)];
    for (const token of bad) {
      const r = await post(url, '/v3/kv/put', { key: b64('other'), value: b64('x') }, token);
      expect(etcdError(r), token.slice(0, 40)).to.deep.equal([401, 16, 'etcdserver: invalid auth token']);
    }
    expect(await valueOf('other')).to.equal('1');
  });

  it("answers a wrong password with etcd's authentication failed", async () => {
    expect(
      etcdError(await post(url, '/v3/auth/authenticate', { name: 'root', password: 'nope' })),
    ).to.deep.equal([400, 3, 'etcdserver: authentication failed, invalid user ID or password']);
    expect(etcdError(await post(url, '/v3/auth/authenticate', { name: 'ghost', password: 'x' }))[2]).to.equal(
      'etcdserver: authentication failed, invalid user ID or password',
    );
  });

  context('with a user limited to the prefix app/', () => {
    let alice: string;
    before(async () => {
      const steps: [string, Json][] = [
        ['/v3/auth/user/add', { name: 'alice', password: 'alicepw' }],
        ['/v3/auth/role/add', { name: 'app' }],
        [
          '/v3/auth/role/grant',
          { name: 'app', perm: { permType: 'READWRITE', key: b64('app/'), range_end: b64('app0') } },
        ],
        ['/v3/auth/user/grant', { user: 'alice', role: 'app' }],
      ];
      for (const [path, body] of steps)
        expect((await post(url, path, body, root)).status, path).to.equal(200);
      alice = await login('alice', 'alicepw');
    });

    it('serves reads and writes inside the prefix', async () => {
      expect((await post(url, '/v3/kv/put', { key: b64('app/b'), value: b64('2') }, alice)).status).to.equal(
        200,
      );
      const r = await post(url, '/v3/kv/range', { key: b64('app/'), range_end: b64('app0') }, alice);
      expect(r.json['count']).to.equal('2');
    });

    it('refuses with 403 everything that touches a key outside, and changes nothing', async () => {
      const denied: [string, Json][] = [
        ['/v3/kv/put', { key: b64('other'), value: b64('x') }],
        ['/v3/kv/range', { key: b64('other') }],
        ['/v3/kv/deleterange', { key: b64('other') }],
        // A range over the prefix's boundary.
        ['/v3/kv/range', { key: b64('app/'), range_end: b64('app1') }],
        ['/v3/kv/deleterange', { key: b64('app/'), range_end: b64('\0') }],
        // A txn whose compare reads outside, and one whose failure branch writes outside.
        [
          '/v3/kv/txn',
          {
            compare: [{ target: 'VALUE', key: b64('other'), value: b64('1') }],
            success: [{ requestPut: { key: b64('app/a'), value: b64('x') } }],
          },
        ],
        [
          '/v3/kv/txn',
          {
            success: [{ requestPut: { key: b64('app/a'), value: b64('x') } }],
            failure: [{ requestDeleteRange: { key: b64('other') } }],
          },
        ],
        ['/v3/kv/compaction', { revision: '1' }],
        ['/v3/auth/user/list', {}],
        ['/v3/cluster/member/add', { peerURLs: ['http://127.0.0.1:1'] }],
        ['/v3/maintenance/alarm', { action: 'GET' }],
      ];
      for (const [path, body] of denied) {
        const r = await post(url, path, body, alice);
        expect(etcdError(r), `${path} ${JSON.stringify(body)}`).to.deep.equal([
          403,
          7,
          'etcdserver: permission denied',
        ]);
      }
      expect(await valueOf('other')).to.equal('1');
      expect(await valueOf('app/a')).to.equal('1');
    });

    it('stops a token at once when its permission is revoked, and when its user is deleted', async () => {
      const bob = await (async () => {
        await post(url, '/v3/auth/user/add', { name: 'bob', password: 'bobpw' }, root);
        await post(url, '/v3/auth/user/grant', { user: 'bob', role: 'app' }, root);
        return login('bob', 'bobpw');
      })();
      expect((await post(url, '/v3/kv/put', { key: b64('app/c'), value: b64('3') }, bob)).status).to.equal(
        200,
      );
      const revoke = { role: 'app', key: b64('app/'), range_end: b64('app0') };
      expect((await post(url, '/v3/auth/role/revoke', revoke, root)).status).to.equal(200);
      expect(
        etcdError(await post(url, '/v3/kv/put', { key: b64('app/c'), value: b64('4') }, bob))[0],
      ).to.equal(403);
      expect(await valueOf('app/c')).to.equal('3');
      expect((await post(url, '/v3/auth/user/delete', { name: 'bob' }, root)).status).to.equal(200);
      // Re-added with the same name: the old token still names nobody.
      await post(url, '/v3/auth/user/add', { name: 'bob', password: 'bobpw2' }, root);
      await post(url, '/v3/auth/user/grant', { user: 'bob', role: 'root' }, root);
      expect(etcdError(await post(url, '/v3/kv/range', { key: b64('app/c') }, bob))[0]).to.equal(401);
    });
  });

  it('serves /health and /metrics without a token', async () => {
    expect((await fetch(`${url}/health`)).status).to.equal(200);
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).to.equal(200);
    expect(await metrics.text()).to.not.include('app/');
  });

  // Last: these lock out this host's logins for a while, then turn auth off.
  context('at the end', () => {
    it('limits wrong passwords per client with TOO_MANY_REQUESTS', async () => {
      let limited: Reply | undefined;
      for (let i = 0; i < 20 && limited === undefined; i++) {
        const r = await post(url, '/v3/auth/authenticate', { name: 'root', password: `guess${i}` });
        if (r.status === 429) limited = r;
        else expect(etcdError(r)[0]).to.equal(400);
      }
      expect(limited, 'no 429 after 20 wrong passwords').to.not.equal(undefined);
      const details = (limited?.json['details'] as Json[])[0] as Json;
      expect(details['code']).to.equal('TOO_MANY_REQUESTS');
    });

    it('turns auth off with auth disable, after which no token is needed', async () => {
      expect((await post(url, '/v3/auth/disable', {}, root)).status).to.equal(200);
      expect((await post(url, '/v3/kv/range', { key: b64('other') })).status).to.equal(200);
    });
  });
});
