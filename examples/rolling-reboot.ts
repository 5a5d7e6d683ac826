/**
 * Rolling reboot, locksmith style: eight "machines" want to reboot, at most two at a time. Each
 * takes a slot in the semaphore under its machine id, "reboots", comes back (a new client, same
 * identity: it still holds its slot), and releases the slot once healthy. The operator view
 * (`concord semaphore list examples-reboot`) shows who holds slots.
 *
 *   npm start
 *   npm run build && node dist/examples/rolling-reboot.js
 */
import { Client } from '../client/index.js';
import { Semaphore } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');
const LIMIT = 2;

async function machine(id: string, counters: { inside: number; max: number }): Promise<void> {
  {
    await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
    const sem = new Semaphore(client, 'examples-reboot');
    await sem.acquire(id, { timeoutMs: 60_000 });
    counters.inside++;
    counters.max = Math.max(counters.max, counters.inside);
    console.log(`${id}: got a slot (${(await sem.state()).holders.join(', ')}), rebooting…`);
  } // the client is gone: the machine is down, but its slot stays taken
  await new Promise((r) => setTimeout(r, 100 + Math.random() * 100)); // the reboot itself
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const sem = new Semaphore(client, 'examples-reboot');
  const slot = await sem.acquire(id); // same identity after the reboot: returns the slot it holds
  console.log(`${id}: back up, healthy, releasing`);
  counters.inside--;
  await slot.release();
}

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const sem = new Semaphore(client, 'examples-reboot');
  await sem.setLimit(LIMIT);
  const counters = { inside: 0, max: 0 };
  await Promise.all(Array.from({ length: 8 }, (_, i) => machine(`machine-${i + 1}`, counters)));
  console.log(`all rebooted; never more than ${counters.max} at a time (limit ${LIMIT})`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
