/**
 * Access control on 3 members: a simple token issued by one member works on every other (its
 * assignment is replicated through Raft), an auth change made through one member is enforced by
 * all, and a membership change sent to a follower with a root token is forwarded to the leader
 * with that token (and refused without it).
 */
import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { InProcessCluster } from './recipes/in-process-cluster.js';

interface Reply {
  readonly status: number;
  readonly json: Record<string, unknown>;
}

async function post(url: string, path: string, body: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = token;
  const res = await fetch(url + path, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('auth on a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: InProcessCluster;
  let leaderUrl: string;
  let followers: string[];

  before(async () => {
    cluster = await InProcessCluster.start(3);
    const leader = await cluster.waitForLeader();
    const index = Number(leader.slice(1)) - 1;
    leaderUrl = cluster.endpoints[index] as string;
    followers = cluster.endpoints.filter((_, i) => i !== index);
    const [f] = followers as [string];
    for (const [path, body] of [
      ['/v3/auth/user/add', { name: 'root', password: 'rootpw' }],
      ['/v3/auth/user/grant', { user: 'root', role: 'root' }],
      ['/v3/auth/enable', {}],
    ] as const)
      expect((await post(f, path, body)).status, path).to.equal(200);
  });
  after(async () => cluster?.stop());

  it('accepts a simple token issued by one member on every member', async () => {
    const [f1, f2] = followers as [string, string];
    const token = String(
      (await post(f1, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json['token'],
    );
    expect((await post(f1, '/v3/kv/put', { key: b64('k'), value: b64('v') }, token)).status).to.equal(200);
    for (const url of [leaderUrl, f2]) {
      // The assignment is applied on each member shortly after the answer: wait for it, not a sleep.
      await eventually(`the token known at ${url}`, async () =>
        (await post(url, '/v3/kv/range', { key: b64('k'), serializable: true }, token)).status === 200
          ? true
          : undefined,
      );
    }
  });

  it('enforces on every member an auth change made through one', async () => {
    const [f1, f2] = followers as [string, string];
    const root = String(
      (await post(f1, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json['token'],
    );
    await post(leaderUrl, '/v3/auth/user/add', { name: 'dave', password: 'davepw' }, root);
    const dave = String(
      (await post(f2, '/v3/auth/authenticate', { name: 'dave', password: 'davepw' })).json['token'],
    );
    for (const url of cluster.endpoints) {
      const r = await post(url, '/v3/kv/range', { key: b64('k') }, dave);
      expect([r.status, r.json['error']], url).to.deep.equal([403, 'etcdserver: permission denied']);
    }
  });

  it("forwards a follower's membership change to the leader with the caller's token", async () => {
    const [f1] = followers as [string];
    const root = String(
      (await post(f1, '/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json['token'],
    );
    const learner = { peerURLs: ['http://127.0.0.1:9'], isLearner: true };
    const refused = await post(f1, '/v3/cluster/member/add', learner);
    expect(refused.status).to.equal(400);
    // The strict reconfiguration check refuses (503, retryable) until every voter has been
    // connected to the leader for 5 s: retried, as a client would.
    const added = await eventually(
      'the member add accepted',
      async () => {
        const r = await post(f1, '/v3/cluster/member/add', learner, root);
        return r.status === 503 ? undefined : r;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(added.status, JSON.stringify(added.json)).to.equal(200);
    const id = (added.json['member'] as { ID: string }).ID;
    expect((await post(f1, '/v3/cluster/member/remove', { ID: id }, root)).status).to.equal(200);
  });
});
