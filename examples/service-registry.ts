/**
 * Service registry: three instances of "api" register with 2-second TTL heartbeats; a client
 * follows the set with watchService and balances round-robin. One instance shuts down cleanly
 * (gone at once), one dies (its client vanishes without deregistering: gone once its TTL ran out
 * on the server, 2 s or a little more), and the last one shuts down too.
 *
 *   npm start
 *   npm run build && node dist/examples/service-registry.js
 */
import { Client } from '../client/index.js';
import { discover, register, roundRobin, watchService, type ServiceInstance } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const started = Date.now();
  const sets = watchService(client, 'examples-api');
  /** Follows the live set, printing each change, until `done(set)` holds. */
  const until = async (done: (ids: string[]) => boolean): Promise<void> => {
    for (;;) {
      const next = await sets.next();
      if (next.done === true) throw new Error('watchService ended');
      const set: ServiceInstance[] = next.value;
      console.log(
        `[+${Date.now() - started} ms] live: ${set.map((i) => `${i.id}@${i.address}`).join(', ') || '(none)'}`,
      );
      if (done(set.map((i) => i.id))) return;
    }
  };
  await until((ids) => ids.length === 0); // nothing registered yet

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
  await until((ids) => ids.length === 3);
  const pick = roundRobin();
  const live = await discover(client, 'examples-api');
  console.log(`round-robin picks: ${[1, 2, 3, 4].map(() => pick(live)?.id).join(' ')}`);

  console.log('api-1 shuts down cleanly');
  await regs[0]!.close();
  await until((ids) => !ids.includes('api-1'));

  console.log('api-2 dies (no deregistration; it disappears once its 2 s TTL runs out)');
  const died = Date.now();
  await clients[1]!.close();
  await until((ids) => !ids.includes('api-2'));
  console.log(`api-2 expired ${((Date.now() - died) / 1000).toFixed(1)} s after it died`);

  console.log('api-3 shuts down cleanly');
  await regs[2]!.close();
  await until((ids) => ids.length === 0);
  await sets.return(undefined);
  for (const c of clients) await c.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
