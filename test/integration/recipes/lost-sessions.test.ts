/**
 * What a lost session means for the lock, the election and the semaphore, on a real 3-member cluster
 * in this process:
 *
 * - A holder cut off from every member (its client behind proxies of the test's own, all cut) learns
 *   of the loss at least the documented safety margin (minus the timer and clock-drift allowance)
 *   before anyone else can take what it held — the time it has to stop. This is a safety property,
 *   measured from the holder's signal to the next holder's acquisition, not a speed assertion.
 * - A waiter whose own session is lost before its turn (its lease revoked by another client) joins
 *   the line again with a fresh session and acquires after the holder, with a greater token; only
 *   what was held reports loss. With the caller's session, the loss is the caller's (RECIPE_LOST).
 */
import { expect } from 'chai';
import { LeaseLostError, type Client } from '../../../client/index.js';
import { marginAllowanceMs } from '../../../client/lease-margin.js';
import {
  acquireLock,
  Election,
  ELECTION_PREFIX,
  lockContenders,
  RecipeError,
  RecipeErrorCode,
  Semaphore,
} from '../../../recipes/index.js';
import { eventually } from '../../helpers/eventually.js';
import { track } from '../../helpers/track.js';
import { InProcessCluster } from './in-process-cluster.js';
import { ProxiedClient } from './proxied-client.js';

/** When `signal` aborts (performance.now() ms), and why. */
function abortTime(signal: AbortSignal): Promise<{ atMs: number; reason: unknown }> {
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve({ atMs: performance.now(), reason: signal.reason }), {
      once: true,
    }),
  );
}

/** A promise's value with the time it resolved. */
async function timed<T>(p: Promise<T>): Promise<{ value: T; atMs: number }> {
  const value = await p;
  return { value, atMs: performance.now() };
}

/** The lease-loss reason behind a recipe's LOST signal. */
function leaseLossOf(reason: unknown): string | undefined {
  if (!(reason instanceof RecipeError) || reason.code !== RecipeErrorCode.Lost) return undefined;
  return reason.cause instanceof LeaseLostError ? reason.cause.reason : undefined;
}

describe('lost sessions and the recipes', function () {
  this.timeout(60_000);
  let cluster: InProcessCluster;
  let client: Client;

  before(async () => {
    cluster = await InProcessCluster.start(3);
    client = cluster.client();
    await client.ready();
    // Not the first write of the store: the first lock of a brand-new store is issue 12's other
    // finding (revision numbering), tested on its own.
    await client.put('lost-sessions/started', '');
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  describe('a holder cut off from every member', () => {
    const ttlSec = 3;
    let holder: ProxiedClient;

    beforeEach(async () => {
      holder = await ProxiedClient.start(cluster.endpoints);
    });

    afterEach(async () => {
      await holder?.close();
    });

    context('holding a lock', () => {
      it('is told at least the safety margin (less the allowance) before the next holder acquires', async () => {
        const name = 'cut-lock';
        const lock = await acquireLock(holder.client, name, { ttlSec });
        const lost = abortTime(lock.signal);
        const next = timed(acquireLock(client, name, { ttlSec, timeoutMs: 30_000 }));
        await eventually('the waiter in line', async () =>
          (await lockContenders(client, name)).length === 2 ? true : undefined,
        );
        holder.cut();
        const taken = await next;
        const signalled = await lost;
        expect(leaseLossOf(signalled.reason)).to.equal('unreachable');
        const guaranteed = lock.session.safetyMarginMs - marginAllowanceMs(ttlSec);
        expect(guaranteed).to.be.greaterThan(0);
        expect(taken.atMs - signalled.atMs).to.be.at.least(guaranteed);
        expect(taken.value.token).to.be.greaterThan(lock.token);
        await taken.value.release();
      });
    });

    context('leading an election', () => {
      it('is told at least the safety margin (less the allowance) before the next leader is elected', async () => {
        const name = 'cut-election';
        const leadership = await new Election(holder.client, name).campaign('cut-off', { ttlSec });
        const lost = abortTime(leadership.signal);
        const next = timed(new Election(client, name).campaign('next', { ttlSec, timeoutMs: 30_000 }));
        await eventually('the candidate in line', async () =>
          (await client.getPrefix(`${ELECTION_PREFIX}${name}/`, { countOnly: true })).count === 2
            ? true
            : undefined,
        );
        holder.cut();
        const taken = await next;
        const signalled = await lost;
        expect(leaseLossOf(signalled.reason)).to.equal('unreachable');
        const guaranteed = leadership.session.safetyMarginMs - marginAllowanceMs(ttlSec);
        expect(taken.atMs - signalled.atMs).to.be.at.least(guaranteed);
        expect(taken.value.revision).to.be.greaterThan(leadership.revision);
        await taken.value.resign();
      });
    });

    context('holding a semaphore slot (an identity, not a lease)', () => {
      it('keeps the slot: nobody else gets it while the holder is cut off past a lease TTL', async () => {
        const sem = new Semaphore(client, 'cut-semaphore');
        await sem.setLimit(1);
        const slot = await new Semaphore(holder.client, 'cut-semaphore').acquire('cut-off');
        holder.cut();
        // A lease-based hold would have been handed on after ttlSec; a slot is not.
        const waited = await sem.acquire('next', { timeoutMs: ttlSec * 1000 + 1000 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(waited instanceof RecipeError && waited.code === RecipeErrorCode.Timeout).to.equal(true);
        expect((await sem.state()).holders).to.deep.equal(['cut-off']);
        holder.heal();
        await slot.release();
        const next = await sem.acquire('next', { timeoutMs: 30_000 });
        await next.release();
      });
    });
  });

  describe('a waiter whose own session is lost before its turn', () => {
    /**
     * Revokes the waiter's lease from another client (what a partition or leader change can do to a
     * waiter's session) and, for `requeue`, waits until the waiter is back in line under a new lease
     * before the holder releases; otherwise the holder releases at once.
     */
    async function loseWaiterSession(
      waiting: { readonly settled: boolean; promise: Promise<unknown> },
      line: () => Promise<readonly { leaseId: number }[]>,
      requeue: boolean,
    ): Promise<number> {
      const first = await eventually('the waiter in line', async () => (await line())[1]);
      await client.lease.revoke(first.leaseId);
      if (!requeue) return first.leaseId;
      const seen = await eventually('the waiter back in line under a new lease', async () => {
        if (waiting.settled) return 'settled';
        const now = await line();
        return now.length === 2 && now[1]!.leaseId !== first.leaseId ? 'requeued' : undefined;
      });
      if (seen === 'settled') await waiting.promise; // surfaces the waiter's error
      return first.leaseId;
    }

    const electionLine = (name: string) => async (): Promise<{ leaseId: number }[]> =>
      (
        await client.getPrefix(`${ELECTION_PREFIX}${name}/`, { sortTarget: 'create', sortOrder: 'ascend' })
      ).kvs.map((kv) => ({ leaseId: kv.lease }));

    for (const requeue of [true, false]) {
      const when = requeue ? 'while the holder still holds' : 'just before the holder releases';
      context(`lost ${when}`, () => {
        it('acquireLock starts over with a fresh session and acquires after the holder, with a greater token', async () => {
          const name = `requeue-lock-${String(requeue)}`;
          const held = await acquireLock(client, name, { ttlSec: 10 });
          const waiting = track(acquireLock(client, name, { ttlSec: 10, timeoutMs: 30_000 }));
          const lostLease = await loseWaiterSession(waiting, () => lockContenders(client, name), requeue);
          await held.release();
          const lock = await waiting.promise;
          expect(lock.token).to.be.greaterThan(held.token);
          expect(lock.session.leaseId).to.not.equal(lostLease);
          expect(lock.isHeld).to.equal(true);
          await lock.release();
        });

        it('campaign starts over with a fresh session and is elected after the leader, with a greater term', async () => {
          const name = `requeue-election-${String(requeue)}`;
          const leader = await new Election(client, name).campaign('first', { ttlSec: 10 });
          const waiting = track(
            new Election(client, name).campaign('second', { ttlSec: 10, timeoutMs: 30_000 }),
          );
          const lostLease = await loseWaiterSession(waiting, electionLine(name), requeue);
          await leader.resign();
          const leadership = await waiting.promise;
          expect(leadership.revision).to.be.greaterThan(leader.revision);
          expect(leadership.session.leaseId).to.not.equal(lostLease);
          expect((await new Election(client, name).leader())?.value).to.equal('second');
          await leadership.resign();
        });
      });
    }

    context('lost to a cut from every member, past its TTL', () => {
      it('acquireLock comes back with a fresh session and acquires after the holder', async () => {
        const waiter = await ProxiedClient.start(cluster.endpoints, 1000);
        try {
          const name = 'requeue-lock-cut';
          const held = await acquireLock(client, name, { ttlSec: 10 });
          const waiting = track(acquireLock(waiter.client, name, { ttlSec: 3, timeoutMs: 45_000 }));
          const first = await eventually(
            'the waiter in line',
            async () => (await lockContenders(client, name))[1],
          );
          waiter.cut();
          await eventually("the waiter's lease expired on the cluster", async () =>
            (await lockContenders(client, name)).length === 1 ? true : undefined,
          );
          waiter.heal();
          const seen = await eventually('the waiter back in line under a new lease', async () => {
            if (waiting.settled) return 'settled';
            const now = await lockContenders(client, name);
            return now.length === 2 && now[1]!.leaseId !== first.leaseId ? 'requeued' : undefined;
          });
          if (seen === 'settled') await waiting.promise; // surfaces the waiter's error
          await held.release();
          const lock = await waiting.promise;
          expect(lock.token).to.be.greaterThan(held.token);
          await lock.release();
        } finally {
          await waiter.close();
        }
      });
    });

    context("when it is the caller's session", () => {
      it("acquireLock rejects with RECIPE_LOST and leaves no key: the session is the caller's to renew", async () => {
        const name = 'caller-session-lock';
        const held = await acquireLock(client, name, { ttlSec: 10 });
        const session = await client.session({ ttlSec: 10 });
        const waiting = track(acquireLock(client, name, { session, timeoutMs: 30_000 }));
        await eventually('the waiter in line', async () =>
          (await lockContenders(client, name)).length === 2 ? true : undefined,
        );
        await client.lease.revoke(session.leaseId);
        const error = await waiting.promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error instanceof RecipeError && error.code === RecipeErrorCode.Lost).to.equal(true);
        expect((await lockContenders(client, name)).map((c) => c.token)).to.deep.equal([held.token]);
        await held.release();
      });

      it('campaign rejects with RECIPE_LOST', async () => {
        const name = 'caller-session-election';
        const leader = await new Election(client, name).campaign('first', { ttlSec: 10 });
        const session = await client.session({ ttlSec: 10 });
        const waiting = track(new Election(client, name).campaign('second', { session, timeoutMs: 30_000 }));
        await eventually('the candidate in line', async () =>
          (await electionLine(name)()).length === 2 ? true : undefined,
        );
        await client.lease.revoke(session.leaseId);
        const error = await waiting.promise.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error instanceof RecipeError && error.code === RecipeErrorCode.Lost).to.equal(true);
        await leader.resign();
      });
    });

    context('a semaphore waiter (no session: identities are not leases)', () => {
      it('keeps waiting through a cut from every member and acquires once the holder releases', async () => {
        const waiter = await ProxiedClient.start(cluster.endpoints);
        try {
          const sem = new Semaphore(client, 'requeue-semaphore');
          await sem.setLimit(1);
          const held = await sem.acquire('holder');
          const waiting = track(
            new Semaphore(waiter.client, 'requeue-semaphore').acquire('waiter', { timeoutMs: 30_000 }),
          );
          await eventually('the waiter connected', () =>
            waiter.client.state === 'connected' ? true : undefined,
          );
          waiter.cut();
          await eventually('the waiter cut off', () =>
            waiter.client.state !== 'connected' ? true : undefined,
          );
          await held.release();
          expect(waiting.settled).to.equal(false);
          waiter.heal();
          const slot = await waiting.promise;
          expect(slot.holderId).to.equal('waiter');
          await slot.release();
        } finally {
          await waiter.close();
        }
      });
    });
  });
});
