/**
 * Leader routing on the fake cluster (deterministic, manual clock): the client moves to the leader
 * its member names in the welcome or a leader_changed notice, or looks the leader's URLs up in the
 * member list when the member does not know them yet; a watch moved with it delivers every event
 * once; a leader it cannot dial leaves it where it is and is tried again after a backoff; a member
 * that knows no leader for longer than an election is left for another;
 * `routing: 'any'` stays; notices from a connection it already left are not acted on.
 */
import { expect } from 'chai';
import type { Watch, WatchEvent } from '../../../client/index.js';
import { LEADER_RETRY_FIRST_MS, NO_LEADER_GRACE_MS } from '../../../client/leader-route.js';
import { dec, rig, settle, until } from './helpers.js';

const M1 = 'ws://m1:2379/ws';
const M2 = 'ws://m2:2379/ws';
const M3 = 'ws://m3:2379/ws';

const cluster3 = (): string[] => ['ws://m1:2379', 'ws://m2:2379', 'ws://m3:2379'];

function consume(watch: Watch): WatchEvent[] {
  const seen: WatchEvent[] = [];
  void (async () => {
    for await (const batch of watch) seen.push(...batch.events);
  })().catch(() => undefined);
  return seen;
}

describe('Client leader routing', () => {
  it('moves from the follower it was given to the leader its welcome names', async () => {
    const { client, cluster, statuses } = rig({ endpoints: ['ws://m2:2379'] });
    for (const m of cluster.members) m.names = { leaderId: 1, urls: ['http://m1:2379'] };
    await client.ready();
    await until(undefined as never, 'on the leader', () => client.endpoint === M1);
    const put = await client.put('k', 'v');
    expect(put.header.memberId).to.equal(1);
    expect(statuses.filter((s) => s.type === 'failover')).to.deep.equal([
      { type: 'failover', from: M2, to: M1, reason: 'routing to the leader 1 (welcome)' },
    ]);
    await until(
      undefined as never,
      'the follower connection closed',
      () => cluster.member(2).sessions.size === 0,
    );
    await client.close();
  });

  it("stays on the member it was given with routing: 'any'", async () => {
    const { client, cluster, statuses } = rig({ endpoints: ['ws://m2:2379'], routing: 'any' });
    for (const m of cluster.members) m.names = { leaderId: 1, urls: ['http://m1:2379'] };
    await client.ready();
    cluster.member(2).session.leaderChanged(3, ['http://m3:2379']);
    await settle();
    expect((await client.put('k', 'v')).header.memberId).to.equal(2);
    expect(client.endpoint).to.equal(M2);
    expect(statuses.some((s) => s.type === 'failover')).to.equal(false);
    await client.close();
  });

  it('follows a leader_changed notice, its watch delivering every event once', async () => {
    const { client, cluster } = rig({ endpoints: ['ws://m1:2379'] });
    for (const m of cluster.members) m.names = { leaderId: m.id === 3 ? 3 : 1, urls: ['http://m1:2379'] };
    cluster.member(3).names = { leaderId: 3, urls: ['http://m3:2379'] };
    const watch = client.watch({ prefix: 'w/', startRevision: 1 });
    await watch.ready();
    const seen = consume(watch);
    for (let i = 0; i < 3; i++) await client.put(`w/${i}`, `a${i}`);
    await until(undefined as never, 'first events', () => seen.length === 3);
    const old = cluster.member(1).session;
    old.leaderChanged(3, ['http://m3:2379']);
    await until(undefined as never, 'on the new leader', () => client.endpoint === M3);
    // The connection left behind says more: it is not acted on (the client stays on m3).
    old.leaderChanged(2, ['http://m2:2379']);
    old.send({ type: 'notice', notice: { kind: 'going_away', message: 'bye' } });
    await settle();
    for (let i = 3; i < 6; i++) expect((await client.put(`w/${i}`, `a${i}`)).header.memberId).to.equal(3);
    await until(undefined as never, 'all events', () => seen.length >= 6);
    await settle();
    expect(seen.map((e) => `${e.kv.modRevision}:${dec(e.kv.key)}`)).to.deep.equal([
      '2:w/0',
      '3:w/1',
      '4:w/2',
      '5:w/3',
      '6:w/4',
      '7:w/5',
    ]);
    expect(client.endpoint).to.equal(M3);
    await watch.close();
    await client.close();
  });

  it('stays on its member when the leader cannot be dialled, and tries it again later', async () => {
    const { client, cluster, statuses, clock } = rig({ endpoints: ['ws://m2:2379'] });
    for (const m of cluster.members) m.names = { leaderId: 1, urls: ['http://m1:2379'] };
    cluster.member(1).down = true;
    await client.ready();
    const triedLeader = (): number =>
      statuses.filter((s) => s.type === 'connectFailed' && s.endpoint === M1).length;
    await until(clock, 'a first attempt', () => triedLeader() === 1);
    expect((await client.put('k', 'v')).header.memberId).to.equal(2);
    expect(client.endpoint).to.equal(M2);
    await clock.advance(LEADER_RETRY_FIRST_MS - 1);
    expect(triedLeader()).to.equal(1);
    await clock.advance(1);
    await until(clock, 'a second attempt', () => triedLeader() === 2);
    // It came back: the next attempt (after a doubled delay) moves there.
    cluster.member(1).down = false;
    await clock.advance(2 * LEADER_RETRY_FIRST_MS);
    await until(clock, 'on the leader', () => client.endpoint === M1, 100);
    expect(
      statuses.filter((s) => s.type === 'connected').map((s) => s.type === 'connected' && s.endpoint),
    ).to.deep.equal([M2, M1]);
    await client.close();
  });

  it('leaves a member that knows no leader for longer than an election, not one in an election', async () => {
    const { client, cluster, clock } = rig({ endpoints: cluster3() });
    for (const m of cluster.members) m.names = { leaderId: 1, urls: ['http://m1:2379'] };
    await client.ready();
    expect(client.endpoint).to.equal(M1);
    const leader = cluster.member(1).session;
    // An election: no leader for a moment, then one (itself again).
    leader.leaderChanged(0, []);
    await clock.advance(NO_LEADER_GRACE_MS / 2);
    leader.leaderChanged(1, ['http://m1:2379']);
    await clock.advance(4 * NO_LEADER_GRACE_MS);
    expect(client.endpoint).to.equal(M1);
    // Isolated: it stepped down and hears of no successor; the others elected m2.
    cluster.member(2).names = { leaderId: 2, urls: ['http://m2:2379'] };
    cluster.member(3).names = { leaderId: 2, urls: ['http://m2:2379'] };
    leader.leaderChanged(0, []);
    await clock.advance(NO_LEADER_GRACE_MS - 1);
    expect(client.endpoint).to.equal(M1);
    await clock.advance(1);
    await until(clock, 'on the new leader', () => client.endpoint === M2, 100);
    expect((await client.put('k', 'v')).header.memberId).to.equal(2);
    await client.close();
  });

  it("looks the leader's URLs up in the member list when its member does not know them", async () => {
    const { client, cluster, clock } = rig({ endpoints: ['ws://m2:2379'] });
    for (const m of cluster.members) m.names = { leaderId: 3, urls: [] };
    cluster.member(3).clientUrls = [];
    await client.ready();
    await settle();
    expect(client.endpoint).to.equal(M2);
    // The leader publishes its URLs (as a new cluster does just after its first election).
    cluster.member(3).clientUrls = ['http://m3:2379'];
    await until(clock, 'on the leader', () => client.endpoint === M3, 100);
    expect((await client.put('k', 'v')).header.memberId).to.equal(3);
    await client.close();
  });
});
