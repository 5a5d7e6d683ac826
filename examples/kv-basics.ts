/**
 * KV basics: connect, put/get/delete, prefixes, a transaction, JSON values, a namespace.
 *
 *   npm start                       # a member on 127.0.0.1:2379 (or any cluster)
 *   npm run build && node dist/examples/kv-basics.js
 *
 * CONCORD_ENDPOINTS (comma-separated) overrides the endpoint.
 */
import { Client, Cmp, Op, asText } from '../client/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  client.on('state', (state) => console.log(`[state] ${state}`));

  const put = await client.put('examples/greeting', 'hello');
  console.log(`put examples/greeting at revision ${put.revision}`);
  console.log(`get examples/greeting → ${await client.getText('examples/greeting')}`);

  await client.putJson('examples/config', { replicas: 3, region: 'eu' });
  const config = await client.getJson('examples/config', {
    parse: (v) => v as { replicas: number; region: string },
  });
  console.log(`config.replicas = ${config?.replicas}`);

  for (const n of [1, 2, 3]) await client.put(`examples/items/${n}`, `item ${n}`);
  const items = await client.getPrefix('examples/items/', { sortOrder: 'descend', limit: 2 });
  console.log(`${items.count} items, newest two: ${items.kvs.map((kv) => asText(kv.key)).join(', ')}`);

  // Create-if-absent: only the first writer wins.
  const txn = await client
    .txn()
    .if(Cmp.missing('examples/owner'))
    .then(Op.put('examples/owner', 'kv-basics'))
    .else(Op.get('examples/owner'))
    .commit();
  if (txn.succeeded) console.log(`became owner at revision ${txn.revision}`);
  else console.log(`owner is already ${txn.results[0] === undefined ? '?' : asText(txn.results[0].value)}`);

  const tenant = client.namespace('examples/tenant-a/');
  await tenant.put('setting', 'on');
  console.log(
    `raw key: ${(await client.get('examples/tenant-a/setting')) === undefined ? 'missing' : 'examples/tenant-a/setting'}`,
  );

  const deleted = await client.deletePrefix('examples/');
  console.log(`deleted ${deleted.deleted} keys`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
