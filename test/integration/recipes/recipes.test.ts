/**
 * The recipes against a real 3-member cluster in this process, while leaders crash: mutual
 * exclusion with fencing tokens, semaphore bounds, single delivery from the queue, registry expiry,
 * elections, pub/sub replay, barriers and config subscriptions.
 */
import { expect } from 'chai';
import { ClientError, Cmp, IndeterminateError, Op, type Client } from '../../../client/index.js';
import {
  acquireLock,
  acquireRead,
  acquireWrite,
  Barrier,
  discover,
  DoubleBarrier,
  Election,
  lockContenders,
  PubSub,
  RecipeError,
  register,
  Semaphore,
  subscribeConfig,
  tryLock,
  watchService,
  withLock,
  WorkQueue,
  type ConfigUpdate,
  type LeaderInfo,
} from '../../../recipes/index.js';
import { eventually } from '../../helpers/eventually.js';
import { track } from '../../helpers/track.js';
import { InProcessCluster } from './in-process-cluster.js';
import { checkLockSafety, type FencedWrite, type Hold } from './lock-safety-lite.js';

const pad = (n: number): string => String(n).padStart(12, '0');

describe('recipes on a 3-member cluster', function () {
  this.timeout(60_000);
  let cluster: InProcessCluster;
  let client: Client;

  before(async () => {
    cluster = await InProcessCluster.start(3);
    client = cluster.client();
    await client.ready();
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  describe('acquireLock', () => {
    context('when many workers contend while the leader crashes', () => {
      it('never lets two holders act at once and fences every write', async () => {
        const holds: Hold[] = [];
        const writes: FencedWrite[] = [];
        let inside = 0;
        let maxInside = 0;
        let stop = false;
        const target = 40;
        const worker = async (name: string): Promise<void> => {
          await using c = cluster.client();
          while (!stop) {
            try {
              const lock = await acquireLock(c, 'mutex', { ttlSec: 3, timeoutMs: 20_000 });
              const startMs = performance.now();
              let endMs = Number.POSITIVE_INFINITY;
              const onLost = (): void => {
                endMs = Math.min(endMs, performance.now());
              };
              lock.signal.addEventListener('abort', onLost, { once: true });
              inside++;
              maxInside = Math.max(maxInside, inside);
              try {
                const r = await c
                  .txn()
                  .if(Cmp.value('guard', '<', pad(lock.token)))
                  .then(Op.put('guard', pad(lock.token)))
                  .commit({ signal: lock.signal });
                writes.push({ token: lock.token, acceptedAt: r.succeeded ? r.revision : undefined });
              } catch (e) {
                if (!(e instanceof ClientError || e instanceof RecipeError || lock.signal.aborted)) throw e;
              } finally {
                inside--;
                endMs = Math.min(endMs, performance.now());
                holds.push({ worker: name, token: lock.token, startMs, endMs });
                await lock.release();
              }
            } catch (e) {
              if (!(e instanceof ClientError || e instanceof RecipeError)) throw e;
            }
            if (holds.length >= target) stop = true;
          }
        };
        await client.put('guard', pad(0));
        const workers = Promise.all(Array.from({ length: 6 }, (_, i) => worker(`w${i}`)));
        try {
          await eventually('some holds', () => (holds.length >= 10 ? true : undefined));
          await cluster.crashLeader();
          await eventually('holds after the crash', () => (holds.length >= 25 ? true : undefined));
          await cluster.crashLeader();
        } catch (e) {
          stop = true; // let the workers leave so that a failure does not keep the process alive
          await workers.catch(() => undefined);
          throw e;
        }
        await workers;
        expect(checkLockSafety(holds, writes)).to.deep.equal([]);
        expect(maxInside).to.equal(1);
        expect(writes.filter((w) => w.acceptedAt !== undefined).length).to.be.greaterThan(target / 2);
      });
    });

    context('when several wait', () => {
      it('grants the lock in arrival order with increasing tokens', async () => {
        const first = await acquireLock(client, 'fifo', { ttlSec: 5 });
        const order: string[] = [];
        const waiters: Promise<void>[] = [];
        for (const name of ['a', 'b', 'c']) {
          const p = acquireLock(client, 'fifo', { ttlSec: 5 }).then(async (l) => {
            order.push(`${name}:${l.token}`);
            await l.release();
          });
          waiters.push(p);
          await eventually(`${name} queued`, async () =>
            (await lockContenders(client, 'fifo')).length === order.length + waiters.length + 1
              ? true
              : undefined,
          );
        }
        await first.release();
        await Promise.all(waiters);
        expect(order.map((o) => o.split(':')[0])).to.deep.equal(['a', 'b', 'c']);
        const tokens = order.map((o) => Number(o.split(':')[1]));
        expect(tokens).to.deep.equal([...tokens].sort((x, y) => x - y));
        expect(tokens[0]).to.be.greaterThan(first.token);
      });
    });

    context('when the acquire is aborted', () => {
      it('rejects with the reason and deletes its own waiter key', async () => {
        await using held = await acquireLock(client, 'abort', { ttlSec: 5 });
        const controller = new AbortController();
        const waiting = acquireLock(client, 'abort', { ttlSec: 5, signal: controller.signal });
        await eventually('the waiter queued', async () =>
          (await lockContenders(client, 'abort')).length === 2 ? true : undefined,
        );
        controller.abort(new Error('enough'));
        let caught: unknown;
        await waiting.catch((e: unknown) => (caught = e));
        expect((caught as Error).message).to.equal('enough');
        expect((await lockContenders(client, 'abort')).map((c) => c.token)).to.deep.equal([held.token]);
      });

      it('rejects with TIMEOUT after timeoutMs', async () => {
        await using _held = await acquireLock(client, 'timeout', { ttlSec: 5 });
        let caught: unknown;
        await acquireLock(client, 'timeout', { ttlSec: 5, timeoutMs: 300 }).catch(
          (e: unknown) => (caught = e),
        );
        expect(caught).to.be.instanceOf(RecipeError);
        expect((caught as RecipeError).code).to.equal('RECIPE_TIMEOUT');
        expect(await lockContenders(client, 'timeout')).to.have.length(1);
      });
    });

    context('when the holder key is deleted by an operator', () => {
      it('aborts the holder signal', async () => {
        const lock = await acquireLock(client, 'operator', { ttlSec: 5 });
        const lost = new Promise<unknown>((resolve) =>
          lock.signal.addEventListener('abort', () => resolve(lock.signal.reason), { once: true }),
        );
        await client.delete(lock.key);
        expect(((await lost) as RecipeError).code).to.equal('RECIPE_LOST');
        await lock.release();
      });
    });

    context('when the holder session dies', () => {
      it('passes the lock on after the TTL and fires the old holder signal', async () => {
        const session = await client.session({ ttlSec: 2 });
        const lock = await acquireLock(client, 'expire', { session });
        const next = track(acquireLock(client, 'expire', { ttlSec: 5 }));
        await session.orphan(); // the holder stops heart-beating, as if its process froze
        const l2 = await next.promise;
        expect(l2.token).to.be.greaterThan(lock.token);
        expect(lock.signal.aborted).to.equal(true);
        await l2.release();
        await lock.release();
      });
    });
  });

  describe('tryLock and withLock', () => {
    it('returns undefined while held and runs a function under the lock', async () => {
      const result = await withLock(
        client,
        'try',
        async (lock) => {
          expect(await tryLock(client, 'try', { ttlSec: 5 })).to.equal(undefined);
          return lock.token;
        },
        { ttlSec: 5 },
      );
      expect(result).to.be.a('number');
      const again = await tryLock(client, 'try', { ttlSec: 5 });
      expect(again).to.not.equal(undefined);
      await again?.release();
    });
  });

  describe('read/write lock', () => {
    it('shares among readers, excludes writers, and queues late readers behind a writer', async () => {
      const r1 = await acquireRead(client, 'rw', { ttlSec: 5 });
      const r2 = await acquireRead(client, 'rw', { ttlSec: 5 });
      const writer = track(acquireWrite(client, 'rw', { ttlSec: 5 }));
      await eventually('writer queued', async () =>
        (await client.getPrefix('concord/rwlocks/rw/w/', { countOnly: true })).count === 1 ? true : undefined,
      );
      const lateReader = track(acquireRead(client, 'rw', { ttlSec: 5 }));
      await eventually('late reader queued', async () =>
        (await client.getPrefix('concord/rwlocks/rw/r/', { countOnly: true })).count === 3 ? true : undefined,
      );
      expect(writer.settled).to.equal(false);
      await r1.release();
      await r2.release();
      const w = await writer.promise;
      expect(lateReader.settled).to.equal(false);
      await w.release();
      await (await lateReader.promise).release();
    });
  });

  describe('Semaphore', () => {
    it('never has more than the limit of holders while workers churn', async () => {
      const sem = new Semaphore(client, 'churn');
      await sem.setLimit(2);
      let inside = 0;
      let maxInside = 0;
      let grants = 0;
      const worker = async (id: string): Promise<void> => {
        await using c = cluster.client();
        const s = new Semaphore(c, 'churn');
        for (let i = 0; i < 5; i++) {
          const slot = await s.acquire(id, { timeoutMs: 20_000 });
          inside++;
          grants++;
          maxInside = Math.max(maxInside, inside);
          const state = await s.state();
          expect(state.holders.length).to.be.at.most(2);
          inside--;
          await slot.release();
        }
      };
      await Promise.all(Array.from({ length: 5 }, (_, i) => worker(`m${i}`)));
      expect(grants).to.equal(25);
      expect(maxInside).to.be.at.most(2);
      expect((await sem.state()).holders).to.deep.equal([]);
    });

    it('keeps the slot of an identity that comes back, and lets an operator release it', async () => {
      const sem = new Semaphore(client, 'reboot');
      await sem.setLimit(1);
      await sem.acquire('node-1');
      // node-1 "reboots": a new client, same identity, still holds its slot.
      await using other = cluster.client();
      const again = await new Semaphore(other, 'reboot').tryAcquire('node-1');
      expect(again?.holderId).to.equal('node-1');
      expect(await sem.tryAcquire('node-2')).to.equal(undefined);
      const waiting = track(sem.acquire('node-2', { timeoutMs: 10_000 }));
      const lost = new Promise<void>((resolve) =>
        again!.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      expect(await sem.release('node-1')).to.equal(true); // the operator's unlock
      await lost;
      const slot2 = await waiting.promise;
      expect((await sem.state()).holders).to.deep.equal(['node-2']);
      await slot2.release();
    });
  });

  describe('Election', () => {
    it('elects in campaign order, observes every leader and tells a deposed leader at once', async () => {
      const election = new Election(client, 'sched');
      const seen: (LeaderInfo | undefined)[] = [];
      const stopObserving = new AbortController();
      const observing = (async () => {
        for await (const l of election.observe({ signal: stopObserving.signal })) seen.push(l);
      })();
      const a = await election.campaign('a', { ttlSec: 5 });
      const b = track(election.campaign('b', { ttlSec: 5 }));
      await a.proclaim('a2');
      expect((await election.leader())?.value).to.equal('a2');
      expect(b.settled).to.equal(false);
      await a.resign();
      expect(a.signal.aborted).to.equal(true);
      const lb = await b.promise;
      expect((await election.leader())?.value).to.equal('b');
      await client.delete(lb.key); // an operator removes b
      await new Promise<void>((resolve) =>
        lb.signal.aborted ? resolve() : lb.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      let proclaimError: unknown;
      await lb.proclaim('b2').catch((e: unknown) => (proclaimError = e));
      expect((proclaimError as RecipeError).code).to.equal('RECIPE_NOT_LEADER');
      await eventually('observer saw the last change', () =>
        seen[seen.length - 1] === undefined && seen.length > 1 ? true : undefined,
      );
      stopObserving.abort();
      await observing;
      expect(seen.map((l) => l?.value)).to.deep.equal([undefined, 'a', 'a2', 'b', undefined]);
      await lb.resign();
    });
  });

  describe('WorkQueue', () => {
    it('delivers each item to exactly one consumer while the leader crashes', async () => {
      const producer = new WorkQueue(client, 'jobs');
      const total = 60;
      for (let i = 0; i < total; i++) await producer.enqueue(`job-${i}`);
      const delivered: string[] = [];
      const consumers = Promise.all(
        Array.from({ length: 4 }, async (_, n) => {
          await using c = cluster.client();
          await using q = new WorkQueue(c, 'jobs', { ttlSec: 5, consumerId: `c${n}` });
          for (;;) {
            if (delivered.length >= total) return;
            let item;
            try {
              item = await q.dequeue({ timeoutMs: 3000 });
            } catch (e) {
              if (e instanceof RecipeError && e.code === 'RECIPE_TIMEOUT') continue;
              if (e instanceof IndeterminateError) continue;
              throw e;
            }
            delivered.push(item.value);
            for (;;) {
              try {
                expect(await item.ack()).to.equal(true);
                break;
              } catch (e) {
                if (!(e instanceof IndeterminateError)) throw e;
                if ((await c.get(q.inflightKey(item.id))) === undefined) break;
              }
            }
          }
        }),
      );
      await eventually('some deliveries', () => (delivered.length >= 15 ? true : undefined));
      await cluster.crashLeader();
      await consumers;
      expect([...delivered].sort()).to.deep.equal(Array.from({ length: total }, (_, i) => `job-${i}`).sort());
      expect(await producer.size()).to.equal(0);
      await producer.close();
    });

    it('serves by priority, FIFO within a priority', async () => {
      await using q = new WorkQueue(client, 'prio', { ttlSec: 5 });
      await q.enqueue('low-1', { priority: 500 });
      await q.enqueue('high-1', { priority: 1 });
      await q.enqueue('low-2', { priority: 500 });
      await q.enqueue('high-2', { priority: 1 });
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const item = await q.dequeue();
        got.push(item.value);
        await item.ack();
      }
      expect(got).to.deep.equal(['high-1', 'high-2', 'low-1', 'low-2']);
    });

    it('does not queue again an item retried with the same id after it was acked', async () => {
      await using q = new WorkQueue(client, 'dedup', { ttlSec: 5 });
      expect((await q.enqueue('once', { id: 'job-1' })).queued).to.equal(true);
      expect((await q.enqueue('once', { id: 'job-1' })).queued).to.equal(false); // still pending
      const item = await q.dequeue({ timeoutMs: 5000 });
      expect(item.id).to.equal('job-1');
      expect((await q.enqueue('once', { id: 'job-1' })).queued).to.equal(false); // in flight
      expect(await item.ack()).to.equal(true);
      expect((await q.enqueue('once', { id: 'job-1' })).queued).to.equal(false); // acked, in the window
      expect(await q.tryDequeue()).to.equal(undefined);
    });

    it('queues an acked id again when the dedup window is off', async () => {
      await using q = new WorkQueue(client, 'nodedup', { ttlSec: 5, dedupWindowSec: 0 });
      await q.enqueue('twice', { id: 'job-2' });
      expect(await (await q.dequeue({ timeoutMs: 5000 })).ack()).to.equal(true);
      expect((await q.enqueue('twice', { id: 'job-2' })).queued).to.equal(true);
      expect((await q.dequeue({ timeoutMs: 5000 })).id).to.equal('job-2');
      expect(() => new WorkQueue(client, 'bad', { dedupWindowSec: -1 })).to.throw(/dedupWindowSec/);
    });

    it('redelivers an item whose consumer died before acking', async () => {
      await using producer = new WorkQueue(client, 'redo');
      await producer.enqueue('fragile');
      const dying = new WorkQueue(client, 'redo', { ttlSec: 2 });
      const item = await dying.dequeue();
      expect(item.value).to.equal('fragile');
      const second = new WorkQueue(client, 'redo', { ttlSec: 5 });
      const waiting = track(second.dequeue({ timeoutMs: 15_000 }));
      await dying.close(); // dies without ack: the claim goes with its lease
      const again = await waiting.promise;
      expect(again.value).to.equal('fragile');
      expect(await again.ack()).to.equal(true);
      expect(await item.ack()).to.equal(false);
      await second.close();
    });

    it('makes a blocked dequeue return when an item arrives, and abort on its signal', async () => {
      await using q = new WorkQueue(client, 'block', { ttlSec: 5 });
      const controller = new AbortController();
      const aborted = q.dequeue({ signal: controller.signal });
      controller.abort(new Error('stop'));
      let caught: unknown;
      await aborted.catch((e: unknown) => (caught = e));
      expect((caught as Error).message).to.equal('stop');
      const waiting = q.dequeue();
      await q.enqueue('late');
      expect((await waiting).value).to.equal('late');
    });
  });

  describe('PubSub', () => {
    it('replays a topic from a revision in order and returns publish revisions', async () => {
      const bus = new PubSub(client);
      const revisions: number[] = [];
      for (let i = 0; i < 10; i++) revisions.push((await bus.publish('news', `m${i}`)).revision);
      await bus.publish('other', 'noise');
      const got: { data: string; revision: number }[] = [];
      for await (const m of bus.subscribe('news', { fromRevision: revisions[0]! })) {
        got.push({ data: m.data, revision: m.revision });
        if (got.length === 10) break;
      }
      expect(got.map((m) => m.data)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `m${i}`));
      expect(got.map((m) => m.revision)).to.deep.equal(revisions);
    });
  });

  describe('Barrier and DoubleBarrier', () => {
    it('holds waiters until released', async () => {
      const barrier = new Barrier(client, 'deploy');
      expect(await barrier.hold()).to.equal(true);
      const waiting = track(barrier.wait({ timeoutMs: 10_000 }));
      await barrier.hold(); // still closed
      expect(waiting.settled).to.equal(false);
      await barrier.release();
      await waiting.promise;
    });

    it('lets participants proceed together and leave together', async () => {
      const sessions = await Promise.all([1, 2, 3].map(() => client.session({ ttlSec: 5 })));
      const barriers = sessions.map(() => new DoubleBarrier(client, 'round', 3));
      const e1 = track(barriers[0]!.enter(sessions[0]!));
      const e2 = track(barriers[1]!.enter(sessions[1]!));
      await eventually('two entered', async () =>
        (await client.getPrefix('concord/barriers/round/w/', { countOnly: true })).count === 2
          ? true
          : undefined,
      );
      expect(e1.settled || e2.settled).to.equal(false);
      await barriers[2]!.enter(sessions[2]!);
      await Promise.all([e1.promise, e2.promise]);
      const l1 = track(barriers[0]!.leave());
      await barriers[1]!.leave({ timeoutMs: 100 }).catch(() => undefined);
      expect(l1.settled).to.equal(false);
      await barriers[2]!.leave();
      await l1.promise;
      for (const s of sessions) await s.close();
    });
  });

  describe('service registry', () => {
    it('follows registrations and drops a dead instance within its TTL plus a bounded delay', async () => {
      const sets: string[][] = [];
      const stopWatching = new AbortController();
      const watching = (async () => {
        for await (const set of watchService(client, 'api', { signal: stopWatching.signal }))
          sets.push(set.map((i) => i.id));
      })();
      await using c1 = cluster.client();
      const alive = await register(c1, { service: 'api', id: 'api-1', address: '10.0.0.1:80', ttlSec: 5 });
      const doomedClient = cluster.client();
      const doomed = await register(doomedClient, {
        service: 'api',
        id: 'api-2',
        address: '10.0.0.2:80',
        ttlSec: 2,
      });
      expect((await discover(client, 'api')).map((i) => i.address)).to.deep.equal([
        '10.0.0.1:80',
        '10.0.0.2:80',
      ]);
      const diedAt = performance.now();
      await doomedClient.close(); // the process "dies": no more heartbeats, no revoke
      await eventually(
        'api-2 gone',
        async () => ((await discover(client, 'api')).some((i) => i.id === 'api-2') ? undefined : true),
        { timeoutMs: 10_000 },
      );
      const goneAfterMs = performance.now() - diedAt;
      expect(goneAfterMs).to.be.below(2000 + 3000);
      await alive.close();
      await eventually('watcher saw the empty set', () =>
        sets[sets.length - 1]?.length === 0 ? true : undefined,
      );
      stopWatching.abort();
      await watching;
      expect(sets[0]).to.deep.equal([]);
      expect(sets).to.deep.include(['api-1', 'api-2']);
      expect(sets).to.deep.include(['api-1']);
      void doomed;
    });
  });

  describe('subscribeConfig', () => {
    it('yields the current value then every change, reports bad values, across a leader crash', async () => {
      await client.putJson('cfg/limits', { max: 1 });
      const parse = (v: unknown): { max: number } => {
        if (typeof v !== 'object' || v === null || typeof (v as { max?: unknown }).max !== 'number')
          throw new Error('max must be a number');
        return v as { max: number };
      };
      const updates: ConfigUpdate<{ max: number }>[] = [];
      const stop = new AbortController();
      const following = (async () => {
        for await (const u of subscribeConfig(client, 'cfg/limits', { parse, signal: stop.signal }))
          updates.push(u);
      })();
      await eventually('initial value', () => (updates.length === 1 ? true : undefined));
      await client.putJson('cfg/limits', { max: 2 });
      await client.put('cfg/limits', 'not json');
      await client.putJson('cfg/limits', { max: 'three' });
      await cluster.crashLeader();
      let last = 0;
      for (const n of [4, 5]) {
        for (;;) {
          try {
            last = (await client.putJson('cfg/limits', { max: n })).revision;
            break;
          } catch (e) {
            if (!(e instanceof IndeterminateError)) throw e;
            if ((await client.getJson('cfg/limits', { parse }))?.max === n) break;
          }
        }
      }
      await eventually('all updates', () =>
        updates[updates.length - 1]?.revision === last ? true : undefined,
      );
      stop.abort();
      await following;
      const shown = updates.map((u) => (u.type === 'value' ? u.value.max : u.type));
      expect(shown).to.deep.equal([1, 2, 'invalid', 'invalid', 4, 5]);
      const revs = updates.map((u) => u.revision);
      expect(revs).to.deep.equal([...revs].sort((a, b) => a - b));
    });
  });
});
