/**
 * Work queue: a producer enqueues 20 jobs (some urgent); three consumers take them, each job
 * reaching exactly one consumer. One consumer "crashes" holding a job without acking: its claim
 * goes with its session, and the job is delivered again to another consumer.
 *
 *   npm start
 *   npm run build && node dist/examples/work-queue.js
 */
import { Client } from '../client/index.js';
import { WorkQueue } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  await client.deletePrefix('concord/queues/examples-jobs/');
  await using producer = new WorkQueue(client, 'examples-jobs');
  for (let i = 0; i < 20; i++) await producer.enqueue(`job-${i}`, { priority: i % 5 === 0 ? 0 : 100 });
  console.log('enqueued 20 jobs (job-0, 5, 10, 15 are urgent)');

  // The crasher's claim lives as long as its session. Closing its handle ends the session at once;
  // a consumer that really crashed loses it when the 2 s TTL runs out, and the job comes back then.
  const crashing = new WorkQueue(client, 'examples-jobs', { ttlSec: 2, consumerId: 'crasher' });
  const lostJob = await crashing.dequeue();
  console.log(`crasher took ${lostJob.value} and crashes without ack`);
  await crashing.close();

  const done = new Map<string, string>();
  const consumer = async (name: string): Promise<void> => {
    await using q = new WorkQueue(client, 'examples-jobs', { ttlSec: 5, consumerId: name });
    for (;;) {
      const item = await q.tryDequeue();
      if (item === undefined) return;
      if (done.has(item.value)) throw new Error(`${item.value} delivered twice`);
      done.set(item.value, name);
      console.log(`${name}: ${item.value}`);
      await item.ack();
    }
  };
  await Promise.all(['consumer-1', 'consumer-2', 'consumer-3'].map(consumer));
  console.log(`${done.size} jobs done, each once; ${lostJob.value} was redone by ${done.get(lostJob.value)}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
