/**
 * Leader election: three candidates campaign; an observer prints every leader. The leader
 * proclaims a new value, then resigns; the next candidate in line takes over; the third is deposed
 * by an operator deleting its key and learns it at once through its signal.
 *
 *   npm start
 *   npm run build && node dist/examples/leader-election.js
 */
import { Client } from '../client/index.js';
import { Election } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const election = new Election(client, 'examples-scheduler');
  const stop = new AbortController();
  const observing = (async () => {
    for await (const l of election.observe({ signal: stop.signal }))
      console.log(`observer: leader is ${l === undefined ? '(none)' : `${l.value} (term ${l.revision})`}`);
  })();

  const campaigns = ['node-a', 'node-b', 'node-c'].map((v) => election.campaign(v, { ttlSec: 5 }));
  const a = await campaigns[0]!;
  await a.proclaim('node-a (v2)');
  console.log('node-a resigns');
  await a.resign();
  const b = await campaigns[1]!;
  console.log(`node-b is leader: ${b.isLeader}`);
  await b.resign();
  const c = await campaigns[2]!;
  c.signal.addEventListener('abort', () =>
    console.log(`node-c: no longer leader (${String(c.signal.reason)})`),
  );
  console.log('an operator deletes node-c’s key');
  await client.delete(c.key);
  await new Promise((r) => setTimeout(r, 300));
  await c.resign();
  stop.abort();
  await observing;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
