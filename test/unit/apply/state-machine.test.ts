import { expect } from 'chai';
import {
  StateMachine,
  describeCommand,
  encodeCommand,
  type ApplyResult,
} from '../../../server/apply/index.js';
import { SnapshotDecodeError } from '../../../server/mvcc/index.js';
import { ALL, dec, enc } from '../mvcc/helpers.js';

const put = (key: string, lease = 0) => ({
  type: 'put' as const,
  request: { key: enc(key), value: enc('v'), lease },
});
const code = (r: ApplyResult): string => (r.status === 'error' ? r.error.code : r.status);

describe('StateMachine', () => {
  describe('#apply', () => {
    it('skips entries at or below the applied index', () => {
      const sm = new StateMachine();
      expect(sm.apply(1, put('a')).status).to.equal('ok');
      expect(sm.apply(1, put('b'))).to.deep.equal({ status: 'skipped', index: 1 });
      expect(sm.apply(5, put('c')).status).to.equal('ok');
      expect(sm.apply(3, put('d')).status).to.equal('skipped');
      expect(sm.appliedIndex).to.equal(5);
      expect(sm.range(ALL).kvs.map((kv) => dec(kv.key))).to.deep.equal(['a', 'c']);
    });

    it('applies a refused command as a typed error and still advances the index', () => {
      const sm = new StateMachine();
      const r = sm.apply(1, put('a', 99));
      expect(code(r)).to.equal('LEASE_NOT_FOUND');
      expect(sm.appliedIndex).to.equal(1);
    });

    it('advances over an empty entry (a new leader no-op)', () => {
      const sm = new StateMachine();
      expect(sm.applyEntry(4, new Uint8Array(0))).to.deep.equal({ status: 'skipped', index: 4 });
      expect(sm.appliedIndex).to.equal(4);
    });

    it('applies undecodable entry data as INVALID_ARGUMENT', () => {
      const sm = new StateMachine();
      expect(code(sm.applyEntry(1, Uint8Array.from([1, 2, 3])))).to.equal('INVALID_ARGUMENT');
      expect(code(sm.applyEntry(2, encodeCommand(put('a'))))).to.equal('ok');
    });

    it('revokes a lease by deleting all its keys in one revision', () => {
      const sm = new StateMachine();
      sm.apply(1, { type: 'leaseGrant', id: 7, ttlSec: 10 });
      sm.apply(2, put('a', 7));
      sm.apply(3, put('b', 7));
      sm.apply(4, put('c'));
      const watchId = sm.watchable.watch({ ...ALL });
      const r = sm.apply(5, { type: 'leaseRevoke', id: 7 });
      expect(r.status === 'ok' && r.response).to.deep.equal({ type: 'leaseRevoke', revision: 5 });
      expect(sm.range(ALL).kvs.map((kv) => dec(kv.key))).to.deep.equal(['c']);
      const events = sm.watchable.take(watchId).filter((x) => x.type === 'events');
      expect(events).to.have.length(1);
      expect(code(sm.apply(6, { type: 'leaseRevoke', id: 7 }))).to.equal('LEASE_NOT_FOUND');
      expect(sm.lessor.size).to.equal(0);
    });

    it('grants with the id decided by the proposer', () => {
      const sm = new StateMachine();
      const r = sm.apply(1, { type: 'leaseGrant', id: 123, ttlSec: 1 });
      expect(r.status === 'ok' && r.response).to.deep.equal({ type: 'leaseGrant', id: 123, ttlSec: 2 });
      expect(code(sm.apply(2, { type: 'leaseGrant', id: 123, ttlSec: 1 }))).to.equal('LEASE_EXISTS');
    });

    it('refuses what passes the quota, and every write adding data while NOSPACE is raised', () => {
      const sm = new StateMachine({ mvcc: { quotaBytes: 300 } });
      const big = (key: string) => ({
        type: 'put' as const,
        request: { key: enc(key), value: new Uint8Array(100) },
      });
      sm.apply(1, big('a'));
      expect(code(sm.apply(2, big('b')))).to.equal('NO_SPACE');
      // The quota refusal alone raises nothing (the proposing member raises the alarm): small
      // writes still fit.
      expect(sm.alarms.list()).to.deep.equal([]);
      expect(code(sm.apply(3, { type: 'leaseGrant', id: 1, ttlSec: 5 }))).to.equal('ok');
      const raised = sm.apply(4, { type: 'alarmActivate', memberId: 7, alarm: 'noSpace' });
      expect(raised.status === 'ok' && raised.response).to.deep.equal({
        type: 'alarmActivate',
        alarms: [{ memberId: 7, alarm: 'noSpace' }],
      });
      expect(code(sm.apply(5, { type: 'leaseGrant', id: 2, ttlSec: 5 }))).to.equal('NO_SPACE');
      expect(code(sm.apply(6, put('c')))).to.equal('NO_SPACE');
      expect(code(sm.apply(7, { type: 'deleteRange', request: { key: enc('a') } }))).to.equal('ok');
      // Clearing always succeeds, as in etcd; it answers what it cleared.
      const cleared = sm.apply(8, { type: 'alarmDeactivate', memberId: 7, alarm: 'noSpace' });
      expect(cleared.status === 'ok' && cleared.response).to.deep.equal({
        type: 'alarmDeactivate',
        alarms: [{ memberId: 7, alarm: 'noSpace' }],
      });
      expect(code(sm.apply(9, put('c')))).to.equal('ok');
    });

    it('keeps alarms per member and type; clears by member, type, or both as wildcards', () => {
      const sm = new StateMachine();
      sm.apply(1, { type: 'alarmActivate', memberId: 9, alarm: 'corrupt' });
      sm.apply(2, { type: 'alarmActivate', memberId: 3, alarm: 'noSpace' });
      const again = sm.apply(3, { type: 'alarmActivate', memberId: 3, alarm: 'noSpace' });
      expect(again.status === 'ok' && again.response).to.deep.equal({
        type: 'alarmActivate',
        alarms: [{ memberId: 3, alarm: 'noSpace' }],
      });
      sm.apply(4, { type: 'alarmActivate', memberId: 1, alarm: 'noSpace' });
      expect(sm.alarms.list()).to.deep.equal([
        { memberId: 1, alarm: 'noSpace' },
        { memberId: 3, alarm: 'noSpace' },
        { memberId: 9, alarm: 'corrupt' },
      ]);
      const none = sm.apply(5, { type: 'alarmDeactivate', memberId: 9, alarm: 'noSpace' });
      expect(none.status === 'ok' && none.response).to.deep.equal({ type: 'alarmDeactivate', alarms: [] });
      const byType = sm.apply(6, { type: 'alarmDeactivate', memberId: 0, alarm: 'noSpace' });
      expect(byType.status === 'ok' && byType.response).to.deep.include({
        alarms: [
          { memberId: 1, alarm: 'noSpace' },
          { memberId: 3, alarm: 'noSpace' },
        ],
      });
      const all = sm.apply(7, { type: 'alarmDeactivate', memberId: 0 });
      expect(all.status === 'ok' && all.response).to.deep.include({
        alarms: [{ memberId: 9, alarm: 'corrupt' }],
      });
      expect(sm.alarms.list()).to.deep.equal([]);
    });

    it('refuses every write with CORRUPT while the CORRUPT alarm is raised, and still reads', () => {
      const sm = new StateMachine();
      sm.apply(1, put('a'));
      sm.apply(2, { type: 'leaseGrant', id: 5, ttlSec: 10 });
      sm.apply(3, { type: 'alarmActivate', memberId: 2, alarm: 'corrupt' });
      expect(code(sm.apply(4, put('b')))).to.equal('CORRUPT');
      expect(code(sm.apply(5, { type: 'deleteRange', request: { key: enc('a') } }))).to.equal('CORRUPT');
      expect(code(sm.apply(6, { type: 'compact', revision: 1 }))).to.equal('CORRUPT');
      expect(code(sm.apply(7, { type: 'leaseRevoke', id: 5 }))).to.equal('CORRUPT');
      expect(code(sm.apply(8, { type: 'leaseGrant', id: 6, ttlSec: 10 }))).to.equal('CORRUPT');
      expect(sm.range(ALL).kvs.map((kv) => dec(kv.key))).to.deep.equal(['a']);
      sm.apply(9, { type: 'alarmDeactivate', memberId: 2, alarm: 'corrupt' });
      expect(code(sm.apply(10, put('b')))).to.equal('ok');
    });

    it('records checkpointed TTLs that a new leader uses', () => {
      const sm = new StateMachine();
      sm.apply(1, { type: 'leaseGrant', id: 1, ttlSec: 60 });
      sm.apply(2, {
        type: 'leaseCheckpoint',
        checkpoints: [
          { id: 1, remainingTtlSec: 9 },
          { id: 2, remainingTtlSec: 1 },
        ],
      });
      sm.lessor.promote(0);
      expect(sm.lessor.expired(9000)).to.deep.equal([1]);
    });
  });

  context('when the leader drives lease expiry by proposing revokes', () => {
    it('deletes the keys at the same index on every member, and a new leader never expires early', () => {
      const members = [new StateMachine(), new StateMachine()];
      const [leader, follower] = members as [StateMachine, StateMachine];
      let index = 0;
      const propose = (c: Parameters<StateMachine['apply']>[1]) => {
        index++;
        return members.map((m) => m.apply(index, c));
      };
      leader.lessor.promote(0);
      propose({ type: 'leaseGrant', id: 1, ttlSec: 10 });
      propose(put('k', 1));
      expect(follower.lessor.expired(9_000)).to.deep.equal([]);
      expect(leader.lessor.expired(9_999)).to.deep.equal([]);
      // The leader crashes at 9.999 s; the follower takes over and gives the lease a fresh TTL.
      follower.lessor.promote(10_000);
      expect(follower.lessor.expired(19_999)).to.deep.equal([]);
      const expired = follower.lessor.expired(20_000);
      expect(expired).to.deep.equal([1]);
      const results = propose({ type: 'leaseRevoke', id: 1 });
      expect(results.map((r) => r.status === 'ok' && r.revision)).to.deep.equal([3, 3]);
      expect(members.map((m) => m.range(ALL).count)).to.deep.equal([0, 0]);
      expect(leader.hash()).to.equal(follower.hash());
    });
  });

  describe('#restore', () => {
    it('carries the alarms, which keep refusing writes after the restore', () => {
      const a = new StateMachine();
      a.apply(1, put('x'));
      a.apply(2, { type: 'alarmActivate', memberId: 4, alarm: 'noSpace' });
      a.apply(3, { type: 'alarmActivate', memberId: 4, alarm: 'corrupt' });
      const b = new StateMachine();
      b.restore(a.snapshot());
      expect(b.alarms.list()).to.deep.equal(a.alarms.list());
      expect(b.hash()).to.equal(a.hash());
      expect(code(b.apply(4, put('y')))).to.equal('CORRUPT');
      b.apply(5, { type: 'alarmDeactivate', memberId: 4, alarm: 'corrupt' });
      expect(code(b.apply(6, put('y')))).to.equal('NO_SPACE');
      const c = new StateMachine();
      c.restore(new StateMachine().snapshot());
      expect(c.hash()).to.not.equal(b.hash());
    });

    it('carries keys, leases with their attached keys, the applied index and the hash', () => {
      const a = new StateMachine();
      a.apply(1, { type: 'leaseGrant', id: 5, ttlSec: 10 });
      a.apply(2, put('k', 5));
      a.apply(3, { type: 'compact', revision: 2 });
      const b = new StateMachine();
      b.restore(a.snapshot());
      expect(b.appliedIndex).to.equal(3);
      expect(b.hash()).to.equal(a.hash());
      expect(b.lessor.timeToLive(5, true).keys?.map(dec)).to.deep.equal(['k']);
      b.apply(4, { type: 'leaseRevoke', id: 5 });
      expect(b.range(ALL).count).to.equal(0);
    });

    it('refuses a damaged snapshot and keeps the old state', () => {
      const a = new StateMachine();
      a.apply(1, put('k'));
      const snap = a.snapshot();
      const b = new StateMachine();
      b.apply(1, put('x'));
      expect(() => b.restore(snap.slice(0, snap.length - 3))).to.throw(SnapshotDecodeError);
      expect(() => b.restore(Uint8Array.from([1, 2, 3]))).to.throw(SnapshotDecodeError);
      expect(b.range(ALL).kvs.map((kv) => dec(kv.key))).to.deep.equal(['x']);
    });
  });

  describe('#describeCommand', () => {
    it('renders one stable line', () => {
      expect(describeCommand(put('a', 3))).to.equal('put "a" 1B lease=3');
      expect(describeCommand({ type: 'compact', revision: 9 })).to.equal('compact @9');
    });
  });
});
