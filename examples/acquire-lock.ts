/**
 * Lock with fencing tokens: three workers take turns on one lock (FIFO); each writes to a
 * "storage" key only if its token is newer than the last one the storage accepted, which is how a
 * fencing token protects a resource from a holder that lost the lock without knowing. Finally a
 * worker whose lease expires is shown losing the lock (its signal fires).
 *
 *   npm start            # a member on 127.0.0.1:2379
 *   npm run build && node dist/examples/acquire-lock.js
 */
import { Client, Cmp, Op } from '../client/index.js';
import { acquireLock, tryLock, withLock } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');
const pad = (n: number): string => String(n).padStart(12, '0');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  await client.put('examples/storage/token', pad(0));

  const worker = async (name: string): Promise<void> => {
    await withLock(
      client,
      'examples/report',
      async (lock) => {
        console.log(`${name}: holding the lock, fencing token ${lock.token}`);
        const r = await client
          .txn()
          .if(Cmp.value('examples/storage/token', '<', pad(lock.token)))
          .then(
            Op.put('examples/storage/token', pad(lock.token)),
            Op.put('examples/storage/data', `written by ${name}`),
          )
          .commit({ signal: lock.signal });
        console.log(`${name}: fenced write ${r.succeeded ? 'accepted' : 'rejected'}`);
      },
      { ttlSec: 5 },
    );
  };
  await Promise.all(['worker-1', 'worker-2', 'worker-3'].map(worker));

  const held = await tryLock(client, 'examples/report', { ttlSec: 5 });
  console.log(
    `tryLock while free: ${held === undefined ? 'not acquired' : `acquired (token ${held.token})`}`,
  );
  const second = await tryLock(client, 'examples/report', { ttlSec: 5 });
  console.log(`tryLock while held: ${second === undefined ? 'not acquired (no waiting)' : 'acquired?!'}`);
  await held?.release();

  // A holder that stops renewing its lease (a frozen process) loses the lock after the TTL.
  const session = await client.session({ ttlSec: 2 });
  const frozen = await acquireLock(client, 'examples/report', { session });
  frozen.signal.addEventListener('abort', () =>
    console.log(`frozen holder: signal fired (${String(frozen.signal.reason)})`),
  );
  await session.orphan();
  const next = await acquireLock(client, 'examples/report', { ttlSec: 5, timeoutMs: 10_000 });
  console.log(
    `next holder got the lock after the frozen one's lease expired, token ${next.token} > ${frozen.token}`,
  );
  await next.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
