import { expect } from 'chai';
import { Lessor } from '../../../server/lease/index.js';

function lessor(options = {}): { l: Lessor; deleted: string[][] } {
  const deleted: string[][] = [];
  const l = new Lessor(
    (keys) => {
      deleted.push([...keys]);
      return 42;
    },
    { minTtlSec: 2, expiredRetryMs: 1000, checkpointIntervalMs: 10_000, ...options },
  );
  return { l, deleted };
}

describe('Lessor', () => {
  describe('#grant', () => {
    it('raises a TTL below the minimum', () => {
      expect(lessor().l.grant(1, 1).ttlSec).to.equal(2);
    });

    it('refuses a grant beyond maxLeases with NO_SPACE', () => {
      const { l } = lessor({ maxLeases: 2 });
      l.grant(1, 10);
      l.grant(2, 10);
      expect(() => l.grant(3, 10))
        .to.throw()
        .with.property('code', 'NO_SPACE');
    });

    it('refuses an existing id, a zero id and a TTL above the maximum', () => {
      const { l } = lessor({ maxTtlSec: 100 });
      l.grant(1, 10);
      expect(() => l.grant(1, 10))
        .to.throw()
        .with.property('code', 'LEASE_EXISTS');
      expect(() => l.grant(0, 10))
        .to.throw()
        .with.property('code', 'INVALID_ARGUMENT');
      expect(() => l.grant(2, 101))
        .to.throw()
        .with.property('code', 'LEASE_TTL_TOO_LARGE');
    });
  });

  describe('#revoke', () => {
    it('deletes every attached key in one call and forgets the lease', () => {
      const { l, deleted } = lessor();
      l.grant(1, 10);
      l.attach(1, 'b');
      l.attach(1, 'a');
      expect(l.revoke(1)).to.equal(42);
      expect(deleted).to.have.length(1);
      expect([...(deleted[0] ?? [])].sort()).to.deep.equal(['a', 'b']);
      expect(l.hasLease(1)).to.equal(false);
      expect(() => l.revoke(1))
        .to.throw()
        .with.property('code', 'LEASE_NOT_FOUND');
    });
  });

  describe('#expired', () => {
    it('names nothing on a follower (only the leader decides expiry)', () => {
      const { l } = lessor();
      l.grant(1, 10);
      expect(l.expired(1_000_000)).to.deep.equal([]);
    });

    it('names a lease once its TTL passed without a keep-alive, and again after the retry interval', () => {
      const { l } = lessor();
      l.promote(0);
      l.grant(1, 10);
      l.grant(2, 20);
      expect(l.expired(9_999)).to.deep.equal([]);
      expect(l.expired(10_000)).to.deep.equal([1]);
      expect(l.expired(10_500)).to.deep.equal([]);
      expect(l.expired(11_000)).to.deep.equal([1]);
    });

    it('moves the deadline on renew', () => {
      const { l } = lessor();
      l.promote(0);
      l.grant(1, 10);
      expect(l.renew(1, 8_000)).to.equal(10);
      expect(l.expired(17_999)).to.deep.equal([]);
      expect(l.expired(18_000)).to.deep.equal([1]);
    });

    it('returns at most maxPerCall ids per call', () => {
      const { l } = lessor({ maxPerCall: 2 });
      l.promote(0);
      for (let id = 1; id <= 5; id++) l.grant(id, 2);
      expect(l.expired(5000)).to.deep.equal([1, 2]);
      expect(l.expired(5000)).to.deep.equal([3, 4]);
    });
  });

  describe('#renew', () => {
    it('refuses on a follower with a retryable NOT_LEADER', () => {
      const { l } = lessor();
      l.grant(1, 10);
      expect(() => l.renew(1, 0))
        .to.throw()
        .that.includes({ code: 'NOT_LEADER', retryable: true });
    });

    it('refuses an expired lease (its revoke is on its way) with LEASE_NOT_FOUND', () => {
      const { l } = lessor();
      l.promote(0);
      l.grant(1, 10);
      expect(() => l.renew(1, 10_000))
        .to.throw()
        .with.property('code', 'LEASE_NOT_FOUND');
    });
  });

  describe('#promote', () => {
    it('gives every lease a fresh TTL so a leader change never expires one early', () => {
      const { l } = lessor();
      l.grant(1, 10);
      l.promote(1_000_000, 500);
      expect(l.expired(1_010_499)).to.deep.equal([]);
      expect(l.expired(1_010_500)).to.deep.equal([1]);
    });

    it('uses the checkpointed remaining TTL when there is one', () => {
      const { l } = lessor();
      l.grant(1, 60);
      l.checkpoint([{ id: 1, remainingTtlSec: 5 }]);
      l.promote(0);
      expect(l.timeToLive(1).remainingTtlSec).to.equal(5);
      expect(l.expired(5_000)).to.deep.equal([1]);
    });
  });

  describe('#dueCheckpoints', () => {
    it('reports remaining TTLs every checkpoint interval, and right after a renew of a checkpointed lease', () => {
      const { l } = lessor();
      l.promote(0);
      l.grant(1, 60);
      expect(l.dueCheckpoints(9_999)).to.deep.equal([]);
      expect(l.dueCheckpoints(10_000)).to.deep.equal([{ id: 1, remainingTtlSec: 50 }]);
      l.checkpoint([{ id: 1, remainingTtlSec: 50 }]);
      l.renew(1, 12_000);
      expect(l.dueCheckpoints(12_000)).to.deep.equal([{ id: 1, remainingTtlSec: 60 }]);
    });
  });

  describe('#timeToLive', () => {
    it('tells the granted and remaining TTL and the attached keys', () => {
      const { l } = lessor();
      l.promote(0);
      l.grant(1, 10);
      l.attach(1, 'k');
      l.observeTime(3_500);
      const info = l.timeToLive(1, true);
      expect({ ...info, keys: info.keys?.map((k) => String.fromCharCode(...k)) }).to.deep.equal({
        id: 1,
        ttlSec: 10,
        remainingTtlSec: 7,
        keys: ['k'],
      });
      expect(l.list().map((x) => x.id)).to.deep.equal([1]);
    });
  });

  it('rejects bad options at construction', () => {
    expect(() => new Lessor(() => 0, { minTtlSec: 0 })).to.throw(/minTtlSec/);
    expect(() => new Lessor(() => 0, { maxPerCall: -1 })).to.throw(/maxPerCall/);
  });
});
