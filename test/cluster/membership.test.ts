/**
 * Membership changes on real processes through the etcd-compatible gateway, as an operator would
 * do them with curl: add a learner, start it with `--initial-cluster-state existing`, let it catch
 * up, promote it, then remove another member. Requests sent to a follower are forwarded to the
 * leader, as etcd does (gateway and WebSocket protocol alike).
 */
import { expect } from 'chai';
import { TestClient, type Json } from '../api/helpers.js';
import { eventually } from '../helpers/eventually.js';
import { ClusterHarness } from './harness.js';
import { prepareJoiner, type Joiner } from './join.js';

interface WireMember {
  ID: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

interface GatewayError {
  code: number;
  details?: { code?: string; details?: { leader_id?: number; leader_client_urls?: string[] } }[];
}

/** POST without throwing: the HTTP status and the parsed body. */
async function post<T>(url: string, path: string, body: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: (await res.json()) as T };
}

const concordCode = (e: GatewayError): string | undefined => e.details?.[0]?.code;

describe('cluster membership (real processes)', function () {
  this.timeout(60_000);

  let h: ClusterHarness;
  let joiner: Joiner;

  beforeEach(async function () {
    // The pending-change test cuts the followers off, which the strict reconfiguration check
    // would refuse before Raft sees the change: that test turns the check off.
    const strict = this.currentTest?.title.startsWith('refuses a second membership change') !== true;
    h = await ClusterHarness.start({
      size: 3,
      ...(strict ? {} : { extraArgs: ['--strict-reconfig-check=false'] }),
    });
    joiner = await prepareJoiner(h, 'm4', '127.0.0.4');
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.error(h.logs());
    await h.stop();
    await joiner.cleanup();
  });

  it('adds a learner that joins with --initial-cluster-state existing, catches up, is promoted, and then a member is removed', async () => {
    await h.put('m1', 'before-join', 'v1');
    const leaderName = await h.waitForLeader();
    const leaderUrl = h.member(leaderName).clientUrl;
    const follower = h.members.find((m) => m.name !== leaderName)!;
    await eventually('every member to have published its client URL', async () => {
      const r = await h.request<{ members: WireMember[] }>(follower.name, '/v3/cluster/member/list', {});
      return r.members.every((m) => (m.clientURLs ?? []).length > 0) ? true : undefined;
    });

    // Add m4 as a learner, through a follower: it forwards the request to the leader (as etcd
    // does) and answers once the change is applied on it too.
    // The strict reconfiguration check refuses (503, retryable) until every voter has been
    // connected to the leader for 5 s: retried, as etcdctl users do.
    const added = await eventually(
      'the member add accepted',
      async () => {
        const r = await post<{ member: WireMember; members: WireMember[] }>(
          follower.clientUrl,
          '/v3/cluster/member/add',
          { peerURLs: [joiner.peerUrl], isLearner: true },
        );
        return r.status === 503 ? undefined : r;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(added.status, JSON.stringify(added.json)).to.equal(200);
    expect(added.json.member.peerURLs).to.deep.equal([joiner.peerUrl]);
    expect(added.json.member.isLearner).to.equal(true);
    expect(added.json.members).to.have.length(4);
    const newId = added.json.member.ID;
    // Committed: the follower's own (serializable) list and the leader's show it.
    for (const url of [follower.clientUrl, leaderUrl]) {
      const list = await post<{ members: WireMember[] }>(url, '/v3/cluster/member/list', {});
      expect(list.json.members.find((m) => m.ID === newId)?.isLearner).to.equal(true);
    }

    // The leader's refusals reach the client through the follower: the same peer URL cannot be
    // added twice.
    const again = await post<GatewayError>(follower.clientUrl, '/v3/cluster/member/add', {
      peerURLs: [joiner.peerUrl],
    });
    expect(again.status).to.equal(412); // FailedPrecondition, as etcd 3.4's gateway
    expect(concordCode(again.json)).to.equal('MEMBER_EXISTS');

    // One learner at a time, as etcd 3.4 (its maxLearners): a second is refused with etcd's code.
    const second = await post<GatewayError & { error?: string }>(
      follower.clientUrl,
      '/v3/cluster/member/add',
      {
        peerURLs: ['http://127.0.0.9:1003'],
        isLearner: true,
      },
    );
    expect(second.json.code).to.equal(9); // FailedPrecondition
    expect(second.json.error).to.equal('etcdserver: too many learner members in cluster');
    expect(concordCode(second.json)).to.equal('TOO_MANY_LEARNERS');

    // Not started yet, so it has nothing of the log: it may not be promoted (only the leader knows).
    const early = await post<GatewayError>(follower.clientUrl, '/v3/cluster/member/promote', { ID: newId });
    expect(early.status).to.equal(412);
    expect(concordCode(early.json)).to.equal('LEARNER_NOT_READY');

    // Start it with the existing members plus itself; it catches up as a learner.
    joiner.start(h.members.slice(0, 3));
    const m4Id = await eventually('m4 to serve clients', async () => (await h.status('m4')).header.member_id);
    expect(m4Id).to.equal(newId);
    // It published its name and client URLs before it answered (as etcd): its own list shows them.
    const own = await h.request<{ members: WireMember[] }>('m4', '/v3/cluster/member/list', {});
    expect(own.members.find((m) => m.ID === newId)).to.deep.include({
      name: 'm4',
      clientURLs: [joiner.clientUrl],
    });
    await eventually('the learner to read a key written before it joined', async () =>
      (await h.get('m4', 'before-join', true)) === 'v1' ? true : undefined,
    );

    // Promote it (retrying while the leader still finds it behind).
    const promoted = await eventually('the learner to be promoted', async () => {
      const r = await post<{ members: WireMember[] }>(leaderUrl, '/v3/cluster/member/promote', { ID: newId });
      return r.status === 200 ? r.json : undefined;
    });
    expect(promoted.members.find((m) => m.ID === newId)?.isLearner).to.equal(undefined);
    const twice = await post<GatewayError>(leaderUrl, '/v3/cluster/member/promote', { ID: newId });
    expect(concordCode(twice.json)).to.equal('MEMBER_NOT_LEARNER');

    // A voter now: writes through it commit and are seen everywhere.
    await h.put('m4', 'through-m4', 'v2');
    expect(await h.get(leaderName, 'through-m4')).to.equal('v2');
    const list = await eventually('m4 to publish its name and client URL', async () => {
      const r = await h.request<{ members: WireMember[] }>('m1', '/v3/cluster/member/list', {});
      const m4 = r.members.find((m) => m.ID === newId);
      return m4?.name === 'm4' && m4.clientURLs?.[0] === joiner.clientUrl ? r.members : undefined;
    });
    expect(list).to.have.length(4);

    // Remove an original member that is not the leader, through another follower over the
    // WebSocket protocol; stop it, as an operator would.
    const leaderNow = await h.waitForLeader();
    const victim = h.members.find((m) => m.name !== leaderNow && m.name !== 'm4')!;
    const victimId = (await h.status(victim.name)).header.member_id;
    const via = h.members.find((m) => m.name !== leaderNow && m.name !== victim.name && m.name !== 'm4')!;
    const ws = await TestClient.open(via.clientUrl);
    let removed: { members: WireMember[] };
    try {
      const res = await ws.call('cluster.memberRemove', { ID: victimId });
      expect(res['error'], JSON.stringify(res['error'])).to.equal(undefined);
      removed = res['result'] as Json as unknown as { members: WireMember[] };
    } finally {
      ws.close();
    }
    expect(removed.members.map((m) => m.ID)).to.not.include(victimId);
    expect(removed.members).to.have.length(3);
    await h.kill(victim.name);

    const gone = await post<GatewayError>(h.member(leaderNow).clientUrl, '/v3/cluster/member/remove', {
      ID: victimId,
    });
    expect(gone.status).to.equal(404);
    expect(concordCode(gone.json)).to.equal('MEMBER_NOT_FOUND');

    // The three remaining members keep serving.
    const survivor = h.running().find((m) => m.name !== leaderNow)!;
    await h.put(survivor.name, 'after-remove', 'v3');
    for (const m of h.running()) expect(await h.get(m.name, 'after-remove')).to.equal('v3');
    const after = await h.request<{ members: WireMember[] }>(survivor.name, '/v3/cluster/member/list', {
      linearizable: true,
    });
    expect(after.members.map((m) => m.ID).sort()).to.deep.equal(removed.members.map((m) => m.ID).sort());
  });

  it('refuses a membership change while a voter is cut off from the leader (strict reconfiguration check)', async () => {
    const leaderName = await h.waitForLeader();
    const leaderUrl = h.member(leaderName).clientUrl;
    const add = (): Promise<{ status: number; json: GatewayError & { error?: string } }> =>
      post(leaderUrl, '/v3/cluster/member/add', { peerURLs: ['http://127.0.0.9:1001'], isLearner: true });
    // Every voter connected for the health interval: accepted (retried while the cluster is young).
    const first = await eventually(
      'the add accepted',
      async () => {
        const r = await add();
        return r.status === 503 ? undefined : r;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(first.status, JSON.stringify(first.json)).to.equal(200);
    // One follower cut off: the leader's stream to it drops (and its redial fails), and adding a
    // voter is refused.
    const lostBefore = (await h.metric(leaderName, 'concord_network_peer_connections_lost_total')) ?? 0;
    h.isolate(h.members.find((m) => m.name !== leaderName)!.name);
    await eventually('the leader to lose its stream to the cut-off follower', async () =>
      ((await h.metric(leaderName, 'concord_network_peer_connections_lost_total')) ?? 0) > lostBefore
        ? true
        : undefined,
    );
    const again = await post<GatewayError & { error?: string }>(leaderUrl, '/v3/cluster/member/add', {
      peerURLs: ['http://127.0.0.9:1002'],
    });
    expect(again.status).to.equal(503);
    expect(again.json.code).to.equal(14); // Unavailable
    expect(again.json.error).to.equal('etcdserver: unhealthy cluster');
    expect(concordCode(again.json)).to.equal('UNHEALTHY_CLUSTER');
  });

  it('refuses a second membership change while the first is not applied, and applies the first', async () => {
    const leaderName = await h.waitForLeader();
    const leaderUrl = h.member(leaderName).clientUrl;
    // The followers hear nothing from the leader, so nothing it proposes can commit.
    for (const m of h.members) if (m.name !== leaderName) m.proxy.block();
    const add = (url: string): Promise<{ status: number; json: GatewayError }> =>
      post<GatewayError>(leaderUrl, '/v3/cluster/member/add', { peerURLs: [url], isLearner: true });
    const first = add('http://127.0.0.9:1001');
    const second = add('http://127.0.0.9:1002');
    const refused = await Promise.race([first, second]);
    expect(refused.status).to.equal(412);
    expect(concordCode(refused.json)).to.equal('MEMBERSHIP_CHANGE_PENDING');
    h.heal();
    const [a, b] = await Promise.all([first, second]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 412]);
    const list = await h.request<{ members: WireMember[] }>(leaderName, '/v3/cluster/member/list', {});
    expect(list.members).to.have.length(4);
  });
});
