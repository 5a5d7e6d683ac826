/**
 * Every recipe as the first operation on a brand-new store (issue 12): a new single member and a
 * new 3-member cluster per case, nothing written before the operation under test, and the
 * operation's real outcome asserted. The rest of the suite always writes something first, which
 * is how the first `acquireLock` on a new cluster came to hang unnoticed: at revision 0 the
 * "keys created before mine" query (max create revision = mine − 1 = 0) meant "no limit" and found
 * the waiter's own key.
 */
import { expect } from 'chai';
import type { Client } from '../../client/index.js';
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
  register,
  Semaphore,
  subscribeConfig,
  tryLock,
  watchService,
  withLock,
  WorkQueue,
  type LeaderInfo,
  type ServiceInstance,
} from '../../recipes/index.js';
import { TOPOLOGIES, useFreshCluster, within } from './first-op.js';

/** The key's create revision as the store reports it (a lock's token must be exactly that). */
async function createRevisionOf(
  client: Client,
  key: string,
  signal: AbortSignal,
): Promise<number | undefined> {
  return (await client.get(key, { signal }))?.createRevision;
}

for (const topology of TOPOLOGIES) {
  describe(`recipes as the first operation on ${topology.title}`, function () {
    this.timeout(30_000);
    const fresh = useFreshCluster(topology.size);

    describe('acquireLock', () => {
      it('acquires with a fencing token that is its key’s create revision', async () => {
        const { client } = fresh;
        await within('the first acquireLock', async (signal) => {
          const lock = await acquireLock(client, 'first', { ttlSec: 5, signal });
          expect(lock.isHeld).to.equal(true);
          expect(lock.token).to.be.at.least(1);
          expect(await createRevisionOf(client, lock.key, signal)).to.equal(lock.token);
          await lock.release();
          expect(await lockContenders(client, 'first', { signal })).to.deep.equal([]);
        });
      });
    });

    describe('tryLock', () => {
      it('takes the free lock, and a second tryLock finds it held', async () => {
        const { client } = fresh;
        await within('the first tryLock', async (signal) => {
          const lock = await tryLock(client, 'first', { ttlSec: 5, signal });
          expect(lock, 'tryLock on a free lock').to.not.equal(undefined);
          expect(await createRevisionOf(client, lock!.key, signal)).to.equal(lock!.token);
          expect(await tryLock(client, 'first', { ttlSec: 5, signal })).to.equal(undefined);
          await lock!.release();
        });
      });
    });

    describe('withLock', () => {
      it('runs the function under the lock and releases it after', async () => {
        const { client } = fresh;
        await within('the first withLock', async (signal) => {
          const result = await withLock(
            client,
            'first',
            async (lock) => {
              const holders = await lockContenders(client, 'first', { signal });
              return { token: lock.token, holders: holders.map((h) => h.token) };
            },
            { ttlSec: 5, signal },
          );
          expect(result.holders).to.deep.equal([result.token]);
          expect(await lockContenders(client, 'first', { signal })).to.deep.equal([]);
        });
      });
    });

    describe('acquireRead', () => {
      it('takes the read lock, and a second reader shares it', async () => {
        const { client } = fresh;
        await within('the first acquireRead', async (signal) => {
          const first = await acquireRead(client, 'first', { ttlSec: 5, signal });
          const second = await acquireRead(client, 'first', { ttlSec: 5, signal });
          expect([first.isHeld, second.isHeld]).to.deep.equal([true, true]);
          expect(second.token).to.be.greaterThan(first.token);
          await Promise.all([first.release(), second.release()]);
        });
      });
    });

    describe('acquireWrite', () => {
      it('takes the write lock with a token, then a reader gets it after release', async () => {
        const { client } = fresh;
        await within('the first acquireWrite', async (signal) => {
          const writer = await acquireWrite(client, 'first', { ttlSec: 5, signal });
          expect(await createRevisionOf(client, writer.key, signal)).to.equal(writer.token);
          await writer.release();
          const reader = await acquireRead(client, 'first', { ttlSec: 5, signal });
          expect(reader.token).to.be.greaterThan(writer.token);
          await reader.release();
        });
      });
    });

    describe('Semaphore#acquire', () => {
      it('grants the one default slot and lists the holder', async () => {
        const { client } = fresh;
        await within('the first Semaphore#acquire', async (signal) => {
          const sem = new Semaphore(client, 'first');
          const slot = await sem.acquire('holder-1', { signal });
          expect(slot.signal.aborted).to.equal(false);
          const state = await sem.state({ signal });
          expect({ limit: state.limit, holders: state.holders }).to.deep.equal({
            limit: 1,
            holders: ['holder-1'],
          });
          expect(await sem.tryAcquire('holder-2', { signal })).to.equal(undefined);
          await slot.release({ signal });
          expect((await sem.state({ signal })).holders).to.deep.equal([]);
        });
      });
    });

    describe('Semaphore#setLimit', () => {
      it('creates the record with the limit, and that many holders get slots', async () => {
        const { client } = fresh;
        await within('the first Semaphore#setLimit', async (signal) => {
          const sem = new Semaphore(client, 'first');
          expect((await sem.setLimit(2, { signal })).limit).to.equal(2);
          await sem.acquire('holder-1', { signal });
          await sem.acquire('holder-2', { signal });
          expect((await sem.state({ signal })).holders).to.deep.equal(['holder-1', 'holder-2']);
        });
      });
    });

    describe('Election#campaign', () => {
      it('is elected, and the election reports it as leader', async () => {
        const { client } = fresh;
        await within('the first campaign', async (signal) => {
          const election = new Election(client, 'first');
          const leadership = await election.campaign('node-a', { ttlSec: 5, signal });
          expect(leadership.isLeader).to.equal(true);
          const leader = await election.leader({ signal });
          expect({ value: leader?.value, revision: leader?.revision }).to.deep.equal({
            value: 'node-a',
            revision: leadership.revision,
          });
          await leadership.resign();
          expect(await election.leader({ signal })).to.equal(undefined);
        });
      });
    });

    describe('Election#observe', () => {
      it('reports no leader, then the first candidate elected', async () => {
        const { client } = fresh;
        await within('the first observe', async (signal) => {
          const election = new Election(client, 'first');
          const seen: (LeaderInfo | undefined)[] = [];
          const observing = election.observe({ signal });
          seen.push((await observing.next()).value as LeaderInfo | undefined);
          const leadership = await election.campaign('node-b', { ttlSec: 5, signal });
          seen.push((await observing.next()).value as LeaderInfo | undefined);
          await observing.return(undefined);
          expect(seen.map((l) => l?.value)).to.deep.equal([undefined, 'node-b']);
          expect(seen[1]?.revision).to.equal(leadership.revision);
          await leadership.resign();
        });
      });
    });

    describe('WorkQueue#enqueue', () => {
      it('queues the item, which a consumer then gets and acks', async () => {
        const { client } = fresh;
        await within('the first enqueue', async (signal) => {
          await using queue = new WorkQueue(client, 'first', { ttlSec: 5 });
          const enqueued = await queue.enqueue('job-1', { signal });
          expect(enqueued.queued).to.equal(true);
          expect(await queue.size({ signal })).to.equal(1);
          const item = await queue.dequeue({ signal });
          expect({ id: item.id, value: item.value }).to.deep.equal({ id: enqueued.id, value: 'job-1' });
          expect(await item.ack({ signal })).to.equal(true);
          expect(await queue.size({ signal })).to.equal(0);
        });
      });
    });

    describe('WorkQueue#dequeue', () => {
      it('waits on the empty new queue and gets the item enqueued after', async () => {
        const { client } = fresh;
        await within('the first dequeue', async (signal) => {
          await using consumer = new WorkQueue(client, 'first', { ttlSec: 5 });
          await using producer = new WorkQueue(client, 'first', { ttlSec: 5 });
          const waiting = consumer.dequeue({ signal });
          // The consumer's claim session and its watch exist once its lease is granted; an item
          // enqueued at any point after the call is delivered either by the read or by the watch.
          const enqueued = await producer.enqueue('job-1', { signal });
          const item = await waiting;
          expect({ id: item.id, value: item.value }).to.deep.equal({ id: enqueued.id, value: 'job-1' });
          expect(await item.ack({ signal })).to.equal(true);
        });
      });
    });

    describe('PubSub#subscribe', () => {
      it('delivers a message published after the subscription was ready', async () => {
        const { client } = fresh;
        await within('the first subscribe', async (signal) => {
          const bus = new PubSub(client);
          await using sub = bus.subscribe('first', { signal });
          await sub.ready();
          const published = await bus.publish('first', 'hello', { signal });
          const message = (await sub.next()).value;
          expect(message).to.deep.equal({ topic: 'first', data: 'hello', revision: published.revision });
        });
      });
    });

    describe('PubSub#publish', () => {
      it('publishes at a revision a later subscriber replays from', async () => {
        const { client } = fresh;
        await within('the first publish', async (signal) => {
          const bus = new PubSub(client);
          const published = await bus.publish('first', 'hello', { signal });
          expect(published.revision).to.be.at.least(1);
          await using sub = bus.subscribe('first', { fromRevision: published.revision, signal });
          expect((await sub.next()).value).to.deep.equal({
            topic: 'first',
            data: 'hello',
            revision: published.revision,
          });
        });
      });
    });

    describe('Barrier#hold', () => {
      it('closes the barrier, and a waiter passes once it is released', async () => {
        const { client } = fresh;
        await within('the first Barrier#hold', async (signal) => {
          const barrier = new Barrier(client, 'first');
          expect(await barrier.hold({ signal })).to.equal(true);
          expect(await barrier.hold({ signal }), 'a second hold of a closed barrier').to.equal(false);
          const waiting = barrier.wait({ signal });
          await barrier.release({ signal });
          await waiting;
        });
      });
    });

    describe('Barrier#wait', () => {
      it('returns at once on a barrier nobody closed', async () => {
        const { client } = fresh;
        await within('the first Barrier#wait', (signal) => new Barrier(client, 'first').wait({ signal }));
      });
    });

    describe('DoubleBarrier#enter', () => {
      it('lets both participants in once both arrived, and out once both left', async () => {
        const { client } = fresh;
        await within('the first DoubleBarrier#enter', async (signal) => {
          await using s1 = await client.session({ ttlSec: 5, signal });
          await using s2 = await client.session({ ttlSec: 5, signal });
          const b1 = new DoubleBarrier(client, 'first', 2);
          const b2 = new DoubleBarrier(client, 'first', 2);
          await Promise.all([b1.enter(s1, { signal }), b2.enter(s2, { signal })]);
          await Promise.all([b1.leave({ signal }), b2.leave({ signal })]);
          expect((await client.getPrefix('concord/barriers/first/', { signal })).count).to.equal(0);
        });
      });
    });

    describe('register', () => {
      it('registers an instance that discover finds, and close removes it', async () => {
        const { client } = fresh;
        await within('the first register', async (signal) => {
          const registration = await register(client, {
            service: 'first',
            id: 'api-1',
            address: '10.0.0.1:8080',
            ttlSec: 5,
            signal,
          });
          const found = await discover(client, 'first', { signal });
          expect(found.map((i) => `${i.id}@${i.address}`)).to.deep.equal(['api-1@10.0.0.1:8080']);
          await registration.close();
          expect(await discover(client, 'first', { signal })).to.deep.equal([]);
        });
      });
    });

    describe('watchService', () => {
      it('yields the empty set, then the instance registered after', async () => {
        const { client } = fresh;
        await within('the first watchService', async (signal) => {
          const sets = watchService(client, 'first', { signal });
          const ids = (set: ServiceInstance[] | void): string[] => (set ?? []).map((i) => i.id);
          expect(ids((await sets.next()).value)).to.deep.equal([]);
          await using registration = await register(client, {
            service: 'first',
            id: 'api-1',
            address: '10.0.0.1:8080',
            ttlSec: 5,
            signal,
          });
          expect(ids((await sets.next()).value)).to.deep.equal([registration.instance.id]);
          await sets.return(undefined);
        });
      });
    });

    describe('subscribeConfig', () => {
      it('reports the missing value, then the value written after', async () => {
        const { client } = fresh;
        await within('the first subscribeConfig', async (signal) => {
          const updates = subscribeConfig<{ mode: string }>(client, 'first/config', { signal });
          expect((await updates.next()).value).to.include({ type: 'missing' });
          const put = await client.putJson('first/config', { mode: 'open' }, { signal });
          expect((await updates.next()).value).to.deep.include({
            type: 'value',
            value: { mode: 'open' },
            revision: put.revision,
          });
          await updates.return(undefined);
        });
      });
    });
  });
}
