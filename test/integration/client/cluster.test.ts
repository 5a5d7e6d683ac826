/**
 * The SDK against a real 3-member cluster (child processes on loopback, kill -9): failover during
 * reads and writes, a watcher that sees exactly the server's history while leaders die, a lease
 * whose signal fires when the client is cut off past its TTL, and indeterminate writes.
 */
import { expect } from 'chai';
import { Client, IndeterminateError, LeaseLostError, type WatchEvent } from '../../../client/index.js';
import { ClusterHarness, type HarnessMember } from '../../cluster/harness.js';
import { eventually } from '../../helpers/eventually.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const show = (e: WatchEvent): string => `${e.kv.modRevision}:${e.type}:${dec(e.kv.key)}=${dec(e.kv.value)}`;

function clientFor(h: ClusterHarness, extra: { requestTimeoutMs?: number } = {}): Client {
  return new Client({
    endpoints: h.members.map((m) => m.clientUrl),
    requestTimeoutMs: extra.requestTimeoutMs ?? 8000,
    backoff: { initialDelayMs: 20, maxDelayMs: 300 },
  });
}

function memberOf(h: ClusterHarness, endpoint: string | undefined): HarnessMember {
  const m = h.members.find((x) => endpoint !== undefined && endpoint.includes(new URL(x.clientUrl).host));
  if (m === undefined) throw new Error(`no member serves ${String(endpoint)}`);
  return m;
}

async function killLeaderAndRecover(h: ClusterHarness): Promise<string> {
  const leader = await h.waitForLeader();
  await h.kill(leader);
  await h.waitForLeader();
  h.restart(leader);
  await h.waitForLeader();
  return leader;
}

describe('Client against a 3-member cluster', function () {
  this.timeout(120_000);
  let h: ClusterHarness;

  before(async () => {
    h = await ClusterHarness.start({ size: 3, heartbeatIntervalMs: 50, electionTimeoutMs: 500 });
  });

  after(async () => {
    await h?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') console.log(h.logs().slice(-4000));
    for (const m of h.members) {
      m.process?.kill('SIGCONT');
      if (m.process === undefined) h.restart(m.name);
    }
    await h.waitForLeader();
  });

  describe('failover', () => {
    it('keeps serving reads and writes while the connected member is killed', async () => {
      await using client = clientFor(h);
      await client.ready();
      const acknowledged = new Map<string, string>();
      let indeterminate = 0;
      let killed: string | undefined;
      for (let i = 0; i < 60; i++) {
        if (i === 20) {
          killed = memberOf(h, client.endpoint).name;
          await h.kill(killed);
        }
        if (i === 40 && killed !== undefined) h.restart(killed);
        try {
          await client.put(`f/${i}`, `v${i}`);
          acknowledged.set(`f/${i}`, `v${i}`);
          expect(await client.getText(`f/${i}`)).to.equal(`v${i}`);
        } catch (e) {
          if (!(e instanceof IndeterminateError)) throw e;
          indeterminate++;
        }
      }
      expect(acknowledged.size + indeterminate).to.equal(60);
      expect(acknowledged.size).to.be.greaterThan(50);
      const all = await client.getPrefix('f/');
      const stored = new Map(all.kvs.map((kv) => [dec(kv.key), dec(kv.value)]));
      for (const [k, v] of acknowledged) expect(stored.get(k)).to.equal(v);
    });
  });

  describe('watch', () => {
    it('yields exactly the server history of a prefix while the leader is killed twice', async () => {
      await using writer = clientFor(h);
      await using watcher = clientFor(h);
      const start = (await writer.put('h/start', '0')).revision + 1;
      const watch = watcher.watch({ prefix: 'h/', startRevision: start });
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
            const r = await writer.put(`h/${i % 7}`, `w${i}`);
            acked.push({ revision: r.revision, key: `h/${i % 7}`, value: `w${i}` });
          } catch (e) {
            if (!(e instanceof IndeterminateError)) throw e;
          }
        }
      })();
      await eventually('some writes', () => (acked.length > 20 ? true : undefined));
      await killLeaderAndRecover(h);
      await eventually('more writes', () => (acked.length > 60 ? true : undefined));
      await killLeaderAndRecover(h);
      await eventually('writes after', () => (acked.length > 100 ? true : undefined));
      stop = true;
      await writing;
      const last = (await writer.put('h/end', 'x')).revision;
      await eventually('watcher caught up', () => (watch.nextRevision > last ? true : undefined), {
        timeoutMs: 30_000,
      });
      await watch.close();
      await consuming;

      // The server's record: one uninterrupted replay of the same range on a fresh connection.
      const replay: WatchEvent[] = [];
      await using reader = clientFor(h);
      for await (const batch of reader.watch({ prefix: 'h/', startRevision: start })) {
        replay.push(...batch.events);
        if (batch.events.some((e) => e.kv.modRevision >= last)) break;
      }
      expect(seen.map(show)).to.deep.equal(replay.map(show));
      const revisions = seen.map((e) => e.kv.modRevision);
      expect(revisions).to.deep.equal([...revisions].sort((a, b) => a - b));
      const byRevision = new Map(seen.map((e) => [e.kv.modRevision, e]));
      for (const a of acked) {
        const e = byRevision.get(a.revision);
        expect(e === undefined ? 'missing' : `${dec(e.kv.key)}=${dec(e.kv.value)}`).to.equal(
          `${a.key}=${a.value}`,
        );
      }
    });
  });

  describe('leases', () => {
    it('aborts the keep-alive signal when the client is cut off longer than the TTL', async () => {
      await using client = clientFor(h);
      const { id } = await client.lease.grant(2);
      const ka = await client.lease.keepAlive(id);
      await client.put('l/ephemeral', 'x', { lease: id });
      // Freeze every member: the client can reach no one.
      for (const m of h.members) m.process?.kill('SIGSTOP');
      const lost = await ka.lost;
      expect(lost).to.be.instanceOf(LeaseLostError);
      expect(lost.reason).to.equal('unreachable');
      expect(ka.signal.aborted).to.equal(true);
      for (const m of h.members) m.process?.kill('SIGCONT');
      // The cluster expires the lease on its side as well.
      await using other = clientFor(h);
      await eventually('lease expired on the cluster', async () =>
        (await other.get('l/ephemeral')) === undefined ? true : undefined,
      );
    });
  });

  describe('indeterminate writes', () => {
    it('reports a write sent to a frozen cluster as IndeterminateError after the deadline', async () => {
      await using client = clientFor(h, { requestTimeoutMs: 1000 });
      await client.ready();
      for (const m of h.members) m.process?.kill('SIGSTOP');
      let error: unknown;
      try {
        await client.put('i/k', 'v');
      } catch (e) {
        error = e;
      }
      for (const m of h.members) m.process?.kill('SIGCONT');
      expect(error).to.be.instanceOf(IndeterminateError);
    });

    it('aborts a read with the caller signal reason', async () => {
      await using client = clientFor(h);
      await client.ready();
      for (const m of h.members) m.process?.kill('SIGSTOP');
      const reason = new Error('caller gave up');
      const controller = new AbortController();
      const read = client.get('i/k', { signal: controller.signal });
      controller.abort(reason);
      let error: unknown;
      try {
        await read;
      } catch (e) {
        error = e;
      }
      for (const m of h.members) m.process?.kill('SIGCONT');
      expect(error).to.equal(reason);
    });
  });
});
