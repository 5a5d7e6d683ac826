/**
 * When no member can be reached, `ready()` and calls fail as soon as every endpoint has been tried
 * `connectRounds` times, with an UnreachableError (code UNAVAILABLE, retryable) whose message says
 * why for each endpoint; not with a bare timeout after `requestTimeoutMs`. Watches and keep-alives
 * keep reconnecting in the background, and a caller arriving after a long outage does not wait out
 * the backoff the outage built up. All on the manual clock.
 */
import { expect } from 'chai';
import { IndeterminateError, UnreachableError } from '../../../client/index.js';
import { drive, rig, settle, settled } from './helpers.js';

function unreachable(r: { ok: true } | { ok: false; error: unknown }): UnreachableError {
  if (r.ok) throw new Error('expected a rejection');
  if (!(r.error instanceof UnreachableError)) throw r.error;
  return r.error;
}

describe('Client when no member can be reached', () => {
  describe('#ready', () => {
    it('rejects once every endpoint was tried connectRounds times, the cause in the message', async () => {
      const { client, cluster, clock, statuses } = rig({ connectRounds: 2 });
      for (const m of cluster.members) m.down = true;
      const error = unreachable(await drive(clock, client.ready()));
      expect(statuses.filter((s) => s.type === 'connectFailed')).to.have.length(6);
      expect(error.code).to.equal('UNAVAILABLE');
      expect(error.retryable).to.equal(true);
      for (const m of cluster.members) expect(error.message).to.include(`${m.url}: ECONNREFUSED ${m.url}`);
      expect(error.failures.map((f) => f.endpoint)).to.have.members(cluster.endpoints);
      // Well within the deadline a call would have had (requestTimeoutMs, 10 s by default).
      expect(clock.nowMs()).to.be.below(1000);
      // Nothing needs a connection any more: the client stops dialling (and holds no timer).
      await clock.advance(60_000);
      expect(statuses.filter((s) => s.type === 'connectFailed')).to.have.length(6);
      expect(clock.pendingTimers()).to.equal(0);
      await client.close();
    });

    it('rejects after timeoutMs when no attempt finishes, naming what it was waiting for', async () => {
      const { client, cluster, clock } = rig({ connectTimeoutMs: 5000 });
      for (const m of cluster.members) m.silent = true;
      const r = settled(client.ready({ timeoutMs: 300 }));
      await clock.advance(299);
      await settle();
      let settledYet = false;
      void r.then(() => (settledYet = true));
      await settle();
      expect(settledYet).to.equal(false);
      await clock.advance(1);
      const error = unreachable(await r);
      expect(error.message).to.match(
        /no member answered within 300 ms: still connecting to ws:\/\/m1:2379\/ws/,
      );
      await client.close();
    });

    it('rejects with the reason of its signal', async () => {
      const { client, cluster } = rig();
      for (const m of cluster.members) m.silent = true;
      const controller = new AbortController();
      const r = settled(client.ready({ signal: controller.signal }));
      const reason = new Error('gave up');
      controller.abort(reason);
      expect(await r).to.deep.equal({ ok: false, error: reason });
      await client.close();
    });
  });

  describe('a call', () => {
    it('fails fast with UnreachableError, a write as never sent (not indeterminate)', async () => {
      const { client, cluster, clock } = rig({ requestTimeoutMs: 10_000 });
      for (const m of cluster.members) m.down = true;
      const write = unreachable(await drive(clock, client.put('k', 'v')));
      expect(write).to.not.be.instanceOf(IndeterminateError);
      expect(write.mayHaveApplied).to.equal(false);
      expect(write.message).to.include('ECONNREFUSED');
      const read = unreachable(await drive(clock, client.get('k')));
      expect(read.message).to.include('ECONNREFUSED');
      expect(clock.nowMs()).to.be.below(2000);
      await client.close();
    });

    it('fails a keep-alive fast with UnreachableError, as calls fail', async () => {
      const { client, cluster, clock } = rig({ requestTimeoutMs: 10_000 });
      const { id } = await client.lease.grant(10);
      for (const m of cluster.members) {
        m.down = true;
        m.dropAll();
      }
      await settle(); // the client has seen its connection go
      const error = unreachable(await drive(clock, client.lease.keepAlive(id)));
      expect(error.message).to.include('ECONNREFUSED');
      expect(clock.nowMs()).to.be.below(2000);
      await client.close();
    });

    it('after a long outage, connects at once when the members are back (no leftover backoff)', async () => {
      const { client, cluster, clock } = rig({ backoff: { initialDelayMs: 100, maxDelayMs: 5000 } });
      await client.ready();
      const watch = client.watch({ prefix: 'k' }); // keeps the client reconnecting in the background
      await watch.ready();
      for (const m of cluster.members) {
        m.down = true;
        m.dropAll();
      }
      await clock.advance(60_000); // the reconnect backoff has grown to its maximum
      for (const m of cluster.members) m.down = false;
      const start = clock.nowMs();
      const r = await drive(clock, client.put('k', 'v'), 10);
      expect(r.ok).to.equal(true);
      expect(clock.nowMs() - start).to.be.below(100);
      await client.close();
    });
  });
});
