/**
 * The safety margin of the lost signal (client/lease-margin.ts): the signal fires that long before
 * the earliest moment the cluster may expire the lease, the option is validated against the TTL, and
 * renewals come often enough to postpone the signal.
 */
import { expect } from 'chai';
import { InvalidArgumentError } from '../../../client/index.js';
import {
  defaultSafetyMarginMs,
  effectiveSafetyMarginMs,
  marginAllowanceMs,
  maxSafetyMarginMs,
  renewIntervalMs,
} from '../../../client/lease-margin.js';
import { cutOff, reasonOf, renewals, rig, settled } from './helpers.js';

describe('lease safety margin', () => {
  describe('policy', () => {
    it('defaults to a third of the TTL and allows the timer and drift allowance up to half the TTL', () => {
      expect(defaultSafetyMarginMs(3)).to.equal(1000);
      expect(defaultSafetyMarginMs(60)).to.equal(20_000);
      expect(marginAllowanceMs(3)).to.equal(103);
      expect(marginAllowanceMs(60)).to.equal(160);
      expect(maxSafetyMarginMs(3)).to.equal(1500);
      expect(effectiveSafetyMarginMs(undefined, 3)).to.equal(1000);
      expect(effectiveSafetyMarginMs(400, 3)).to.equal(400);
      // checked against a shorter TTL than the one granted: kept within the granted TTL's range
      expect(effectiveSafetyMarginMs(101, 60)).to.equal(160);
    });

    it('renews every TTL/3, or halfway to the signal when the margin leaves less room', () => {
      expect(renewIntervalMs(3, 1000)).to.equal(1000);
      expect(renewIntervalMs(3, 103)).to.equal(1000);
      expect(renewIntervalMs(3, 1500)).to.equal(750);
    });
  });

  describe('Session', () => {
    context('when the client is cut off with a chosen margin', () => {
      it('aborts the signal that margin before the expiry estimate, not before', async () => {
        const { client, cluster, clock } = rig();
        const session = await client.session({ ttlSec: 3, safetyMarginMs: 400 });
        expect(session.safetyMarginMs).to.equal(400);
        expect(session.expiresAtMs).to.equal(clock.nowMs() + 3000);
        cutOff(cluster);
        await clock.advance(2599);
        expect(session.isLost).to.equal(false);
        await clock.advance(1);
        expect(reasonOf(session.signal)).to.equal('unreachable');
        await client.close();
      });
    });

    for (const [what, margin] of [
      ['below the timer and drift allowance', 102],
      ['above half the TTL', 1501],
      ['not a number', Number.NaN],
      ['negative', -1],
    ] as const) {
      it(`refuses a margin ${what} before granting anything`, async () => {
        const { client, cluster } = rig();
        const r = await settled(client.session({ ttlSec: 3, safetyMarginMs: margin }));
        expect(r.ok === false && r.error instanceof InvalidArgumentError).to.equal(true);
        expect(cluster.store.leases.size).to.equal(0);
        await client.close();
      });
    }

    it('renews often enough with the largest margin that the signal never fires while renewals succeed', async () => {
      const { client, cluster, clock } = rig();
      const session = await client.session({ ttlSec: 3, safetyMarginMs: 1500 });
      await clock.advance(749);
      expect(renewals(cluster)).to.equal(0);
      await clock.advance(1);
      expect(renewals(cluster)).to.equal(1);
      await clock.advance(30_000);
      expect(session.isLost).to.equal(false);
      await client.close();
    });
  });

  describe('#keepAlive of an existing lease', () => {
    it('checks the margin against the TTL the first renewal reports, and stops if it does not fit', async () => {
      const { client, cluster, clock } = rig();
      const { id } = await client.lease.grant(3);
      const r = await settled(client.lease.keepAlive(id, { safetyMarginMs: 2000 }));
      expect(r.ok === false && r.error instanceof InvalidArgumentError).to.equal(true);
      await clock.advance(10_000);
      expect(renewals(cluster)).to.equal(0);
      expect(cluster.store.leases.has(id)).to.equal(true);
      await client.close();
    });

    it('fires a margin that fits that long before the expiry estimate', async () => {
      const { client, cluster, clock } = rig();
      const { id } = await client.lease.grant(3);
      const ka = await client.lease.keepAlive(id, { safetyMarginMs: 1500 });
      cutOff(cluster);
      await clock.advance(1499);
      expect(ka.signal.aborted).to.equal(false);
      await clock.advance(1);
      expect(reasonOf(ka.signal)).to.equal('unreachable');
      await client.close();
    });
  });
});
