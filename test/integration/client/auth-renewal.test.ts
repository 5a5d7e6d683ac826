/**
 * Token renewal against a real 3-member cluster with a short simple-token TTL: a client idle past
 * the TTL writes without a refused request (it renewed while idle), keeps working with auth when
 * its member is killed, fails with UnauthenticatedError once its password was changed, and its
 * watch, moved to another member and re-authenticated, delivers every event exactly once.
 * Authentications are counted twice: by the client's `authenticated` status events and by the
 * members' `concord_client_requests_total` metric.
 */
import { expect } from 'chai';
import { Client, UnauthenticatedError, type ClientStatus, type WatchEvent } from '../../../client/index.js';
import { eventually } from '../../helpers/eventually.js';
import { InProcessCluster } from '../recipes/in-process-cluster.js';

const TTL_SEC = 2;

type Authenticated = Extract<ClientStatus, { type: 'authenticated' }>;

/** Sum over the members of concord_client_requests_total for a WebSocket method and result code. */
async function served(cluster: InProcessCluster, method: string, code: string): Promise<number> {
  let total = 0;
  for (const url of cluster.endpoints) {
    const text = await fetch(`${url}/metrics`).then(
      (r) => r.text(),
      () => '', // a crashed member serves nothing
    );
    for (const line of text.split('\n')) {
      if (!line.startsWith('concord_client_requests_total{')) continue;
      if (!line.includes('transport="ws"') || !line.includes(`method="${method}"`)) continue;
      if (!line.includes(`code="${code}"`)) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

/** A client of `user` that records its authentications and the endpoint it is connected to. */
function userClient(
  cluster: InProcessCluster,
  user: string,
  password: string,
): { client: Client; auths: Authenticated[]; endpoint: () => string | undefined } {
  const client = new Client({
    endpoints: cluster.endpoints,
    auth: { username: user, password },
    requestTimeoutMs: 10_000,
    backoff: { initialDelayMs: 20, maxDelayMs: 300 },
  });
  const auths: Authenticated[] = [];
  let endpoint: string | undefined;
  client.on('status', (s) => {
    if (s.type === 'authenticated') auths.push(s);
    if (s.type === 'connected') endpoint = s.endpoint;
    if (s.type === 'disconnected') endpoint = undefined;
  });
  return { client, auths, endpoint: () => endpoint };
}

/** The member name (r1..r3) behind a client endpoint (ws://host:port/ws). */
function memberOf(cluster: InProcessCluster, endpoint: string): string {
  const port = new URL(endpoint).port;
  const i = cluster.endpoints.findIndex((u) => new URL(u).port === port);
  expect(i, endpoint).to.be.at.least(0);
  return `r${i + 1}`;
}

/** Resolves when `auths` has `n` entries matching `pick` (status events, no polling of time). */
function whenAuthenticated(
  client: Client,
  auths: Authenticated[],
  n: number,
  pick: (a: Authenticated) => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (auths.filter(pick).length < n) return;
      client.off('status', check);
      resolve();
    };
    client.on('status', check);
    check();
  });
}

/** Members crashed by the running test; restarted after it, whatever its outcome. */
const crashed: string[] = [];

/** Crashes the member `user` is connected to; returns its name. */
async function crashItsMember(
  cluster: InProcessCluster,
  user: ReturnType<typeof userClient>,
): Promise<string> {
  const first = memberOf(cluster, user.endpoint() as string);
  crashed.push(first);
  await cluster.crash(first);
  return first;
}

/** The user authenticated afresh on a member other than `crashed` (a new connection). */
function authenticatedElsewhere(cluster: InProcessCluster, auths: Authenticated[], crashed: string): boolean {
  return auths.some((a) => a.reason === 'connect' && memberOf(cluster, a.endpoint) !== crashed);
}

describe('Client token renewal on a 3-member cluster', function () {
  this.timeout(180_000);
  let cluster: InProcessCluster;
  let root: Client;

  before(async () => {
    cluster = await InProcessCluster.start(3, { authTokenTtl: TTL_SEC });
    const admin = cluster.client();
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app');
    await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
    for (const u of ['idle', 'mover', 'changer', 'watcher']) {
      await admin.auth.userAdd(u, `${u}pw`);
      await admin.auth.userGrantRole(u, 'app');
    }
    await admin.auth.enable();
    await admin.close();
    root = new Client({ endpoints: cluster.endpoints, auth: { username: 'root', password: 'rootpw' } });
  });
  afterEach(async () => {
    for (const name of crashed.splice(0)) await cluster.restart(name);
  });
  after(async () => {
    await root?.close();
    await cluster?.stop();
  });

  it("tells the TTL only on the WebSocket: the gateway answers as etcd's does", async () => {
    const res = await fetch(`${cluster.endpoints[0]}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: 'idle', password: 'idlepw' }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).to.equal(200);
    expect(Object.keys(body).sort()).to.deep.equal(['header', 'token']);
  });

  it('renews while idle past the TTL, then writes without a refused request', async () => {
    const { client, auths } = userClient(cluster, 'idle', 'idlepw');
    try {
      await client.put('app/idle', '1');
      const authsBefore = await served(cluster, 'auth.authenticate', 'OK');
      const refusedBefore = await served(cluster, 'kv.put', 'UNAUTHENTICATED');
      // Two renewals while idle: at least 4/3 of the TTL has passed since the connection's token.
      await whenAuthenticated(client, auths, 2, (a) => a.reason === 'renewal');
      expect(auths[0]?.ttlSec, 'the member tells its TTL').to.equal(TTL_SEC);
      await client.put('app/idle', '2');
      expect(await client.getText('app/idle')).to.equal('2');
      expect(auths.map((a) => a.reason)).to.not.include('retry');
      expect(await served(cluster, 'kv.put', 'UNAUTHENTICATED'), 'refused puts').to.equal(refusedBefore);
      const renewals = auths.filter((a) => a.reason === 'renewal').length;
      expect((await served(cluster, 'auth.authenticate', 'OK')) - authsBefore).to.be.at.least(renewals);
    } finally {
      await client.close();
    }
  });

  it('keeps working with auth when the member it talks to is killed', async () => {
    const { client, auths, endpoint } = userClient(cluster, 'mover', 'moverpw');
    try {
      await client.put('app/m', '1');
      const first = await crashItsMember(cluster, { client, auths, endpoint });
      // An idle client dials again with its next call (authenticating needs a leader for a simple
      // token: the dial retries through the election).
      await client.put('app/m', '2');
      expect(await client.getText('app/m')).to.equal('2');
      // Authenticated afresh on another member (a simple token's TTL is kept per member).
      expect(authenticatedElsewhere(cluster, auths, first)).to.equal(true);
      expect(auths.map((a) => a.reason)).to.not.include('retry');
    } finally {
      await client.close();
    }
  });

  it("fails with UnauthenticatedError once the user's password was changed", async () => {
    const { client } = userClient(cluster, 'changer', 'changerpw');
    try {
      await client.put('app/c', '1');
      const failedBefore = await served(cluster, 'auth.authenticate', 'AUTH_FAILED');
      await root.auth.userChangePassword('changer', 'newpw');
      const err = await client.put('app/c', '2').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UnauthenticatedError);
      expect((err as UnauthenticatedError).code).to.equal('AUTH_FAILED');
      // One refused token, one authentication with the old password: no loop.
      expect((await served(cluster, 'auth.authenticate', 'AUTH_FAILED')) - failedBefore).to.equal(1);
      expect(await root.getText('app/c')).to.equal('1');
    } finally {
      await client.close();
    }
  });

  it('delivers every event exactly once across renewals and a move to another member', async () => {
    const { client, auths, endpoint } = userClient(cluster, 'watcher', 'watcherpw');
    const seen: WatchEvent[] = [];
    const total = 15;
    try {
      const { revision } = await root.put('app/w/start', 'x');
      const watch = client.watch({ prefix: 'app/w/k', startRevision: revision });
      const consumed = (async () => {
        for await (const batch of watch) {
          seen.push(...batch.events);
          if (seen.length >= total) break;
        }
      })();
      const put = async (from: number, to: number): Promise<void> => {
        for (let i = from; i < to; i++) await root.put(`app/w/k${String(i).padStart(2, '0')}`, `${i}`);
      };
      await put(0, 5);
      await whenAuthenticated(client, auths, 1, (a) => a.reason === 'renewal');
      await put(5, 10);
      await eventually('the first ten events', () => (seen.length >= 10 ? true : undefined));
      const first = await crashItsMember(cluster, { client, auths, endpoint });
      await put(10, total);
      await consumed;
      expect(authenticatedElsewhere(cluster, auths, first), 'the watch moved and authenticated').to.equal(
        true,
      );
      const keys = seen.map((e) => new TextDecoder().decode(e.kv.key));
      expect(keys).to.deep.equal(
        Array.from({ length: total }, (_, i) => `app/w/k${String(i).padStart(2, '0')}`),
      );
    } finally {
      await client.close();
    }
  });
});
