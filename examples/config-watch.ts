/**
 * Config subscription: a typed, validated value followed from its current state through every
 * change. A bad value (not JSON, wrong shape) is reported, not delivered, and the last good value
 * stays in force.
 *
 *   npm start
 *   npm run build && node dist/examples/config-watch.js
 */
import { Client } from '../client/index.js';
import { subscribeConfig, type ConfigUpdate } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

interface Limits {
  readonly maxConnections: number;
  readonly mode: 'open' | 'closed';
}

function parseLimits(v: unknown): Limits {
  const o = v as Partial<Limits> | null;
  if (o === null || typeof o !== 'object') throw new Error('limits must be an object');
  if (typeof o.maxConnections !== 'number' || o.maxConnections < 0)
    throw new Error('maxConnections must be a number ≥ 0');
  if (o.mode !== 'open' && o.mode !== 'closed') throw new Error("mode must be 'open' or 'closed'");
  return { maxConnections: o.maxConnections, mode: o.mode };
}

function show(u: ConfigUpdate<Limits>): void {
  if (u.type === 'value') console.log(`rev ${u.revision}: apply ${JSON.stringify(u.value)}`);
  else if (u.type === 'invalid')
    console.log(
      `rev ${u.revision}: REJECTED ${JSON.stringify(u.raw)} (${String(u.error)}); keeping ${JSON.stringify(u.lastGood)}`,
    );
  else console.log(`rev ${u.revision}: no config`);
}

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  await client.putJson('examples/config/limits', { maxConnections: 100, mode: 'open' });
  const updates = subscribeConfig(client, 'examples/config/limits', { parse: parseLimits });

  // The first update is the value now; after it, every change is delivered, none is missed.
  const first = await updates.next();
  if (!first.done) show(first.value);
  await client.putJson('examples/config/limits', { maxConnections: 250, mode: 'open' });
  await client.put('examples/config/limits', '{ not json');
  await client.putJson('examples/config/limits', { maxConnections: -5, mode: 'open' });
  await client.putJson('examples/config/limits', { maxConnections: 10, mode: 'closed' });
  await client.delete('examples/config/limits');

  let changes = 0;
  for await (const u of updates) {
    show(u);
    if (++changes === 5) break; // the five writes above; leaving the loop ends the subscription
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
