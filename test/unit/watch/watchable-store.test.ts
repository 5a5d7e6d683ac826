import { expect } from 'chai';
import { MvccStore } from '../../../server/mvcc/index.js';
import {
  WatchableStore,
  describeWatchResponse,
  type WatchableStoreOptions,
  type WatchResponse,
} from '../../../server/watch/index.js';
import { ALL, dec, enc } from '../mvcc/helpers.js';

function setup(options: WatchableStoreOptions = {}): { s: MvccStore; w: WatchableStore } {
  const s = new MvccStore();
  return { s, w: new WatchableStore(s, options) };
}
const put = (s: MvccStore, k: string, v = 'v') => s.put({ key: enc(k), value: enc(v) });
const lines = (rs: WatchResponse[]) => rs.map(describeWatchResponse);
const eventKeys = (rs: WatchResponse[]) =>
  rs.flatMap((r) =>
    r.type === 'events' ? r.events.map((e) => `${e.type}:${dec(e.kv.key)}@${e.kv.modRevision}`) : [],
  );

describe('WatchableStore', () => {
  describe('#watch', () => {
    it('sends created, then each revision as it commits, with one txn in one response', () => {
      const { s, w } = setup();
      const id = w.watch({ key: enc('a'), rangeEnd: enc('z') });
      put(s, 'a');
      s.txn({
        compare: [],
        success: [
          { type: 'put', request: { key: enc('b'), value: enc('1') } },
          { type: 'put', request: { key: enc('c'), value: enc('1') } },
        ],
        failure: [],
      });
      put(s, 'zz');
      expect(lines(w.take(id))).to.deep.equal([`watch ${id} created @1`, `watch ${id} @3 put@2 put@3 put@3`]);
    });

    it('starts at a future revision without sending anything before it', () => {
      const { s, w } = setup();
      const id = w.watch({ key: enc('a'), startRevision: 4 });
      put(s, 'a');
      put(s, 'a');
      put(s, 'a');
      expect(eventKeys(w.take(id))).to.deep.equal(['put:a@4']);
    });

    it('catches up from the past in batches while writes continue, then goes live with no gap or duplicate', () => {
      const { s, w } = setup({ maxRevisionsPerSync: 2 });
      for (let i = 0; i < 5; i++) put(s, 'k', String(i));
      const id = w.watch({ key: enc('k'), startRevision: 3 });
      expect(w.groupSizes().unsynced).to.equal(1);
      w.sync(); // 3, 4
      put(s, 'k', 'x'); // 7, while behind
      expect(eventKeys(w.take(id))).to.deep.equal(['put:k@3', 'put:k@4']);
      expect(w.sync()).to.equal(1); // 5, 6
      expect(w.sync()).to.equal(0); // 7, synced
      put(s, 'k', 'y'); // 8, live
      expect(eventKeys(w.take(id))).to.deep.equal(['put:k@5', 'put:k@6', 'put:k@7', 'put:k@8']);
      expect(w.groupSizes()).to.deep.equal({ synced: 1, unsynced: 0, victims: 0 });
    });

    it('cancels a start below the compaction point with COMPACTED and the compact revision', () => {
      const { s, w } = setup();
      for (let i = 0; i < 5; i++) put(s, 'k');
      s.compact(5);
      const id = w.watch({ key: enc('k'), startRevision: 4 });
      const [created, canceled] = w.take(id);
      expect(created?.type).to.equal('created');
      expect(canceled).to.include({ type: 'canceled', code: 'COMPACTED', compactRevision: 5 });
      expect(w.watcherCount).to.equal(0);
      const ok = w.watch({ key: enc('k'), startRevision: 5 });
      w.sync();
      expect(eventKeys(w.take(ok))).to.deep.equal(['put:k@5', 'put:k@6']);
    });

    it('attaches the previous key-value and applies the noPut / noDelete filters', () => {
      const { s, w } = setup();
      const withPrev = w.watch({ key: enc('k'), prevKv: true });
      const deletesOnly = w.watch({ key: enc('k'), noPut: true });
      put(s, 'k', '1');
      put(s, 'k', '2');
      s.deleteRange({ key: enc('k') });
      const events = w.take(withPrev).flatMap((r) => (r.type === 'events' ? r.events : []));
      expect(events.map((e) => (e.prevKv === undefined ? '-' : dec(e.prevKv.value)))).to.deep.equal([
        '-',
        '1',
        '2',
      ]);
      expect(eventKeys(w.take(deletesOnly))).to.deep.equal(['delete:k@4']);
    });

    context('when many synced watchers receive one revision', () => {
      it('gives each the right events, sharing one event object per kind (plain, with prev_kv)', () => {
        const { s, w } = setup();
        put(s, 'k', 'old');
        const plain = [w.watch({ key: enc('k') }), w.watch({ key: enc('a'), rangeEnd: enc('z') })];
        const prev = [w.watch({ key: enc('k'), prevKv: true }), w.watch({ key: enc('k'), prevKv: true })];
        const noPut = w.watch({ key: enc('k'), noPut: true });
        put(s, 'k', 'new');
        const firstEvent = (id: number) => {
          const r = w.take(id).find((x) => x.type === 'events');
          return r?.type === 'events' ? r.events[0] : undefined;
        };
        const [p0, p1] = plain.map(firstEvent);
        const [q0, q1] = prev.map(firstEvent);
        expect(p0?.prevKv).to.equal(undefined);
        expect(dec(p0?.kv.value ?? new Uint8Array())).to.equal('new');
        expect(p1).to.equal(p0);
        expect(dec(q0?.prevKv?.value ?? new Uint8Array())).to.equal('old');
        expect(q1).to.equal(q0);
        expect(firstEvent(noPut)).to.equal(undefined);
      });
    });

    it('refuses more than maxWatchers', () => {
      const { w } = setup({ maxWatchers: 1 });
      w.watch({ key: enc('a') });
      expect(() => w.watch({ key: enc('b') }))
        .to.throw()
        .with.property('code', 'UNAVAILABLE');
    });
  });

  context('when a watcher does not take its responses', () => {
    it('holds one batch as a victim, never grows past its bound, and loses nothing once drained', () => {
      const { s, w } = setup({ maxBufferedEvents: 3, maxEventsPerResponse: 2 });
      const id = w.watch({ ...ALL });
      for (let i = 0; i < 10; i++) put(s, `k${i}`);
      expect(w.groupSizes().victims).to.equal(1);
      const got: WatchResponse[] = [];
      for (let i = 0; i < 20 && (w.sync() > 0 || w.pendingWatchIds().length > 0); i++)
        got.push(...w.take(id, 1));
      expect(eventKeys(got)).to.deep.equal(Array.from({ length: 10 }, (_, i) => `put:k${i}@${i + 2}`));
      expect(w.groupSizes()).to.deep.equal({ synced: 1, unsynced: 0, victims: 0 });
    });

    it('cancels it with SLOW_WATCHER under the cancel policy', () => {
      const { s, w } = setup({ maxBufferedEvents: 2, slowWatcherPolicy: 'cancel' });
      const id = w.watch({ ...ALL });
      for (let i = 0; i < 4; i++) put(s, `k${i}`);
      const last = w.take(id).pop();
      expect(last).to.include({ type: 'canceled', code: 'SLOW_WATCHER', revision: 3 });
    });

    it('cancels it with COMPACTED when the history it needs is compacted meanwhile', () => {
      const { s, w } = setup({ maxBufferedEvents: 1 });
      const id = w.watch({ key: enc('k') });
      for (let i = 0; i < 4; i++) put(s, 'k');
      w.take(id, 2); // created and @2: room for the victim batch @3
      w.sync(); // victim @3 delivered, then behind from @4
      s.compact(5);
      w.take(id);
      w.sync();
      expect(w.take(id).pop()).to.include({ type: 'canceled', code: 'COMPACTED', compactRevision: 5 });
    });
  });

  describe('#requestProgress', () => {
    it('tells a synced watcher the current revision', () => {
      const { s, w } = setup();
      const id = w.watch({ key: enc('other') });
      put(s, 'k');
      w.requestProgress(id);
      expect(lines(w.take(id)).pop()).to.equal(`watch ${id} progress @2`);
    });

    it('answers a watcher that is behind only once it caught up', () => {
      const { s, w } = setup({ maxRevisionsPerSync: 1 });
      put(s, 'k');
      put(s, 'k');
      const id = w.watch({ key: enc('k'), startRevision: 2 });
      w.requestProgress(id);
      w.sync();
      expect(w.take(id).some((r) => r.type === 'progress')).to.equal(false);
      w.sync();
      expect(lines(w.take(id))).to.deep.equal([`watch ${id} @3 put@3`, `watch ${id} progress @3`]);
    });
  });

  context('when a victim is asked for progress', () => {
    it('answers once its held batch is delivered, after the batch', () => {
      const { s, w } = setup({ maxBufferedEvents: 1 });
      const id = w.watch({ key: enc('k') });
      put(s, 'k');
      put(s, 'k'); // @3 does not fit: victim
      w.requestProgress(id);
      expect(w.take(id).map((r) => r.type)).to.deep.equal(['created', 'events']);
      w.sync();
      expect(lines(w.take(id))).to.deep.equal([`watch ${id} @3 put@3`, `watch ${id} progress @3`]);
    });
  });

  describe('#progressTick', () => {
    it('notifies idle watchers that asked for it, once per interval', () => {
      const { s, w } = setup({ progressIntervalMs: 1000 });
      const id = w.watch({ key: enc('k'), progressNotify: true });
      const quiet = w.watch({ key: enc('j') });
      w.take(id);
      w.take(quiet);
      put(s, 'x');
      w.progressTick(999);
      expect(w.take(id)).to.deep.equal([]);
      w.progressTick(1000);
      expect(lines(w.take(id))).to.deep.equal([`watch ${id} progress @2`]);
      w.progressTick(1500);
      expect(w.take(id)).to.deep.equal([]);
      expect(w.take(quiet)).to.deep.equal([]);
    });
  });

  describe('#cancel', () => {
    it('stops delivery and forgets the watcher', () => {
      const { s, w } = setup();
      const id = w.watch({ key: enc('k') });
      expect(w.cancel(id)).to.equal(true);
      put(s, 'k');
      expect(w.take(id)).to.deep.equal([]);
      expect(w.cancel(id)).to.equal(false);
    });
  });

  describe('#resync', () => {
    it('catches watchers up from a restored store', () => {
      const { s, w } = setup();
      const id = w.watch({ key: enc('k') });
      put(s, 'k', '1');
      w.take(id);
      const ahead = new MvccStore();
      for (const v of ['1', '2', '3']) put(ahead, 'k', v);
      s.restore(ahead.snapshot());
      w.resync();
      w.sync();
      expect(eventKeys(w.take(id))).to.deep.equal(['put:k@3', 'put:k@4']);
    });

    it('keeps a watch that starts beyond the restored revision from delivering anything before its start', () => {
      // Found by the simulator's clients: a fresh follower's watch from a revision it has not
      // reached yet, then a snapshot install, delivered the whole history below the start.
      const { s, w } = setup();
      const id = w.watch({ key: enc('k'), startRevision: 8 });
      const leader = new MvccStore();
      for (let i = 0; i < 10; i++) put(leader, 'k', String(i));
      s.restore(leader.snapshot());
      w.resync();
      w.sync();
      expect(eventKeys(w.take(id))).to.deep.equal(['put:k@8', 'put:k@9', 'put:k@10', 'put:k@11']);
    });
  });

  it('rejects bad options at construction', () => {
    expect(() => setup({ maxBufferedEvents: 0 })).to.throw(/maxBufferedEvents/);
  });
});
