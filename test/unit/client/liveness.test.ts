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
