/**
 * Watching a prefix: every change exactly once, in order, across reconnects and failovers; resume
 * from a revision; what to do when history was compacted.
 *
 *   npm start
 *   npm run build && node dist/examples/watch-changes.js
 */
import { Client, CompactedError, asText } from '../client/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints });

  // Read the current state, then watch from the revision right after it: nothing is missed.
  const snapshot = await client.getPrefix('examples/watch/');
  console.log(`${snapshot.count} keys at revision ${snapshot.revision}`);
  let from = snapshot.revision + 1;

  // A writer in the background, 5 changes then a delete.
  const writer = (async () => {
    for (let i = 1; i <= 5; i++) await client.put(`examples/watch/key-${i % 2}`, `value ${i}`);
    await client.delete('examples/watch/key-0');
  })();

  const done = AbortSignal.timeout(10_000);
  let seen = 0;
  for (;;) {
    try {
      await using watch = client.watch({
        prefix: 'examples/watch/',
        startRevision: from,
        prevKv: true,
        signal: done,
      });
      for await (const batch of watch) {
        for (const event of batch.events) {
          seen++;
          const before = event.prevKv === undefined ? '∅' : asText(event.prevKv.value);
          console.log(
            `rev ${event.kv.modRevision} ${event.type} ${asText(event.kv.key)}: ${before} → ${event.type === 'put' ? asText(event.kv.value) : '∅'}`,
          );
        }
        if (seen >= 6) break;
      }
      break;
    } catch (e) {
      if (!(e instanceof CompactedError)) throw e;
      // History before e.compactRevision is gone: re-read, then watch from there.
      console.log(`compacted at ${e.compactRevision}: re-reading`);
      from = (await client.getPrefix('examples/watch/')).revision + 1;
    }
  }
  await writer;
  await client.deletePrefix('examples/watch/');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
