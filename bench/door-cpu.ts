/**
 * `npm run bench -- door-cpu [--puts N] [--rounds N] [--concurrency N]`: the member's CPU per put
 * through each front door, one member (fsync on), the doors taking turns round by round so that
 * the machine's load falls on all of them alike. CPU is the member process's user + system time
 * (/proc/<pid>/stat, all threads) over the round divided by its puts; Raft, WAL and mvcc cost the
 * same whatever the door, so the differences between rows are the doors' own decoding, encoding
 * and dispatch. Prints the median of the rounds and the ratio to the WebSocket door.
 */
import { ArgReader } from './args.js';
import { openDriver, type Driver, type DriverClient } from './drivers.js';
import { median } from './stats.js';
import { cpuMs, Target } from './targets.js';

const USAGE = 'usage: npm run bench -- door-cpu [--puts 4000] [--rounds 5] [--concurrency 16]';

interface Door {
  readonly name: string;
  readonly client: DriverClient;
  readonly schemeAuthority?: boolean;
}

const DOORS: readonly Door[] = [
  { name: 'WebSocket (SDK)', client: 'native' },
  { name: 'gRPC (etcd3)', client: 'etcd3' },
  // etcdctl 3.4's `:authority` (the endpoint URL): the connection goes through the authority shim.
  { name: 'gRPC (etcd3, :authority http://…)', client: 'etcd3', schemeAuthority: true },
];

async function putMany(d: Driver, puts: number, concurrency: number, value: Uint8Array): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < puts) {
      const i = next++;
      await d.put(`door-cpu/${i % 1000}`, value);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function run(argv: string[]): Promise<void> {
  const a = new ArgReader(argv, USAGE);
  let puts = 4000;
  let rounds = 5;
  let concurrency = 16;
  for (let f = a.flag(); f !== undefined; f = a.flag()) {
    if (f === '--puts') puts = a.integer(f);
    else if (f === '--rounds') rounds = a.integer(f);
    else if (f === '--concurrency') concurrency = a.integer(f);
    else throw a.unknown(f);
  }
  const target = await Target.start('concord', { size: 1 });
  try {
    const pid = target.members[0]!.proc?.pid;
    const drivers = DOORS.map((door) =>
      openDriver('concord', target.clientUrls, {
        client: door.client,
        ...(door.schemeAuthority === true ? { schemeAuthority: true } : {}),
      }),
    );
    const value = new Uint8Array(64).fill(120);
    // Warm-up: connections open, JIT settled on every door's path.
    for (const d of drivers) await putMany(d, Math.min(puts, 1000), concurrency, value);
    const samples: number[][] = DOORS.map(() => []);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < drivers.length; i++) {
        const before = cpuMs(pid);
        await putMany(drivers[i]!, puts, concurrency, value);
        samples[i]!.push((cpuMs(pid) - before) / puts);
      }
    }
    await Promise.all(drivers.map((d) => d.close()));
    const base = median(samples[0]!);
    console.log(
      `member CPU per put, 1 member, fsync on, ${puts} puts × ${rounds} rounds, ${concurrency} in flight`,
    );
    console.log('| door | CPU ms/put (median) | min–max | vs WebSocket |');
    console.log('|---|---|---|---|');
    DOORS.forEach((door, i) => {
      const s = samples[i]!;
      const m = median(s);
      console.log(
        `| ${door.name} | ${m.toFixed(3)} | ${Math.min(...s).toFixed(3)}–${Math.max(...s).toFixed(3)} | ${(m / base).toFixed(2)}× |`,
      );
    });
  } finally {
    await target.stop();
  }
}
