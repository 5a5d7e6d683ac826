/**
 * Every example in examples/ run as a user runs it (`node dist/examples/<name>.js`, endpoints from
 * CONCORD_ENDPOINTS) as the first thing on a brand-new single member and 3-member cluster: it
 * exits 0, prints its key lines in order, and exits within 0.3 s of its last line (issue 12).
 * The example list is read from examples/, so a new example without expectations here fails.
 */
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChildRun, DIST, exampleScript, textOf } from './child-run.js';
import { expectRun } from './expect-run.js';
import { TOPOLOGIES, useFreshCluster } from './first-op.js';

interface ExampleExpectation {
  /** Key lines of stdout, in order. Once all are printed, the example's work is over. */
  readonly lines: readonly RegExp[];
  /** Further checks over stdout. */
  readonly check?: (stdout: readonly string[]) => void;
}

const count = (lines: readonly string[], re: RegExp): number => lines.filter((l) => re.test(l)).length;
const numbers = (lines: readonly string[], re: RegExp): number[] =>
  lines.flatMap((l) => {
    const m = re.exec(l);
    return m?.[1] === undefined ? [] : [Number(m[1])];
  });

const EXAMPLES: Readonly<Record<string, ExampleExpectation>> = {
  'acquire-lock': {
    lines: [
      /^worker-\d: holding the lock, fencing token \d+$/,
      /^worker-\d: fenced write with token \d+ accepted$/,
      /^tryLock while free: acquired \(token \d+\)$/,
      /^tryLock while held: not acquired \(no waiting\)$/,
      /^old holder: holding the lock, fencing token \d+$/,
      /^operator: revoked the old holder's lease [0-9a-f]+$/,
      /^next holder: got the lock, fencing token \d+ > \d+$/,
      /^next holder: fenced write with token \d+ accepted$/,
      /^old holder: signal fired \(.+\)$/,
      /^old holder, late: fenced write with token \d+ rejected$/,
    ],
    check: (out) => {
      const tokens = numbers(out, /^worker-\d: holding the lock, fencing token (\d+)$/);
      expect(tokens, 'the three workers’ tokens, in the order they held the lock').to.have.length(3);
      expect(tokens).to.deep.equal([...tokens].sort((a, b) => a - b));
      expect(new Set(tokens).size).to.equal(3);
      expect(count(out, /^worker-\d: fenced write with token \d+ accepted$/)).to.equal(3);
    },
  },
  'config-watch': {
    lines: [
      /^rev \d+: apply \{"maxConnections":100,"mode":"open"\}$/,
      /^rev \d+: apply \{"maxConnections":250,"mode":"open"\}$/,
      /^rev \d+: REJECTED "\{ not json" \(.+\); keeping \{"maxConnections":250,"mode":"open"\}$/,
      /^rev \d+: REJECTED .*maxConnections must be a number.*; keeping \{"maxConnections":250,"mode":"open"\}$/,
      /^rev \d+: apply \{"maxConnections":10,"mode":"closed"\}$/,
      /^rev \d+: no config$/,
    ],
  },
  'kv-basics': {
    lines: [
      /^put examples\/greeting at revision \d+$/,
      /^get examples\/greeting → hello$/,
      /^config\.replicas = 3$/,
      /^3 items, newest two: examples\/items\/3, examples\/items\/2$/,
      /^became owner at revision \d+$/,
      /^raw key: examples\/tenant-a\/setting$/,
      /^deleted 7 keys$/,
    ],
  },
  'leader-election': {
    lines: [
      /^observer: leader is \(none\)$/,
      /^node-[abc] is leader$/,
      /^node-[abc] proclaimed "node-[abc] \(v2\)", then resigns$/,
      /^node-[abc] is leader: true; it resigns$/,
      /^node-[abc] is leader; an operator deletes its key$/,
      /^node-[abc]: no longer leader \(.+\)$/,
    ],
    check: (out) => {
      const leaders = out.flatMap((l) => /^(node-[abc]) is leader/.exec(l)?.[1] ?? []);
      expect(new Set(leaders).size, 'three different leaders in turn').to.equal(3);
    },
  },
  'lease-keepalive': {
    lines: [
      /^lease \d+ granted for 5 s$/,
      /^ttl \d s, 1 key\(s\) attached$/,
      /^lease lost: revoked$/,
      /^after revoke: key gone$/,
      /^session \d+ holds examples\/members\/me; lost\? false$/,
    ],
  },
  pubsub: {
    lines: [
      /^published at revision \d+$/,
      /^live subscriber: \d+ order #1 created$/,
      /^live subscriber: \d+ order #1 shipped$/,
      /^late subscriber replaying from \d+: \d+ order #1 created$/,
      /^late subscriber replaying from \d+: \d+ order #1 paid$/,
      /^late subscriber replaying from \d+: \d+ order #2 created$/,
      /^late subscriber replaying from \d+: \d+ order #1 shipped$/,
    ],
    check: (out) => {
      const published = numbers(out, /^published at revision (\d+)$/);
      expect(numbers(out, /^live subscriber: (\d+) /)).to.deep.equal(published);
      expect(numbers(out, /^late subscriber replaying from \d+: (\d+) /)).to.deep.equal(published);
    },
  },
  'rolling-reboot': {
    lines: [/^machine-\d: got a slot/, /^all rebooted; never more than [12] at a time \(limit 2\)$/],
    check: (out) => {
      expect(count(out, /^machine-\d: got a slot \(.+\), rebooting…$/)).to.equal(8);
      expect(count(out, /^machine-\d: back up, healthy, releasing$/)).to.equal(8);
    },
  },
  'service-registry': {
    lines: [
      /^\[\+\d+ ms\] live: \(none\)$/,
      /^\[\+\d+ ms\] live: api-1@10\.0\.0\.1:8080, api-2@10\.0\.0\.2:8080, api-3@10\.0\.0\.3:8080$/,
      /^round-robin picks: api-1 api-2 api-3 api-1$/,
      /^api-1 shuts down cleanly$/,
      /^\[\+\d+ ms\] live: api-2@10\.0\.0\.2:8080, api-3@10\.0\.0\.3:8080$/,
      /^api-2 dies/,
      /^\[\+\d+ ms\] live: api-3@10\.0\.0\.3:8080$/,
      /^api-2 expired \d+\.\d s after it died$/,
      /^api-3 shuts down cleanly$/,
      /^\[\+\d+ ms\] live: \(none\)$/,
    ],
  },
  'watch-changes': {
    lines: [
      /^0 keys at revision \d+$/,
      /^rev \d+ put examples\/watch\/key-1: ∅ → value 1$/,
      /^rev \d+ put examples\/watch\/key-0: ∅ → value 2$/,
      /^rev \d+ put examples\/watch\/key-1: value 1 → value 3$/,
      /^rev \d+ put examples\/watch\/key-0: value 2 → value 4$/,
      /^rev \d+ put examples\/watch\/key-1: value 3 → value 5$/,
      /^rev \d+ delete examples\/watch\/key-0: value 4 → ∅$/,
    ],
  },
  'work-queue': {
    lines: [
      /^enqueued 20 jobs/,
      /^crasher took job-0 and crashes without ack$/,
      /^20 jobs done, each once; job-0 was redone by consumer-\d$/,
    ],
    check: (out) => expect(count(out, /^consumer-\d: job-\d+$/)).to.equal(20),
  },
};

/** Long enough for the slowest example (the registry waits out a 2 s TTL), short of a hang. */
const EXAMPLE_TIMEOUT_MS = 20_000;

/** examples/*.ts of the checkout (dist/ may still hold the build of an example since removed). */
const sources = readdirSync(join(DIST, '..', 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -'.ts'.length))
  .sort();

describe('the examples', () => {
  it('each have expectations in the first-operation suite', () => {
    expect(sources).to.deep.equal(Object.keys(EXAMPLES).sort());
  });
});

for (const topology of TOPOLOGIES) {
  describe(`the examples as the first thing on ${topology.title}`, function () {
    this.timeout(EXAMPLE_TIMEOUT_MS + 10_000);
    const fresh = useFreshCluster(topology.size);

    for (const [name, expected] of Object.entries(EXAMPLES)) {
      it(`${name} runs, prints its key lines and exits promptly`, async () => {
        const run = new ChildRun([exampleScript(name)], {
          env: { CONCORD_ENDPOINTS: fresh.cluster.endpoints.join(',') },
          timeoutMs: EXAMPLE_TIMEOUT_MS,
          finalLines: expected.lines,
        });
        const result = await run.done;
        expectRun(run, result, { code: 0, lines: expected.lines, stream: 'stdout' });
        expected.check?.(textOf(result, 'stdout'));
      });
    }
  });
}
