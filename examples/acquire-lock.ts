/**
 * Lock with fencing tokens: three workers take turns on one lock (FIFO); each writes to a
 * "storage" key only if its token is newer than the last one the storage accepted, which is how a
 * fencing token protects a resource from a holder that lost the lock without knowing. Then a
 * holder loses the lock while it is not looking: the next waiter gets the lock, and the old
 * holder's late write is rejected by the storage because its token is older.
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

  // The storage accepts a write only with a token newer than every token it accepted before.
  const fencedWrite = async (name: string, token: number, signal?: AbortSignal): Promise<void> => {
    const r = await client
      .txn()
      .if(Cmp.value('examples/storage/token', '<', pad(token)))
      .then(
        Op.put('examples/storage/token', pad(token)),
        Op.put('examples/storage/data', `written by ${name}`),
      )
      .commit(signal === undefined ? {} : { signal });
    console.log(`${name}: fenced write with token ${token} ${r.succeeded ? 'accepted' : 'rejected'}`);
  };

  const worker = async (name: string): Promise<void> => {
    await withLock(
      client,
      'examples/report',
      async (lock) => {
        console.log(`${name}: holding the lock, fencing token ${lock.token}`);
        await fencedWrite(name, lock.token, lock.signal);
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

  // A holder whose lease ends loses the lock. A frozen process (a long GC pause, a suspended VM)
  // loses it when its lease's TTL runs out while it cannot renew; here an operator revokes the
  // lease instead, which ends it the same way without waiting out the TTL.
  const old = await acquireLock(client, 'examples/report', { ttlSec: 5 });
  console.log(`old holder: holding the lock, fencing token ${old.token}`);
  const waiting = acquireLock(client, 'examples/report', { ttlSec: 5 });
  await client.lease.revoke(old.session.leaseId);
  console.log(`operator: revoked the old holder's lease ${old.session.leaseId.toString(16)}`);
  const next = await waiting;
  console.log(`next holder: got the lock, fencing token ${next.token} > ${old.token}`);
  await fencedWrite('next holder', next.token, next.signal);
  // The old holder learns of its loss through its signal (if it is running at all: pass
  // lock.signal to work done under the lock). A write it had already sent, or sends before it
  // notices, is rejected by the storage: its token is older than the one the storage accepted.
  if (!old.signal.aborted) await new Promise((resolve) => old.signal.addEventListener('abort', resolve));
  console.log(`old holder: signal fired (${String(old.signal.reason)})`);
  await fencedWrite('old holder, late', old.token);
  await next.release();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
