/**
 * Leader election: three candidates campaign; an observer prints every leader. The first leader
 * proclaims a new value, then resigns; the next candidate in line takes over and resigns too; the
 * third is deposed by an operator deleting its key and learns it at once through its signal.
 *
 *   npm start
 *   npm run build && node dist/examples/leader-election.js
 */
import { Client } from '../client/index.js';
import { Election, type Leadership } from '../recipes/index.js';

const endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'ws://127.0.0.1:2379').split(',');

async function main(): Promise<void> {
  await using client = new Client({ endpoints, requestTimeoutMs: 5000 });
  const election = new Election(client, 'examples-scheduler');
  const stop = new AbortController();
  const leaders = election.observe({ signal: stop.signal });
  const now = await leaders.next(); // the leader before anyone campaigns (none on a new cluster)
  const describe = (l: { value: string; revision: number } | undefined): string =>
    l === undefined ? '(none)' : `${l.value} (term ${l.revision})`;
  if (!now.done) console.log(`observer: leader is ${describe(now.value)}`);
  const observing = (async () => {
    for await (const l of leaders) console.log(`observer: leader is ${describe(l)}`);
  })();

  // The candidates campaign at once; whoever's key was created first leads, the others wait in
  // line and are elected one at a time, in that order.
  const inLine = new Map(
    ['node-a', 'node-b', 'node-c'].map((name) => [
      name,
      election.campaign(name, { ttlSec: 5 }).then((leadership) => ({ name, leadership })),
    ]),
  );
  const nextLeader = async (): Promise<{ name: string; leadership: Leadership }> => {
    const elected = await Promise.race(inLine.values());
    inLine.delete(elected.name);
    return elected;
  };

  const first = await nextLeader();
  console.log(`${first.name} is leader`);
  await first.leadership.proclaim(`${first.name} (v2)`);
  console.log(`${first.name} proclaimed "${first.leadership.value}", then resigns`);
  await first.leadership.resign();

  const second = await nextLeader();
  console.log(`${second.name} is leader: ${second.leadership.isLeader}; it resigns`);
  await second.leadership.resign();

  const { name, leadership: third } = await nextLeader();
  console.log(`${name} is leader; an operator deletes its key`);
  await client.delete(third.key);
  if (!third.signal.aborted) await new Promise((resolve) => third.signal.addEventListener('abort', resolve));
  console.log(`${name}: no longer leader (${String(third.signal.reason)})`);
  await third.resign();
  stop.abort();
  await observing;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
