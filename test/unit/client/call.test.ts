/**
 * The retry policy of every call: idempotent reads are retried across connection losses and
 * retryable errors; non-idempotent writes are never resent once they may have applied.
 */
import { expect } from 'chai';
import {
  IndeterminateError,
  RequestTimeoutError,
  UnavailableError,
  type ClientStatus,
} from '../../../client/index.js';
import { drive, rig, settle, settled, until } from './helpers.js';

describe('Client calls', () => {
  describe('#get', () => {
    context('when the connection drops while the read is in flight', () => {
      it('retries it on another member and returns the value', async () => {
        const { client, cluster, clock } = rig();
        await client.put('k', 'v');
        const first = cluster.connectedMembers()[0];
        let dropped = 0;
        for (const m of cluster.members) {
          m.intercept = (frame) =>
            frame.method === 'kv.range' && dropped++ === 0 ? { action: 'drop' } : undefined;
        }
        const r = await drive(clock, client.getText('k'));
        expect(r.ok && r.value).to.equal('v');
        expect(dropped).to.equal(2);
        expect(cluster.connectedMembers()).to.have.length(1);
        expect(cluster.connectedMembers()[0]).to.not.equal(first);
        await client.close();
      });
    });

    context('when a member answers UNAVAILABLE', () => {
      it('backs off and retries until it succeeds', async () => {
        const { client, cluster, clock } = rig();
        let failures = 2;
        for (const m of cluster.members) {
          m.intercept = (frame) =>
            frame.method === 'kv.range' && failures-- > 0
              ? { action: 'error', error: { code: 'UNAVAILABLE', message: 'no leader', details: {} } }
              : undefined;
        }
        const p = client.get('k');
        await until(clock, 'read retried', () => failures < 0, 50);
        expect((await settled(p)).ok).to.equal(true);
        await client.close();
      });
    });
  });

  describe('#put', () => {
    context('when the connection is lost after the write was sent', () => {
      it('rejects with IndeterminateError and does not resend it', async () => {
        const { client, cluster, clock } = rig();
        await client.ready();
        let puts = 0;
        for (const m of cluster.members) {
          m.intercept = (frame) =>
            frame.method === 'kv.put' && puts++ >= 0 ? { action: 'apply-then-drop' } : undefined;
        }
        const r = await settled(client.put('k', 'v'));
        if (r.ok) throw new Error('the write should not succeed');
        expect(r.error).to.be.instanceOf(IndeterminateError);
        expect(r.error instanceof IndeterminateError && r.error.mayHaveApplied).to.equal(true);
        expect(puts).to.equal(1);
        // It did apply here: the caller must re-read to know.
        for (const m of cluster.members) m.intercept = undefined;
        const read = await drive(clock, client.getText('k'));
        expect(read.ok && read.value).to.equal('v');
        await client.close();
      });
    });

    context('when the member answers TIMEOUT', () => {
      it('rejects with IndeterminateError carrying the cause', async () => {
        const { client, cluster } = rig();
        let puts = 0;
        for (const m of cluster.members) {
          m.intercept = (frame) => {
            if (frame.method !== 'kv.put') return undefined;
            puts++;
            return { action: 'error', error: { code: 'TIMEOUT', message: 'leader lost', details: {} } };
          };
        }
        const r = await settled(client.put('k', 'v'));
        expect(r.ok === false && r.error instanceof IndeterminateError).to.equal(true);
        expect(puts).to.equal(1);
        await client.close();
      });
    });

    context('when the member answers NOT_LEADER', () => {
      it('moves to the leader named in the details and succeeds there', async () => {
        const { client, cluster, statuses, clock } = rig({ endpoints: ['ws://m2:2379'] });
        cluster.member(2).leaderUrls = ['http://m1:2379'];
        expect((await drive(clock, client.put('k', 'v'))).ok).to.equal(true);
        expect(cluster.store.kvs.size).to.equal(1);
        expect(client.endpoint).to.equal('ws://m1:2379/ws');
        expect(
          statuses.some((s: ClientStatus) => s.type === 'failover' && s.to === 'ws://m1:2379/ws'),
        ).to.equal(true);
        await until(clock, 'old connection closed', () => cluster.member(2).sessions.size === 0);
        await client.close();
      });
    });

    context('when the member answers TOO_MANY_REQUESTS with retry_after_ms', () => {
      it('resends the write (it was not executed) after the hinted delay', async () => {
        const { client, cluster, clock } = rig();
        await client.ready();
        let attempts = 0;
        for (const m of cluster.members) {
          m.intercept = (f) =>
            f.method === 'kv.put' && attempts++ === 0
              ? {
                  action: 'error',
                  error: { code: 'TOO_MANY_REQUESTS', message: 'busy', details: { retryAfterMs: 500 } },
                }
              : undefined;
        }
        const put = settled(client.put('k', 'v'));
        await clock.advance(499);
        expect(attempts).to.equal(1);
        await clock.advance(1);
        await settle();
        expect(attempts).to.equal(2);
        expect((await put).ok).to.equal(true);
        expect(cluster.store.revision).to.equal(2);
        await client.close();
      });
    });

    context('when the write was never sent', () => {
      it('sends it once a member is reachable', async () => {
        const { client, cluster, clock } = rig();
        for (const m of cluster.members) m.down = true;
        const p = client.put('k', 'v');
        await clock.advance(10);
        cluster.member(3).down = false;
        await until(clock, 'write applied', () => cluster.store.kvs.size === 1, 100);
        expect((await settled(p)).ok).to.equal(true);
        await client.close();
      });
    });
  });

  describe('per-request timeout', () => {
    context('when a read gets no answer', () => {
      it('rejects with RequestTimeoutError after requestTimeoutMs', async () => {
        const { client, cluster, clock } = rig({ requestTimeoutMs: 1000 });
        await client.ready();
        for (const m of cluster.members)
          m.intercept = (f) => (f.method === 'kv.range' ? { action: 'hold' } : undefined);
        const p = settled(client.get('k'));
        await clock.advance(999);
        await settle();
        await clock.advance(1);
        const r = await p;
        expect(r.ok === false && r.error instanceof RequestTimeoutError).to.equal(true);
        expect(r.ok === false && r.error instanceof RequestTimeoutError && r.error.retryable).to.equal(true);
        await client.close();
      });
    });

    context('when a sent write gets no answer', () => {
      it('rejects with IndeterminateError', async () => {
        const { client, cluster, clock } = rig({ requestTimeoutMs: 1000 });
        await client.ready();
        for (const m of cluster.members)
          m.intercept = (f) => (f.method === 'kv.put' ? { action: 'hold' } : undefined);
        const p = settled(client.put('k', 'v'));
        await clock.advance(1000);
        const r = await p;
        expect(r.ok === false && r.error instanceof IndeterminateError).to.equal(true);
        await client.close();
      });
    });

    context('when no member answers a connection attempt', () => {
      it('rejects a write with RequestTimeoutError naming the connect timeout (never sent, so not indeterminate)', async () => {
        const { client, cluster, clock } = rig({ requestTimeoutMs: 1000, connectTimeoutMs: 400 });
        for (const m of cluster.members) m.silent = true;
        const p = settled(client.put('k', 'v'));
        await clock.advance(1000);
        const r = await p;
        expect(r.ok === false && r.error instanceof RequestTimeoutError).to.equal(true);
        expect(r.ok === false && r.error instanceof Error && r.error.message).to.match(
          /got no answer within 1000 ms \(not connected: ws:\/\/m\d:2379\/ws: no answer within connectTimeoutMs \(400 ms\)\)/,
        );
        await client.close();
      });
    });
  });

  describe('AbortSignal', () => {
    it('rejects with signal.reason when aborted mid-flight', async () => {
      const { client, cluster } = rig();
      await client.ready();
      for (const m of cluster.members) m.intercept = () => ({ action: 'hold' });
      const controller = new AbortController();
      const p = settled(client.get('k', { signal: controller.signal }));
      await settle();
      const reason = new Error('user gave up');
      controller.abort(reason);
      const r = await p;
      expect(r.ok === false && r.error).to.equal(reason);
      await client.close();
    });

    it('rejects at once when already aborted, without sending', async () => {
      const { client, cluster } = rig();
      const reason = new Error('too late');
      const r = await settled(client.put('k', 'v', { signal: AbortSignal.abort(reason) }));
      expect(r.ok === false && r.error).to.equal(reason);
      expect(cluster.members.map((m) => m.accepted)).to.deep.equal([0, 0, 0]);
      await client.close();
    });

    it('keeps counting an abandoned request in flight until its answer arrives', async () => {
      const { client, cluster } = rig();
      for (const m of cluster.members) {
        m.limits = { ...m.limits, maxInFlightRequests: 1 };
        m.intercept = (f) => (f.method === 'kv.range' ? { action: 'hold' } : undefined);
      }
      await client.ready();
      const controller = new AbortController();
      const abandoned = settled(client.get('k', { signal: controller.signal }));
      await settle();
      controller.abort(new Error('x'));
      await abandoned;
      // The member still counts the abandoned read: the next request waits for its slot.
      let written = false;
      const put = client.put('a', 'b').then(() => (written = true));
      await settle();
      const session = cluster.connectedMembers()[0]!.session;
      expect(written).to.equal(false);
      expect(session.received.filter((f) => f.type === 'request')).to.have.length(1);
      session.release();
      await put;
      expect(written).to.equal(true);
      await client.close();
    });
  });

  describe('ready()', () => {
    it('fails over to the next endpoint when the first is down', async () => {
      const { client, cluster } = rig();
      cluster.member(1).down = true;
      await client.ready();
      expect(client.endpoint).to.equal('ws://m2:2379/ws');
      await client.close();
    });

    it('rejects with UnavailableError when authentication is refused, without retrying forever', async () => {
      const { client, cluster } = rig({ auth: { token: 'bad' } });
      for (const m of cluster.members)
        m.refuseHello = { code: 'UNAUTHENTICATED', message: 'bad token', details: {} };
      const r = await settled(client.ready());
      expect(r.ok).to.equal(false);
      expect(r.ok === false && (r.error as { code?: string }).code).to.equal('UNAUTHENTICATED');
      expect(cluster.members.reduce((n, m) => n + m.accepted, 0)).to.equal(1);
      expect(r.ok === false && r.error instanceof UnavailableError).to.equal(false);
      await client.close();
    });
  });
});
