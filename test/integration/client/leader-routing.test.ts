/**
 * Leader routing (`routing: 'leader'`, the default) against real 3-member clusters: a client given
 * only a follower's endpoint ends up with its writes answered by the leader (the response header
 * names the member that answered), follows the leader through a graceful transfer (SIGTERM: the
 * member hands leadership over before it stops) and a kill -9 while its watch delivers every event
 * exactly once, and falls back to the follower's forwarding when the leader's advertised client URL
 * cannot be dialled.
 */
import { expect } from 'chai';
import { Client, IndeterminateError, type ClientStatus, type WatchEvent } from '../../../client/index.js';
import { ClusterHarness } from '../../cluster/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { freePort } from '../../helpers/ports.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const show = (e: WatchEvent): string => `${e.kv.modRevision}:${e.type}:${dec(e.kv.key)}=${dec(e.kv.value)}`;
const hostOf = (url: string): string => new URL(url).host;

/** A client whose endpoints are `urls`, in that order (it connects to the first one first). */
function clientOn(urls: string | readonly string[], statuses?: ClientStatus[]): Client {
  const client = new Client({
    endpoints: typeof urls === 'string' ? [urls] : [...urls],
    requestTimeoutMs: 8000,
    backoff: { initialDelayMs: 20, maxDelayMs: 300 },
  });
  if (statuses !== undefined) client.on('status', (s) => statuses.push(s));
  return client;
}

async function memberIdOf(h: ClusterHarness, name: string): Promise<string> {
  return (await h.status(name)).header.member_id;
}

/** The name of the member a client is connected to. */
function connectedTo(h: ClusterHarness, client: Client): string | undefined {
  const endpoint = client.endpoint;
  if (endpoint === undefined) return undefined;
  return h.members.find((m) => hostOf(m.clientUrl) === hostOf(endpoint))?.name;
}

/** Waits until the client is connected to `name` and a put of it is answered by that member. */
async function writesGoTo(h: ClusterHarness, client: Client, name: string, key: string): Promise<void> {
  const id = await memberIdOf(h, name);
  await eventually(
    `the client's connection on ${name}`,
    () => (connectedTo(h, client) === name ? true : undefined),
    {
      timeoutMs: 10_000,
    },
  );
  const r = await client.put(key, name);
  expect(String(r.header.memberId), `put answered by member ${id} (${name})`).to.equal(id);
}

describe('Client leader routing', function () {
  this.timeout(180_000);

  describe('on a cluster whose members advertise reachable client URLs', () => {
    let h: ClusterHarness;

    before(async () => {
      h = await ClusterHarness.start({ size: 3, heartbeatIntervalMs: 50, electionTimeoutMs: 500 });
    });

    after(async () => {
      await h?.stop();
    });

    afterEach(async function () {
      if (this.currentTest?.state === 'failed') console.log(h.logs().slice(-4000));
      for (const m of h.members) if (m.process === undefined) h.restart(m.name);
      await h.waitForLeader();
    });

    it('sends the puts of a client given only a follower to the leader', async () => {
      const leader = await h.waitForLeader();
      const follower = h.members.find((m) => m.name !== leader)!;
      const statuses: ClientStatus[] = [];
      await using client = clientOn(follower.clientUrl, statuses);
      await client.ready();
      await writesGoTo(h, client, leader, 'route/first');
      // The move was announced, and happened once.
      const moves = statuses.filter((s) => s.type === 'failover');
      expect(moves.map((s) => s.type === 'failover' && hostOf(s.to))).to.deep.equal([
        hostOf(h.member(leader).clientUrl),
      ]);
      for (let i = 0; i < 5; i++) {
        const r = await client.put(`route/${i}`, `v${i}`);
        expect(String(r.header.memberId)).to.equal(await memberIdOf(h, leader));
      }
    });

    it('follows the leader through a transfer and a kill, its watch seeing every event once', async () => {
      const first = await h.waitForLeader();
      const follower = h.members.find((m) => m.name !== first)!;
      // Every member, the follower first: the client must be able to reconnect when the members
      // it knows die, which is the endpoint list's job, not routing's.
      const others = h.members.filter((m) => m !== follower).map((m) => m.clientUrl);
      await using client = clientOn([follower.clientUrl, ...others]);
      await client.ready();
      await writesGoTo(h, client, first, 'lc/warmup');

      const start = (await client.put('lc/start', '0')).revision + 1;
      const watch = client.watch({ prefix: 'lc/', startRevision: start });
      await watch.ready();
      const seen: WatchEvent[] = [];
      const consuming = (async () => {
        for await (const batch of watch) seen.push(...batch.events);
      })();
      const acked: { revision: number; key: string; value: string }[] = [];
      let stop = false;
      const writing = (async () => {
        for (let i = 0; !stop; i++) {
          try {
            const r = await client.put(`lc/${i % 5}`, `w${i}`);
            acked.push({ revision: r.revision, key: `lc/${i % 5}`, value: `w${i}` });
          } catch (e) {
            if (!(e instanceof IndeterminateError)) throw e;
          }
        }
      })();
      const moreWrites = async (n: number): Promise<void> => {
        const target = acked.length + n;
        await eventually(`${n} more writes`, () => (acked.length >= target ? true : undefined));
      };

      await moreWrites(20);
      // A graceful stop: the leader hands leadership over, tells its clients, then goes away.
      await h.kill(first, 'SIGTERM');
      const second = await h.waitForLeader();
      await writesGoTo(h, client, second, 'lc/after-transfer');
      h.restart(first);
      await moreWrites(20);
      // A crash: the client loses its connection, reconnects anywhere, and is sent to the new leader.
      await h.kill(second, 'SIGKILL');
      const third = await h.waitForLeader();
      await writesGoTo(h, client, third, 'lc/after-kill');
      h.restart(second);
      await moreWrites(20);

      stop = true;
      await writing;
      const last = (await client.put('lc/end', 'x')).revision;
      await eventually('the watch caught up', () => (watch.nextRevision > last ? true : undefined), {
        timeoutMs: 30_000,
      });
      await watch.close();
      await consuming;

      // The server's record: one uninterrupted replay of the same range on a fresh connection.
      const replay: WatchEvent[] = [];
      await using reader = clientOn(h.member(third).clientUrl);
      for await (const batch of reader.watch({ prefix: 'lc/', startRevision: start })) {
        replay.push(...batch.events);
        if (batch.events.some((e) => e.kv.modRevision >= last)) break;
      }
      expect(seen.map(show)).to.deep.equal(replay.map(show));
      const revisions = seen.map((e) => e.kv.modRevision);
      expect(new Set(revisions).size, 'no revision twice').to.equal(revisions.length);
      const byRevision = new Map(seen.map((e) => [e.kv.modRevision, e]));
      for (const a of acked) {
        const e = byRevision.get(a.revision);
        expect(e === undefined ? 'missing' : `${dec(e.kv.key)}=${dec(e.kv.value)}`).to.equal(
          `${a.key}=${a.value}`,
        );
      }
    });
  });

  describe('on a cluster whose advertised client URLs cannot be dialled', () => {
    let h: ClusterHarness;
    let deadUrl: string;

    before(async () => {
      // Every member advertises a port nothing listens on: a wrong --advertise-client-urls.
      deadUrl = `http://127.0.0.1:${await freePort()}`;
      h = await ClusterHarness.start({
        size: 3,
        heartbeatIntervalMs: 50,
        electionTimeoutMs: 500,
        extraArgs: ['--advertise-client-urls', deadUrl],
      });
    });

    after(async () => {
      await h?.stop();
    });

    it('tries the leader, then keeps working through the follower it was given', async () => {
      const leader = await h.waitForLeader();
      const follower = h.members.find((m) => m.name !== leader)!;
      const statuses: ClientStatus[] = [];
      await using client = clientOn(follower.clientUrl, statuses);
      await client.ready();
      // The member named the leader at its (dead) advertised URL and the client tried it.
      await eventually('a failed move to the advertised leader URL', () =>
        statuses.some((s) => s.type === 'connectFailed' && hostOf(s.endpoint) === hostOf(deadUrl))
          ? true
          : undefined,
      );
      expect(statuses.some((s) => s.type === 'failover' && hostOf(s.to) === hostOf(deadUrl))).to.equal(true);
      const followerId = await memberIdOf(h, follower.name);
      for (let i = 0; i < 10; i++) {
        const r = await client.put(`fallback/${i}`, `v${i}`);
        expect(String(r.header.memberId)).to.equal(followerId);
        expect(await client.getText(`fallback/${i}`)).to.equal(`v${i}`);
      }
      expect(connectedTo(h, client)).to.equal(follower.name);
      // One connection the whole time: staying is not a reconnect loop.
      expect(statuses.filter((s) => s.type === 'connected').length).to.equal(1);
      expect(statuses.filter((s) => s.type === 'disconnected')).to.deep.equal([]);
    });
  });
});
