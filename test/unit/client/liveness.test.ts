import { expect } from 'chai';
import { rig, settle, until } from './helpers.js';

describe('Client liveness', () => {
  context('when the member it is connected to stops answering but keeps the connection open', () => {
    it('drops that connection after livenessTimeoutMs and moves its watch to another member', async () => {
      const { client, cluster, clock, statuses } = rig({ livenessIntervalMs: 1000, livenessTimeoutMs: 500 });
      await client.ready();
      const frozen = cluster.connectedMembers()[0]!;
      const watch = client.watch({ prefix: 'k/' });
      const iterator = watch[Symbol.asyncIterator]();
      await watch.ready();
      // Frozen: every request is held, and no watch event is pushed any more.
      frozen.intercept = () => ({ action: 'hold' });
      frozen.deliverEvents = false;
      await clock.advance(1000);
      await settle();
      await clock.advance(500);
      await until(clock, 'a connection to another member', () => {
        const now = cluster.connectedMembers();
        return now.length > 0 && !now.includes(frozen);
      });
      expect(
        statuses.some((s) => s.type === 'disconnected' && /stopped answering/.test(s.error.message)),
      ).to.equal(true);
      // The watch resumed on the new member: a write made now arrives.
      cluster.store.put(new TextEncoder().encode('k/1'), new TextEncoder().encode('v'));
      const next = await iterator.next();
      expect(next.done).to.equal(false);
      await watch.close();
      await client.close();
    });
  });

  context('when the member answers its probes', () => {
    it('keeps the connection', async () => {
      const { client, cluster, clock } = rig({ livenessIntervalMs: 1000, livenessTimeoutMs: 500 });
      await client.ready();
      const member = cluster.connectedMembers()[0]!;
      for (let i = 0; i < 5; i++) await clock.advance(1000);
      await settle();
      expect(cluster.connectedMembers()).to.deep.equal([member]);
      expect(member.accepted).to.equal(1);
      await client.close();
    });
  });
});

describe('Client on a frozen member (issue 19)', () => {
  context('when a request reaches its deadline and the member sent nothing since it left', () => {
    it('gives the connection up after one status probe, without waiting for the liveness interval', async () => {
      const { client, cluster, clock, statuses } = rig({
        livenessIntervalMs: 60_000,
        livenessTimeoutMs: 60_000,
        requestTimeoutMs: 500,
      });
      await client.ready();
      const frozen = cluster.connectedMembers()[0]!;
      frozen.intercept = () => ({ action: 'hold' });
      const put = client.put('k', 'v').catch((e: unknown) => e);
      await settle();
      await clock.advance(500);
      await put;
      await until(
        clock,
        'a connection to another member',
        () => {
          const now = cluster.connectedMembers();
          return now.length > 0 && !now.includes(frozen);
        },
        50,
      );
      expect(
        statuses.some((s) => s.type === 'disconnected' && /stopped answering/.test(s.error.message)),
        JSON.stringify(statuses.map((s) => s.type)),
      ).to.equal(true);
      await client.close();
    });
  });

  context('when a request reaches its deadline in silence but the member answers the probe', () => {
    it('keeps the connection (a follower whose forwarded write waits on a dead leader)', async () => {
      const { client, cluster, clock, statuses } = rig({
        livenessIntervalMs: 60_000,
        livenessTimeoutMs: 60_000,
        requestTimeoutMs: 500,
      });
      await client.ready();
      const member = cluster.connectedMembers()[0]!;
      // Only puts are held, and no periodic probe runs: the put meets its deadline in silence.
      member.intercept = (frame) => (frame.method === 'kv.put' ? { action: 'hold' } : undefined);
      const put = client.put('k', 'v').catch((e: unknown) => e);
      await settle();
      await clock.advance(500);
      await put;
      for (let i = 0; i < 5; i++) await clock.advance(200);
      await settle();
      expect(cluster.connectedMembers()).to.deep.equal([member]);
      expect(statuses.some((s) => s.type === 'disconnected')).to.equal(false);
      await client.close();
    });
  });

  context('when the member keeps sending frames but does not answer in time', () => {
    it('keeps the connection (the member is slow, not frozen)', async () => {
      const { client, cluster, clock } = rig({
        livenessIntervalMs: 100,
        livenessTimeoutMs: 60_000,
        requestTimeoutMs: 500,
      });
      await client.ready();
      const member = cluster.connectedMembers()[0]!;
      // Only puts are held: the liveness probes (status) are answered, so frames keep arriving.
      member.intercept = (frame) => (frame.method === 'kv.put' ? { action: 'hold' } : undefined);
      const put = client.put('k', 'v').catch((e: unknown) => e);
      for (let i = 0; i < 5; i++) await clock.advance(100);
      await put;
      await settle();
      expect(cluster.connectedMembers()).to.deep.equal([member]);
      await client.close();
    });
  });
});
