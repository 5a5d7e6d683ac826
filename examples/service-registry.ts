/**
 * Service registry: three instances of "api" register with 2-second TTL heartbeats; a client
 * follows the set with watchService and balances round-robin. One instance shuts down cleanly
 * (gone at once), one dies (its client vanishes without deregistering: gone after its TTL).
 *
 *   npm start
 *   npm run build && node dist/examples/service-registry.js
 */
import { Client } from '../client/index.js';
import { discover, register, roundRobin, watchService } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const stop = new AbortController();
  const started = Date.now();
  const watching = (async () => {
    for await (const set of watchService(client, 'examples-api', { signal: stop.signal }))
      console.log(
        `[+${Date.now() - started} ms] live: ${set.map((i) => `${i.id}@${i.address}`).join(', ') || '(none)'}`,
      );
  })();

  const clients = [1, 2, 3].map(() => new Client({ endpoints, requestTimeoutMs: 5000 }));
  const regs = await Promise.all(
    clients.map((c, i) =>
      register(c, {
        service: 'examples-api',
        id: `api-${i + 1}`,
        address: `10.0.0.${i + 1}:8080`,
        meta: { zone: 'a' },
        ttlSec: 2,
      }),
    ),
  );
  const pick = roundRobin();
  const live = await discover(client, 'examples-api');
  console.log(`round-robin picks: ${[1, 2, 3, 4].map(() => pick(live)?.id).join(' ')}`);

  console.log('api-1 shuts down cleanly');
  await regs[0]!.close();
  console.log('api-2 dies (no deregistration; it disappears after its 2 s TTL)');
  await clients[1]!.close();
  await new Promise((r) => setTimeout(r, 4000));

  await regs[2]!.close();
  await new Promise((r) => setTimeout(r, 200));
  stop.abort();
  await watching;
  for (const c of clients) await c.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
