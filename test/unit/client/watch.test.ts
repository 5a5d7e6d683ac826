/**
 * Watches: every event exactly once and in order, across forced disconnects, failovers, fragments,
 * pauses for slow consumers, and server-side ends; CompactedError when history is gone.
 */
import { expect } from 'chai';
import { CompactedError, type Watch, type WatchEvent } from '../../../client/index.js';
import { prefixEnd } from '../../../client/namespace.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import type { FakeCluster } from './fake-server.js';
import { dec, enc, rig, settle, settled, until } from './helpers.js';

interface Seen {
  readonly events: WatchEvent[];
  progress: number[];
  error: unknown;
  done: boolean;
}

/** Consumes a watch in the background, recording what it yields. */
function consume(watch: Watch): Seen {
  const seen: Seen = { events: [], progress: [], error: undefined, done: false };
  void (async () => {
    try {
      for await (const batch of watch) {
        if (batch.type === 'progress') seen.progress.push(batch.revision);
        seen.events.push(...batch.events);
      }
    } catch (e) {
      seen.error = e;
    }
    seen.done = true;
  })();
  return seen;
}

const describeEvents = (events: readonly WatchEvent[]): string[] =>
  events.map((e) => `${e.kv.modRevision}:${e.type}:${dec(e.kv.key)}`);

function expected(cluster: FakeCluster, prefix: string, from: number): string[] {
  return describeEvents(cluster.store.eventsIn(enc(prefix), prefixEnd(enc(prefix)), from));
}

/** A deterministic pseudo-random sequence (the test's seed). */
function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
}

async function waitConnected(clock: ManualClock, cluster: FakeCluster): Promise<void> {
  await until(
    clock,
    'reconnected',
    () => cluster.connectedMembers().some((m) => [...m.sessions].some((s) => s.watches.size > 0)),
    100,
  );
}

describe('Watch', () => {
  describe('iteration', () => {
    it('delivers puts and deletes under the prefix, in order, from the creation revision', async () => {
      const { client, cluster } = rig();
      await client.put('w/before', 'x');
      const watch = client.watch({ prefix: 'w/' });
      const start = await watch.ready();
      expect(start).to.equal(3);
      const seen = consume(watch);
      await client.put('w/a', '1');
      await client.put('other', '2');
      await client.delete('w/before');
      await until(undefined as never, 'events', () => seen.events.length === 2);
      expect(describeEvents(seen.events)).to.deep.equal(['3:put:w/a', '5:delete:w/before']);
      expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 'w/', 3));
      await watch.close();
      await client.close();
    });

    it('replays history from startRevision', async () => {
      const { client, cluster } = rig();
      for (let i = 0; i < 5; i++) await client.put(`w/${i}`, `${i}`);
      const seen = consume(client.watch({ prefix: 'w/', startRevision: 3 }));
      await until(undefined as never, 'replay', () => seen.events.length === 4);
      expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 'w/', 3));
      await client.close();
    });

    it('cancels the server-side watch when the consumer breaks out of the loop', async () => {
      const { client, cluster } = rig();
      const watch = client.watch({ key: 'k' });
      await watch.ready();
      const session = cluster.connectedMembers()[0]!.session;
      expect(session.watches.size).to.equal(1);
      await client.put('k', 'v');
      for await (const batch of watch) {
        expect(batch.events).to.have.length(1);
        break;
      }
      await settle();
      expect(session.watches.size).to.equal(0);
      expect(session.received.some((f) => f.type === 'cancel')).to.equal(true);
      await client.close();
    });

    it('strips the namespace from event keys', async () => {
      const { client } = rig();
      const app = client.namespace('app/');
      const seen = consume(app.watch({ prefix: '' }));
      await settle();
      await client.put('app/x', '1');
      await client.put('elsewhere', '1');
      await until(undefined as never, 'event', () => seen.events.length === 1);
      expect(dec(seen.events[0]!.kv.key)).to.equal('x');
      await client.close();
    });

    it('throws when iterated twice', async () => {
      const { client } = rig();
      const watch = client.watch({ key: 'k' });
      watch[Symbol.asyncIterator]();
      expect(() => watch[Symbol.asyncIterator]()).to.throw(/single consumer/);
      await client.close();
    });
  });

  describe('resume', () => {
    context('when connections are dropped again and again while writes continue', () => {
      for (const seed of [1, 7, 42]) {
        it(`delivers every event exactly once, in order (seed ${seed})`, async () => {
          const { client, cluster, clock } = rig();
          const random = prng(seed);
          const watch = client.watch({ prefix: 'w/', startRevision: 1 });
          const seen = consume(watch);
          await watch.ready();
          let writes = 0;
          for (let round = 0; round < 30; round++) {
            // Writes by other clients straight into the cluster, some of several keys per revision.
            const n = 1 + Math.floor(random() * 4);
            for (let i = 0; i < n; i++) {
              const k = Math.floor(random() * 6);
              if (random() < 0.2) cluster.store.deleteRange(enc(`w/${k}`), new Uint8Array());
              else if (random() < 0.2)
                cluster.store.write(() => {
                  cluster.store.put(enc(`w/${k}`), enc(`${writes}`));
                  cluster.store.put(enc(`w/${k + 1}`), enc(`${writes}`));
                  cluster.store.put(enc(`x/${k}`), enc('other'));
                });
              else cluster.store.put(enc(`w/${k}`), enc(`${writes}`));
              writes++;
            }
            const r = random();
            if (r < 0.4) {
              for (const m of cluster.connectedMembers()) m.dropAll();
              // Writes land while the watcher is disconnected.
              cluster.store.put(enc(`w/gap${round}`), enc('g'));
              if (random() < 0.5) {
                const victim = cluster.members[Math.floor(random() * 3)]!;
                victim.down = true;
                await waitConnected(clock, cluster);
                victim.down = false;
              } else await waitConnected(clock, cluster);
            } else if (r < 0.5) {
              // The member holds events back, then the connection dies: they come from history.
              const m = cluster.connectedMembers()[0]!;
              m.deliverEvents = false;
              cluster.store.put(enc(`w/held${round}`), enc('h'));
              m.dropAll();
              m.deliverEvents = true;
              await waitConnected(clock, cluster);
            }
            await settle();
          }
          const want = expected(cluster, 'w/', 1);
          await until(clock, 'all events', () => seen.events.length >= want.length, 100);
          await settle();
          expect(describeEvents(seen.events)).to.deep.equal(want);
          expect(seen.error).to.equal(undefined);
          await client.close();
        });
      }
    });

    context('when a member replays events the watcher already delivered', () => {
      it('drops them: nothing is delivered twice', async () => {
        const { client, cluster, clock } = rig();
        const watch = client.watch({ prefix: 'd/', startRevision: 1 });
        const seen = consume(watch);
        await watch.ready();
        for (let i = 0; i < 4; i++) await client.put(`d/${i}`, 'v');
        await until(clock, 'first events', () => seen.events.length === 4);
        for (const m of cluster.members) m.replayFrom = 1;
        cluster.connectedMembers()[0]!.dropAll();
        cluster.store.put(enc('d/after'), enc('v'));
        await waitConnected(clock, cluster);
        await until(clock, 'new event', () => seen.events.length >= 5, 50);
        await settle();
        expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 'd/', 1));
        await client.close();
      });
    });

    context('when a revision is split into fragments and the connection drops mid-revision', () => {
      it('delivers the revision once, whole', async () => {
        const { client, cluster, clock } = rig();
        for (const m of cluster.members) m.fragmentEvents = 2;
        const watch = client.watch({ prefix: 'f/' });
        const seen = consume(watch);
        await watch.ready();
        let frames = 0;
        const first = cluster.connectedMembers()[0]!;
        first.afterWatchFrame = (session) => {
          frames++;
          first.afterWatchFrame = undefined;
          session.drop();
        };
        cluster.store.write(() => {
          for (let i = 0; i < 5; i++) cluster.store.put(enc(`f/${i}`), enc('v'));
        });
        await waitConnected(clock, cluster);
        await until(clock, 'revision delivered', () => seen.events.length >= 5, 100);
        await settle();
        expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 'f/', 1));
        expect(frames).to.equal(1);
        await client.close();
      });
    });

    context('when the member ends the watch with SLOW_WATCHER', () => {
      it('re-creates it from the next revision', async () => {
        const { client, cluster, clock } = rig();
        const watch = client.watch({ prefix: 's/' });
        const seen = consume(watch);
        await watch.ready();
        await client.put('s/1', 'a');
        const session = cluster.connectedMembers()[0]!.session;
        const [id] = [...session.watches.keys()];
        session.endWatch(id!, { code: 'SLOW_WATCHER', message: 'too slow', details: {} });
        cluster.store.put(enc('s/2'), enc('b'));
        await until(clock, 'recreated', () => session.watches.size === 1, 50);
        await until(clock, 'events', () => seen.events.length === 2, 50);
        expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 's/', 1));
        await client.close();
      });
    });

    context('when the consumer is slower than the buffer allows', () => {
      it('pauses the server-side watch and resumes without loss once drained', async () => {
        const { client, cluster, clock } = rig({ watchBufferEvents: 4 });
        const watch = client.watch({ prefix: 'b/' });
        await watch.ready();
        const session = cluster.connectedMembers()[0]!.session;
        for (let i = 0; i < 10; i++) cluster.store.put(enc(`b/${i}`), enc('v'));
        await settle();
        expect(session.watches.size).to.equal(0);
        const seen = consume(watch);
        await until(clock, 'drained', () => seen.events.length === 10, 50);
        expect(describeEvents(seen.events)).to.deep.equal(expected(cluster, 'b/', 1));
        cluster.store.put(enc('b/late'), enc('v'));
        await until(clock, 'live again', () => seen.events.length === 11, 50);
        await client.close();
      });
    });
  });

  describe('compaction', () => {
    context('when the start revision is compacted at creation', () => {
      it('throws CompactedError with the compact revision', async () => {
        const { client, cluster } = rig();
        for (let i = 0; i < 5; i++) await client.put(`c/${i}`, 'v');
        cluster.store.compact(4);
        const seen = consume(client.watch({ prefix: 'c/', startRevision: 2 }));
        await until(undefined as never, 'done', () => seen.done);
        expect(seen.error).to.be.instanceOf(CompactedError);
        expect((seen.error as CompactedError).compactRevision).to.equal(4);
        await client.close();
      });
    });

    context('when history is compacted while the watcher is disconnected', () => {
      it('yields what it had, then throws CompactedError', async () => {
        const { client, cluster, clock } = rig();
        const watch = client.watch({ prefix: 'c/' });
        const seen = consume(watch);
        await watch.ready();
        await client.put('c/1', 'v');
        await until(clock, 'first', () => seen.events.length === 1);
        for (const m of cluster.members) m.down = true;
        cluster.member(1).dropAll();
        cluster.member(2).dropAll();
        cluster.member(3).dropAll();
        for (let i = 0; i < 3; i++) cluster.store.put(enc(`c/x${i}`), enc('v'));
        cluster.store.compact(cluster.store.revision);
        for (const m of cluster.members) m.down = false;
        await until(clock, 'done', () => seen.done, 100);
        expect(describeEvents(seen.events)).to.deep.equal(['2:put:c/1']);
        expect(seen.error).to.be.instanceOf(CompactedError);
        await client.close();
      });
    });
  });

  describe('#requestProgress', () => {
    it('yields a progress batch at the current revision', async () => {
      const { client } = rig();
      const watch = client.watch({ key: 'p' });
      const seen = consume(watch);
      await watch.ready();
      await client.put('other', 'x');
      await watch.requestProgress();
      await until(undefined as never, 'progress', () => seen.progress.length === 1);
      expect(seen.progress).to.deep.equal([2]);
      expect(watch.nextRevision).to.equal(3);
      await client.close();
    });
  });

  describe('feature watch_group', () => {
    it('announces it in the hello and delivers a watch_group frame to each listed watch once', async () => {
      const { client, cluster } = rig();
      const watches = [0, 1, 2].map(() => client.watch({ prefix: 'g/' }));
      const seen = watches.map(consume);
      await Promise.all(watches.map((w) => w.ready()));
      const session = cluster.connectedMembers()[0]!.session;
      const hello = session.received.find((f) => f.type === 'hello');
      expect(hello).to.deep.include({ features: ['watch_group'] });
      const ids = [...session.watches.keys()];
      expect(ids).to.have.length(3);
      const kv = {
        key: enc('g/x'),
        createRevision: 100,
        modRevision: 100,
        version: 1,
        value: enc('v'),
        lease: 0,
      };
      const header = { clusterId: 1, memberId: 1, revision: 100, raftTerm: 1 };
      const frame = {
        type: 'watch_group' as const,
        ids: ids.slice(0, 2),
        result: {
          type: 'events' as const,
          header,
          watchId: 0,
          events: [{ type: 'put' as const, kv }],
          fragment: false,
        },
      };
      session.send(frame);
      session.send(frame); // a duplicate revision is dropped by each watch
      await until(undefined as never, 'two watches got the event', () => seen[1]!.events.length === 1);
      await settle();
      expect(seen.map((s) => describeEvents(s.events))).to.deep.equal([['100:put:g/x'], ['100:put:g/x'], []]);
      expect(watches.map((w) => w.nextRevision)).to.deep.equal([101, 101, watches[2]!.nextRevision]);
      await client.close();
    });
  });

  describe('AbortSignal', () => {
    it('ends the iterator with signal.reason and cancels on the server', async () => {
      const { client, cluster } = rig();
      const controller = new AbortController();
      const watch = client.watch({ key: 'k', signal: controller.signal });
      const seen = consume(watch);
      await watch.ready();
      const reason = new Error('stop');
      controller.abort(reason);
      await until(undefined as never, 'done', () => seen.done);
      expect(seen.error).to.equal(reason);
      expect(cluster.connectedMembers()[0]!.session.watches.size).to.equal(0);
      const r = await settled(watch.ready());
      expect(r.ok).to.equal(true);
      await client.close();
    });

    context('when one signal is shared by many watches', () => {
      it('ends them all and adds a single abort listener to the signal', async () => {
        const { client, cluster } = rig();
        const controller = new AbortController();
        const added: string[] = [];
        const add = controller.signal.addEventListener.bind(controller.signal);
        controller.signal.addEventListener = ((type: string, ...rest: unknown[]) => {
          added.push(type);
          return (add as (...args: unknown[]) => void)(type, ...rest);
        }) as typeof controller.signal.addEventListener;
        const watches = Array.from({ length: 30 }, (_, i) =>
          client.watch({ key: `k${i}`, signal: controller.signal }),
        );
        const seen = watches.map(consume);
        await Promise.all(watches.map((w) => w.ready()));
        expect(added).to.deep.equal(['abort']);
        controller.abort(new Error('stop all'));
        await until(undefined as never, 'all done', () => seen.every((s) => s.done));
        expect(seen.map((s) => (s.error as Error).message)).to.deep.equal(watches.map(() => 'stop all'));
        expect(cluster.connectedMembers()[0]!.session.watches.size).to.equal(0);
        await client.close();
      });
    });
  });
});
