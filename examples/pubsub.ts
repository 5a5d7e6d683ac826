/**
 * Pub/sub over watches: a live subscriber and a late subscriber that replays from the revision of
 * the first message; publishers learn each message's revision.
 *
 *   npm start
 *   npm run build && node dist/examples/pubsub.js
 */
import { Client } from '../client/index.js';
import { PubSub } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const bus = new PubSub(client);
  const live = bus.subscribe('examples-orders');
  await live.ready(); // the watch exists: nothing published from now on is missed
  const first = await bus.publish('examples-orders', 'order #1 created');
  console.log(`published at revision ${first.revision}`);
  for (const text of ['order #1 paid', 'order #2 created', 'order #1 shipped']) {
    const { revision } = await bus.publish('examples-orders', text);
    console.log(`published at revision ${revision}`);
  }
  let n = 0;
  for await (const m of live) {
    console.log(`live subscriber: ${m.revision} ${m.data}`);
    if (++n === 4) break;
  }
  n = 0;
  for await (const m of bus.subscribe('examples-orders', { fromRevision: first.revision })) {
    console.log(`late subscriber replaying from ${first.revision}: ${m.revision} ${m.data}`);
    if (++n === 4) break;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
