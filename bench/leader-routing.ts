/**
 * `npm run bench -- leader-routing [--rounds N] [--ms D]`: put-1 latency of a client given only a
 * follower's endpoint, with `routing: 'any'` (it stays there: the follower forwards each put
 * through Raft, as every client did before leader routing) and `routing: 'leader'` (the default:
 * it moves to the leader the follower names). One 3-member Concord cluster, both clients open the
 * whole time, rounds interleaved (A B, B A, ...) so that both see the same machine load; prints the
 * p50 and p99 of each round and of all rounds.
 */
import { performance } from 'node:perf_hooks';
import { Client, type ClientRouting } from '../client/index.js';
import { percentile, xorshift } from './stats.js';
import { Target } from './targets.js';

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer`);
  return v;
}

/** Back-to-back single puts for `ms`; the latency of each. */
async function putLoop(client: Client, ms: number, rand: () => number, value: Uint8Array): Promise<number[]> {
  const latencies: number[] = [];
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const t0 = performance.now();
    await client.put(`bench/route/${(rand() % 10_000).toString().padStart(5, '0')}`, value);
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

const fmt = (v: number): string => v.toFixed(2).padStart(7);

export async function run(args: string[]): Promise<void> {
  const rounds = flag(args, '--rounds', 6);
  const ms = flag(args, '--ms', 3000);
  const target = await Target.start('concord', { size: 3 });
  const clients: Client[] = [];
  try {
    const leader = await target.waitForLeader();
    const follower = target.members.find((m) => m !== leader)!;
    const open = async (routing: ClientRouting): Promise<Client> => {
      const c = new Client({ endpoints: [follower.clientUrl], routing, clientName: `bench-${routing}` });
      clients.push(c);
      await c.ready();
      return c;
    };
    const variants: { name: ClientRouting; client: Client; all: number[] }[] = [
      { name: 'any', client: await open('any'), all: [] },
      { name: 'leader', client: await open('leader'), all: [] },
    ];
    const value = new Uint8Array(256).fill(7);
    const rand = xorshift(42);
    // Warm up both (JIT, the leader client's move) and check where each one's puts are answered.
    for (const v of variants) {
      await putLoop(v.client, 500, rand, value);
      const answeredBy = (await v.client.put('bench/route/where', value)).header.memberId;
      console.log(`routing '${v.name}': puts answered by member ${answeredBy} (${v.client.endpoint ?? '?'})`);
    }
    console.log(
      `leader ${leader.name}, client given follower ${follower.name}; ${rounds} rounds of ${ms} ms`,
    );
    console.log('round  routing   p50 ms  p99 ms   puts');
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      for (const v of order) {
        const lat = await putLoop(v.client, ms, rand, value);
        v.all.push(...lat);
        console.log(
          `${String(r + 1).padStart(5)}  ${v.name.padEnd(7)} ${fmt(percentile(lat, 50))} ${fmt(percentile(lat, 99))} ${String(lat.length).padStart(6)}`,
        );
      }
    }
    for (const v of variants) {
      console.log(
        `  all  ${v.name.padEnd(7)} ${fmt(percentile(v.all, 50))} ${fmt(percentile(v.all, 99))} ${String(v.all.length).padStart(6)}`,
      );
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await target.stop();
  }
}
