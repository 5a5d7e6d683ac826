/**
 * A brand-new state machine numbers revisions as a brand-new etcd does: it is at revision 1, its
 * first write gets 2, `compact 1` succeeds, a watch from revision 1 or from "now" (0) works, and its
 * snapshot carries all that. Old-format (version 1) snapshots are refused, naming both versions.
 */
import { expect } from 'chai';
import { StateMachine, STATE_SNAPSHOT_VERSION, type ApplyResult } from '../../../server/apply/index.js';
import { SnapshotDecodeError } from '../../../server/mvcc/index.js';
import { describeWatchResponse } from '../../../server/watch/index.js';
import { ALL, enc } from '../mvcc/helpers.js';

const put = (key: string) => ({ type: 'put' as const, request: { key: enc(key), value: enc('v') } });
const revisionOf = (r: ApplyResult): number | string => (r.status === 'ok' ? r.revision : r.status);

describe('StateMachine', () => {
  context('when brand new', () => {
    it('is at revision 1 and gives its first write revision 2', () => {
      const sm = new StateMachine();
      expect(sm.store.currentRevision).to.equal(1);
      expect(sm.range(ALL)).to.include({ revision: 1, count: 0 });
      const first = sm.apply(1, put('a'));
      expect(first.status === 'ok' && first.response).to.deep.equal({
        type: 'put',
        response: { revision: 2 },
      });
      expect(sm.range({ key: enc('a') }).kvs[0]).to.include({
        createRevision: 2,
        modRevision: 2,
        version: 1,
      });
    });

    it('answers a command that writes nothing (a lease grant) at revision 1', () => {
      const sm = new StateMachine();
      expect(revisionOf(sm.apply(1, { type: 'leaseGrant', id: 9, ttlSec: 10 }))).to.equal(1);
      expect(revisionOf(sm.apply(2, { type: 'leaseRevoke', id: 9 }))).to.equal(1);
    });

    it('compacts to revision 1, and refuses 2 as a future revision, as etcd', () => {
      const sm = new StateMachine();
      const future = sm.apply(1, { type: 'compact', revision: 2 });
      expect(future.status === 'error' && future.error.code).to.equal('FUTURE_REVISION');
      const r = sm.apply(2, { type: 'compact', revision: 1 });
      expect(r.status === 'ok' && r.response).to.deep.equal({
        type: 'compact',
        response: { revision: 1, compactRevision: 1 },
      });
      const again = sm.apply(3, { type: 'compact', revision: 1 });
      expect(again.status === 'error' && again.error.code).to.equal('COMPACTED');
    });

    it('serves a watch from revision 1 and one from now (0), each from the first write on', () => {
      const sm = new StateMachine();
      const fromOne = sm.watchable.watch({ key: enc('k'), startRevision: 1 });
      const fromNow = sm.watchable.watch({ key: enc('k') });
      sm.watchable.sync();
      sm.apply(1, put('k'));
      sm.watchable.sync();
      const want = (id: number) => [`watch ${id} created @1`, `watch ${id} @2 put@2`];
      expect(sm.watchable.take(fromOne).map(describeWatchResponse)).to.deep.equal(want(fromOne));
      expect(sm.watchable.take(fromNow).map(describeWatchResponse)).to.deep.equal(want(fromNow));
    });

    it('serves a watch from revision 1 that catches up after writes, until a compaction past 1', () => {
      const sm = new StateMachine();
      sm.apply(1, put('k'));
      sm.apply(2, put('k'));
      const late = sm.watchable.watch({ key: enc('k'), startRevision: 1 });
      sm.watchable.sync();
      expect(sm.watchable.take(late).map(describeWatchResponse)).to.deep.equal([
        `watch ${late} created @3`,
        `watch ${late} @3 put@2 put@3`,
      ]);
      sm.apply(3, { type: 'compact', revision: 2 });
      const tooLate = sm.watchable.watch({ key: enc('k'), startRevision: 1 });
      expect(sm.watchable.take(tooLate).pop()).to.include({
        type: 'canceled',
        code: 'COMPACTED',
        compactRevision: 2,
      });
    });

    it('snapshots and restores to an equal brand-new state', () => {
      const a = new StateMachine();
      const b = new StateMachine();
      b.apply(1, put('x'));
      b.restore(a.snapshot());
      expect(b.store.currentRevision).to.equal(1);
      expect(b.hash()).to.equal(a.hash());
      expect(revisionOf(b.apply(2, put('y')))).to.equal(2);
    });
  });

  describe('#restore', () => {
    it('refuses a version-1 snapshot (revisions from 0), naming the version found and the one read', () => {
      const a = new StateMachine();
      a.apply(1, put('k'));
      const bytes = a.snapshot();
      expect(STATE_SNAPSHOT_VERSION).to.equal(4);
      expect(bytes[4]).to.equal(STATE_SNAPSHOT_VERSION);
      bytes[4] = 1;
      const b = new StateMachine();
      b.apply(1, put('x'));
      expect(() => b.restore(bytes)).to.throw(
        SnapshotDecodeError,
        /format version 1 .*reads version 2 or 3 or 4/,
      );
      expect(b.range(ALL).kvs.map((kv) => kv.modRevision)).to.deep.equal([2]);
    });
  });
});
