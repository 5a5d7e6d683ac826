/**
 * The lock on a cluster of real processes (fsync on): the leader is killed with SIGKILL twice while
 * workers contend and write fenced tokens. The lock-safety check must find nothing.
 *
 * Paused members (SIGSTOP) are the fault suite's (test/fault/): the SDK's liveness check moves a
 * waiter off a frozen member (test/unit/client/liveness.test.ts).
 */
import { expect } from 'chai';
import { Client, ClientError, Cmp, Op } from '../../../client/index.js';
import { acquireLock, RecipeError } from '../../../recipes/index.js';
import { ClusterHarness } from '../../cluster/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { checkLockSafety, type FencedWrite, type Hold } from './lock-safety-lite.js';

const pad = (n: number): string => String(n).padStart(12, '0');

describe('acquireLock on real processes', function () {
  this.timeout(90_000);
  let h: ClusterHarness;

  before(async () => {
    h = await ClusterHarness.start({ size: 3, heartbeatIntervalMs: 50, electionTimeoutMs: 500 });
  });

  after(async () => {
    for (const m of h?.members ?? []) m.process?.kill('SIGCONT');
    await h?.stop();
  });

  context('when the leader is killed twice', () => {
    it('keeps holds disjoint (or fenced) and lets no stale token through', async () => {
      const clientFor = (): Client =>
        new Client({
          endpoints: h.members.map((m) => m.clientUrl),
          requestTimeoutMs: 2000,
          backoff: { initialDelayMs: 20, maxDelayMs: 300 },
        });
      await using admin = clientFor();
      await admin.put('fault-guard', pad(0));
      const holds: Hold[] = [];
      const writes: FencedWrite[] = [];
      let stop = false;
      const worker = async (name: string): Promise<void> => {
        await using c = clientFor();
        while (!stop) {
          try {
            await using lock = await acquireLock(c, 'fault-mutex', { ttlSec: 3, timeoutMs: 15_000 });
            const startMs = performance.now();
            let endMs = Number.POSITIVE_INFINITY;
            lock.signal.addEventListener('abort', () => (endMs = Math.min(endMs, performance.now())), {
              once: true,
            });
            try {
              const r = await c
                .txn()
                .if(Cmp.value('fault-guard', '<', pad(lock.token)))
                .then(Op.put('fault-guard', pad(lock.token)))
                .commit({ signal: lock.signal });
              writes.push({ token: lock.token, acceptedAt: r.succeeded ? r.revision : undefined });
            } finally {
              endMs = Math.min(endMs, performance.now());
              holds.push({ worker: name, token: lock.token, startMs, endMs });
            }
          } catch (e) {
            if (stop) return;
            if (!(e instanceof ClientError || e instanceof RecipeError)) throw e;
          }
        }
      };
      const workers = Promise.all(Array.from({ length: 5 }, (_, i) => worker(`w${i}`)));
      try {
        await eventually('holds before faults', () => (holds.length >= 8 ? true : undefined));
        for (let round = 0; round < 2; round++) {
          const killed = await h.waitForLeader();
          await h.kill(killed);
          const mark = holds.length;
          await eventually('holds after the kill', () => (holds.length >= mark + 8 ? true : undefined), {
            timeoutMs: 30_000,
          });
          h.restart(killed);
          await h.waitForLeader();
        }
      } finally {
        stop = true; // workers leave within their acquire timeout even if the test failed
        await workers;
      }

      expect(checkLockSafety(holds, writes)).to.deep.equal([]);
      expect(writes.filter((w) => w.acceptedAt !== undefined).length).to.be.greaterThan(15);
    });
  });
});
