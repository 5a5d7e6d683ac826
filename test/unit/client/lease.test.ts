/**
 * Leases, keep-alives and sessions: renewal every TTL/3, re-attachment after reconnects, moving to
 * the leader on NOT_LEADER, and a signal that fires exactly when the lease must be presumed lost
 * (a safety margin before the expiry estimate: lease-margin.test.ts covers the margin's options).
 */
import { expect } from 'chai';
import { LeaseNotFoundError } from '../../../client/index.js';
import { cutOff, dec, reasonOf, renewals, rig, settle, settled, until } from './helpers.js';

describe('Lease', () => {
  describe('#grant / #timeToLive / #revoke', () => {
    it('grants, reports attached keys (namespace stripped) and revokes', async () => {
      const { client, cluster } = rig();
      const app = client.namespace('app/');
      const lease = await app.lease.grant(10);
      expect(lease.ttlSec).to.equal(10);
      await app.put('k', 'v', { lease: lease.id });
      const ttl = await app.lease.timeToLive(lease.id, { keys: true });
      expect(ttl.keys.map(dec)).to.deep.equal(['k']);
      expect(await app.lease.leases()).to.deep.equal([lease.id]);
      await app.lease.revoke(lease.id);
      expect(cluster.store.kvs.size).to.equal(0);
      const r = await settled(app.lease.revoke(lease.id));
      expect(r.ok === false && r.error instanceof LeaseNotFoundError).to.equal(true);
      await client.close();
    });
  });

  describe('#keepAlive', () => {
    it('rejects with LeaseNotFoundError for an unknown lease', async () => {
      const { client } = rig();
      const r = await settled(client.lease.keepAlive(4242));
      expect(r.ok === false && r.error instanceof LeaseNotFoundError).to.equal(true);
      await client.close();
    });

    it('renews every TTL/3', async () => {
      const { client, cluster, clock } = rig();
      const { id } = await client.lease.grant(3);
      const ka = await client.lease.keepAlive(id);
      expect(renewals(cluster)).to.equal(0);
      await clock.advance(999);
      expect(renewals(cluster)).to.equal(0);
      await clock.advance(1);
      expect(renewals(cluster)).to.equal(1);
      await clock.advance(3000);
      expect(renewals(cluster)).to.equal(4);
      expect(ka.signal.aborted).to.equal(false);
      await ka.close();
      await client.close();
    });

    context('when the lease is revoked by someone else', () => {
      it('aborts its signal with reason notFound at once', async () => {
        const { client, cluster } = rig();
        const { id } = await client.lease.grant(10);
        const ka = await client.lease.keepAlive(id);
        cluster.store.revoke(id);
        await settle();
        expect(ka.signal.aborted).to.equal(true);
        expect(reasonOf(ka.signal)).to.equal('notFound');
        expect((await ka.lost).reason).to.equal('notFound');
        await client.close();
      });
    });

    context('when the connection drops and comes back within the TTL', () => {
      it('re-opens the keep-alive on the new connection and keeps the lease', async () => {
        const { client, cluster, clock } = rig();
        const { id } = await client.lease.grant(3);
        const ka = await client.lease.keepAlive(id);
        cluster.connectedMembers()[0]!.dropAll();
        await until(
          clock,
          're-opened',
          () => cluster.connectedMembers().some((m) => m.session.keepAlives.size === 1),
          100,
        );
        await clock.advance(10_000);
        expect(ka.signal.aborted).to.equal(false);
        expect(renewals(cluster)).to.be.greaterThan(5);
        await ka.close();
        await client.close();
      });
    });

    context('when the client is cut off for longer than the TTL', () => {
      it('aborts its signal with reason unreachable a safety margin (TTL/3) before the TTL runs out, not before', async () => {
        const { client, cluster, clock } = rig();
        const { id } = await client.lease.grant(3);
        const ka = await client.lease.keepAlive(id);
        const granted = ka.expiresAtMs;
        expect(granted).to.equal(clock.nowMs() + 3000);
        expect(ka.safetyMarginMs).to.equal(1000);
        cutOff(cluster);
        await clock.advance(1999);
        expect(ka.signal.aborted).to.equal(false);
        await clock.advance(1);
        expect(ka.signal.aborted).to.equal(true);
        expect(reasonOf(ka.signal)).to.equal('unreachable');
        await client.close();
      });

      it('counts from the send time of the last successful renewal', async () => {
        const { client, cluster, clock } = rig();
        const { id } = await client.lease.grant(3);
        const ka = await client.lease.keepAlive(id);
        await clock.advance(1000); // renewal sent at 1000 and answered
        expect(ka.expiresAtMs).to.equal(4000);
        // The next renewal (at 2000) is never answered.
        for (const m of cluster.members) m.intercept = () => ({ action: 'hold' });
        const session = cluster.connectedMembers()[0]!.session;
        const onRenew = session.receive.bind(session);
        session.receive = (text: string) => {
          if (!text.includes('"renew"')) onRenew(text);
        };
        await clock.advance(1999);
        expect(ka.signal.aborted).to.equal(false);
        await clock.advance(1);
        expect(reasonOf(ka.signal)).to.equal('unreachable');
        await client.close();
      });
    });

    context('when a renewal is answered NOT_LEADER', () => {
      it('moves the connection to the leader and keeps renewing there', async () => {
        const { client, cluster, clock } = rig({ endpoints: ['ws://m2:2379'] });
        const { id } = await client.lease.grant(3);
        const ka = await client.lease.keepAlive(id);
        cluster.member(2).leaderUrls = ['http://m3:2379'];
        await until(
          clock,
          'moved',
          () => cluster.member(3).sessions.size === 1 && cluster.member(3).session.keepAlives.size === 1,
          100,
        );
        await clock.advance(5000);
        expect(ka.signal.aborted).to.equal(false);
        expect(client.endpoint).to.equal('ws://m3:2379/ws');
        await ka.close();
        await client.close();
      });
    });

    context("when a renewal is answered NOT_LEADER without the leader's URLs", () => {
      // A new cluster: the follower knows the leader's id, but the leader has not yet published its
      // client URLs through Raft.
      it('tries the next endpoint at once and renews there', async () => {
        const { client, cluster, clock } = rig({ endpoints: ['ws://m2:2379', 'ws://m3:2379'] });
        const { id } = await client.lease.grant(10);
        cluster.member(2).leaderUrls = [];
        const ka = await client.lease.keepAlive(id);
        // No time passes: the move must not wait for the keep-alive's retry delay.
        await until(
          clock,
          'moved to the next endpoint',
          () => cluster.member(3).sessions.size === 1 && cluster.member(3).session.keepAlives.size === 1,
        );
        expect(client.endpoint).to.equal('ws://m3:2379/ws');
        expect(ka.signal.aborted).to.equal(false);
        await ka.close();
        await client.close();
      });

      it('stays on its member when no leader is known at all (an election)', async () => {
        const { client, cluster, clock } = rig({ endpoints: ['ws://m2:2379', 'ws://m3:2379'] });
        const { id } = await client.lease.grant(10);
        cluster.member(2).leaderUrls = [];
        cluster.member(2).leaderId = 0;
        const pending = client.lease.keepAlive(id);
        await clock.advance(100);
        expect(cluster.member(3).sessions.size).to.equal(0);
        expect(client.endpoint).to.equal('ws://m2:2379/ws');
        // The election ends with m2 as leader: the keep-alive opens there.
        cluster.member(2).leaderUrls = undefined;
        await clock.advance(2000);
        const ka = await pending;
        expect(ka.signal.aborted).to.equal(false);
        await ka.close();
        await client.close();
      });
    });

    describe('[Symbol.asyncDispose]', () => {
      it('revokes the lease and deletes its keys', async () => {
        const { client, cluster } = rig();
        const { id } = await client.lease.grant(10);
        {
          await using ka = await client.lease.keepAlive(id);
          await client.put('eph', 'v', { lease: ka.id });
          expect(cluster.store.kvs.size).to.equal(1);
        }
        expect(cluster.store.leases.has(id)).to.equal(false);
        expect(cluster.store.kvs.size).to.equal(0);
        await client.close();
      });
    });

    context('when the client is closed', () => {
      it('aborts the signal with reason closed and leaves the lease to expire', async () => {
        const { client, cluster } = rig();
        const { id } = await client.lease.grant(10);
        const ka = await client.lease.keepAlive(id);
        await client.close();
        expect(reasonOf(ka.signal)).to.equal('closed');
        expect(cluster.store.leases.has(id)).to.equal(true);
      });
    });
  });
});

describe('Session', () => {
  describe('#create', () => {
    it('grants a lease with the TTL and keeps it alive', async () => {
      const { client, cluster, clock } = rig();
      const session = await client.session({ ttlSec: 6 });
      expect(session.ttlSec).to.equal(6);
      expect(cluster.store.leases.has(session.leaseId)).to.equal(true);
      await clock.advance(60_000);
      expect(session.isLost).to.equal(false);
      await session.close();
      expect(cluster.store.leases.has(session.leaseId)).to.equal(false);
      expect(reasonOf(session.signal)).to.equal('revoked');
      await client.close();
    });
  });

  describe('#signal', () => {
    it('aborts when the session lease is revoked elsewhere', async () => {
      const { client, cluster } = rig();
      await using session = await client.session({ ttlSec: 5 });
      await client.put('lock', 'me', { lease: session.leaseId });
      expect(cluster.store.revoke(session.leaseId)).to.equal(true);
      await settle();
      expect(session.signal.aborted).to.equal(true);
      expect((await session.lost).reason).to.equal('notFound');
      await client.close();
    });
  });

  describe('#orphan', () => {
    it('stops renewing without revoking', async () => {
      const { client, cluster } = rig();
      const session = await client.session({ ttlSec: 5 });
      await session.orphan();
      expect(cluster.store.leases.has(session.leaseId)).to.equal(true);
      expect(reasonOf(session.signal)).to.equal('closed');
      await client.close();
    });
  });
});
