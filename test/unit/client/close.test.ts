/**
 * `close()` leaves no timer of the client pending (on the injected clock): not the liveness probe,
 * not a keep-alive's renewal, expiry or retry, not a watch's re-creation, not a reconnect backoff.
 * A pending timer is what kept every SDK process alive for seconds after its work was done.
 */
import { expect } from 'chai';
import { rig, settle, settled } from './helpers.js';

describe('Client#close', () => {
  context('after kv, a keep-alive, a session, a watch and a liveness probe', () => {
    it('leaves no timer pending, retries of a failing keep-alive and watch included', async () => {
      const { client, cluster, clock } = rig({ livenessIntervalMs: 1000, livenessTimeoutMs: 500 });
      await client.put('k', 'v');
      await client.get('k');
      const lease = await client.lease.grant(30);
      const keepAlive = await client.lease.keepAlive(lease.id);
      const session = await client.session({ ttlSec: 30 });
      const watch = client.watch({ prefix: 'k' });
      await watch.ready();
      // A keep-alive and a watch whose opening fails with a retryable error: each has a retry pending.
      const failing = await client.lease.grant(30);
      for (const m of cluster.members) {
        m.intercept = (f) => {
          const params = f.params as { id?: number; key?: Uint8Array };
          if (f.method === 'lease.keepAlive' && params.id === failing.id)
            return { action: 'error', error: { code: 'UNAVAILABLE', message: 'busy', details: {} } };
          if (f.method === 'watch.create' && new TextDecoder().decode(params.key) === 'other')
            return { action: 'error', error: { code: 'UNAVAILABLE', message: 'busy', details: {} } };
          return undefined;
        };
      }
      const retryingKeepAlive = settled(client.lease.keepAlive(failing.id));
      const retryingWatch = client.watch({ key: 'other' });
      await clock.advance(1000); // the liveness probe goes out
      await settle();
      expect(clock.pendingTimers()).to.be.greaterThan(0);

      await client.close();

      expect(clock.pendingTimers()).to.equal(0);
      expect(keepAlive.signal.aborted && session.isLost).to.equal(true);
      expect((await retryingKeepAlive).ok).to.equal(false);
      // The watch ends with the client (its loop throws that the client was closed).
      expect((await settled(retryingWatch.next())).ok).to.equal(false);
    });
  });

  context('while reconnecting with backoff to members that refuse', () => {
    it('leaves no timer pending', async () => {
      const { client, cluster, clock } = rig();
      await client.ready();
      const watch = client.watch({ prefix: 'k' });
      await watch.ready();
      for (const m of cluster.members) {
        m.down = true;
        m.dropAll();
      }
      await clock.advance(500); // a few rounds: the dial loop is now waiting out a backoff
      expect(clock.pendingTimers()).to.be.greaterThan(0);
      await client.close();
      expect(clock.pendingTimers()).to.equal(0);
    });
  });

  context('when the member stopped answering', () => {
    it('drops the connection it gave up on at once instead of waiting for a close handshake', async () => {
      const { client, cluster, clock } = rig({ livenessIntervalMs: 1000, livenessTimeoutMs: 500 });
      await client.ready();
      const frozen = cluster.connectedMembers()[0]!;
      frozen.intercept = () => ({ action: 'hold' });
      let terminated = 0;
      frozen.onTerminate = () => terminated++;
      await clock.advance(1500);
      await settle();
      expect(terminated).to.equal(1);
      await client.close();
    });
  });
});
