/**
 * The state machine's injected bugs (simulator self-tests only): each changes what clients see
 * when on, nothing when off, and never makes members disagree on the hash.
 */
import { expect } from 'chai';
import { StateMachine, type Command, type StateMachineInjectedBugs } from '../../../server/apply/index.js';
import type { WatchEvent, WatchResponse } from '../../../server/watch/index.js';
import { ALL, dec, enc } from '../mvcc/helpers.js';

const put = (key: string, lease = 0): Command => ({
  type: 'put',
  request: { key: enc(key), value: enc('v'), lease },
});

/** A txn whose success branch writes `keys` (its compare always holds). */
const txnPutting = (...keys: string[]): Command => ({
  type: 'txn',
  request: {
    compare: [],
    success: keys.map((k) => ({ type: 'put' as const, request: { key: enc(k), value: enc('t') } })),
    failure: [],
  },
});

/** The events a watcher was sent, as `type key@revision` (one response may hold several revisions). */
function eventsOf(responses: readonly WatchResponse[]): string[] {
  const out: string[] = [];
  for (const r of responses) {
    if (r.type !== 'events') continue;
    for (const e of r.events as readonly WatchEvent[])
      out.push(`${e.type} ${dec(e.kv.key)}@${e.kv.modRevision}`);
  }
  return out;
}

const keysOf = (sm: StateMachine, revision?: number): string[] =>
  sm.range({ ...ALL, ...(revision !== undefined ? { revision } : {}) }).kvs.map((kv) => dec(kv.key));

/** Applies `commands` from index `from` on. */
function applyAll(sm: StateMachine, commands: readonly Command[], from = 1): void {
  commands.forEach((c, i) => sm.apply(from + i, c));
}

describe('StateMachine injected bugs', () => {
  describe('skipTxnSecondWatchEvent', () => {
    /** A live watcher and, after the txn, one catching up from its revision: what each was sent. */
    function watchATxn(bugs: StateMachineInjectedBugs): {
      live: string[];
      caughtUp: string[];
      revision: number;
      sm: StateMachine;
    } {
      const sm = new StateMachine({ injectedBugs: bugs });
      sm.apply(1, put('x'));
      const live = sm.watchable.watch({ ...ALL });
      const r = sm.apply(2, txnPutting('a', 'b', 'c'));
      expect(r.status).to.equal('ok');
      const revision = r.status === 'ok' ? r.revision : 0;
      const late = sm.watchable.watch({ ...ALL, startRevision: revision });
      sm.watchable.sync();
      return {
        live: eventsOf(sm.watchable.take(live)),
        caughtUp: eventsOf(sm.watchable.take(late)),
        revision,
        sm,
      };
    }

    it('when off, a watcher is sent every write of a txn, live or catching up', () => {
      const { live, caughtUp, revision } = watchATxn({});
      const all = ['a', 'b', 'c'].map((k) => `put ${k}@${revision}`);
      expect(live).to.deep.equal(all);
      expect(caughtUp).to.deep.equal(all);
    });

    it('when on, no watcher is sent the second write of a txn, which still happens', () => {
      const { live, caughtUp, revision, sm } = watchATxn({ skipTxnSecondWatchEvent: true });
      const missing = [`put a@${revision}`, `put c@${revision}`];
      expect(live).to.deep.equal(missing);
      expect(caughtUp).to.deep.equal(missing);
      expect(keysOf(sm)).to.deep.equal(['a', 'b', 'c', 'x']);
      expect(sm.store.currentRevision).to.equal(revision);
      expect(sm.hash()).to.equal(watchATxn({}).sm.hash());
    });

    it('when on, leaves writes outside a txn and one-write txns alone', () => {
      const sm = new StateMachine({ injectedBugs: { skipTxnSecondWatchEvent: true } });
      applyAll(sm, [put('a'), put('b')]);
      const w = sm.watchable.watch({ ...ALL });
      applyAll(sm, [{ type: 'deleteRange', request: { ...ALL } }, txnPutting('c')], 3);
      expect(eventsOf(sm.watchable.take(w))).to.deep.equal(['delete a@4', 'delete b@4', 'put c@5']);
    });
  });

  describe('expireLeaseWithoutRevision', () => {
    const grantAndAttach: readonly Command[] = [
      { type: 'leaseGrant', id: 7, ttlSec: 10 },
      put('a', 7),
      put('b', 7),
      put('c'),
    ];

    /** Revokes lease 7 under a watcher; what a read at the revision before saw, and after. */
    function revokeUnderAWatch(bugs: StateMachineInjectedBugs): {
      before: number;
      after: number;
      readBefore: string[];
      readAgain: string[];
      events: string[];
      sm: StateMachine;
    } {
      const sm = new StateMachine({ injectedBugs: bugs });
      applyAll(sm, grantAndAttach);
      const before = sm.store.currentRevision;
      const readBefore = keysOf(sm, before);
      const w = sm.watchable.watch({ ...ALL });
      const r = sm.apply(5, { type: 'leaseRevoke', id: 7 });
      expect(r.status).to.equal('ok');
      return {
        before,
        after: r.status === 'ok' && r.response.type === 'leaseRevoke' ? r.response.revision : 0,
        readBefore,
        readAgain: keysOf(sm, before),
        events: eventsOf(sm.watchable.take(w)),
        sm,
      };
    }

    it('when off, a revoke deletes the keys in a new revision that watchers are sent', () => {
      const { before, after, readBefore, readAgain, events, sm } = revokeUnderAWatch({});
      expect(after).to.equal(before + 1);
      expect(readBefore).to.deep.equal(['a', 'b', 'c']);
      expect(readAgain).to.deep.equal(['a', 'b', 'c']);
      expect(keysOf(sm)).to.deep.equal(['c']);
      expect(events).to.deep.equal([`delete a@${after}`, `delete b@${after}`]);
    });

    it('when on, a revoke hides the keys at the unchanged revision, and no watcher is told', () => {
      const { before, after, readBefore, readAgain, events, sm } = revokeUnderAWatch({
        expireLeaseWithoutRevision: true,
      });
      expect(after).to.equal(before);
      expect(sm.store.currentRevision).to.equal(before);
      expect(readBefore).to.deep.equal(['a', 'b', 'c']);
      expect(readAgain).to.deep.equal(['c']);
      expect(events).to.deep.equal([]);
      expect(sm.lessor.hasLease(7)).to.equal(false);
      // a later write of a hidden key shows it again
      sm.apply(6, put('a'));
      expect(keysOf(sm)).to.deep.equal(['a', 'c']);
    });
  });

  describe('#hash with the bugs on', () => {
    const history: readonly Command[] = [
      { type: 'leaseGrant', id: 7, ttlSec: 10 },
      put('a', 7),
      txnPutting('b', 'c', 'd'),
      { type: 'leaseRevoke', id: 7 },
      put('e', 0),
      { type: 'leaseGrant', id: 8, ttlSec: 10 },
      put('f', 8),
      { type: 'leaseRevoke', id: 8 },
      { type: 'compact', revision: 4 },
      txnPutting('g', 'h'),
    ];
    const allBugs: StateMachineInjectedBugs = {
      skipTxnSecondWatchEvent: true,
      expireLeaseWithoutRevision: true,
    };

    it('agrees between a member that applied every entry and one restored from a snapshot midway', () => {
      const applied = new StateMachine({ injectedBugs: allBugs });
      const restored = new StateMachine({ injectedBugs: allBugs });
      applyAll(applied, history.slice(0, 5));
      restored.restore(applied.snapshot());
      applyAll(applied, history.slice(5), 6);
      applyAll(restored, history.slice(5), 6);
      expect(restored.hash()).to.equal(applied.hash());
      expect(keysOf(restored)).to.deep.equal(keysOf(applied));
      expect(keysOf(applied)).to.deep.equal(['b', 'c', 'd', 'e', 'g', 'h']);
    });
  });
});
