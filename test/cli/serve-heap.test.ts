/**
 * Issue 14, "the quota is honest", on real `concord serve` processes:
 *
 * - the member runs with the V8 heap its quota needs, above node's default (heap-plan.ts), or
 *   with the operator's --max-old-space-size, with a warning when that is too small;
 * - a member whose heap is too small for its quota, filled with writes through the SDK, raises
 *   NOSPACE from its memory watchdog and refuses writes with NO_SPACE instead of dying of "heap out
 *   of memory"; reads and deletes still work, the alarm is listed, and it still stops gracefully;
 * - with the watchdog disabled it does die of it, and `concord serve` says so and exits 1.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Client, ClientError, ErrorCode, Op } from '../../client/index.js';
import { planHeap, YOUNG_GENERATION_MIB } from '../../server/cli/heap-plan.js';
import { heapBytesForQuota } from '../../server/mvcc/quota.js';
import { youngGenerationReserveBytes } from '../../server/member/v8-heap.js';
import { ConcordProcess, gateway, waitHealthy } from './concord-process.js';
import { freePorts } from '../helpers/ports.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** node's default old generation on a 64-bit machine with more than 16 GiB (4144 MiB heap). */
const NODE_DEFAULT_OLD = 4096 * MiB;

/** One sample of a gauge in Prometheus text, or undefined when the family is missing. */
function gauge(metrics: string, name: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** 100-byte values, in txns of 50 puts (fewer Raft entries per key), 32 txns in flight. */
const VALUE = 'v'.repeat(100);

/**
 * Writes keys until a write fails, and says how many were sent and the first failure. Bounded:
 * the heaps of these tests hold far fewer than 2 million keys.
 */
async function fillUntilRefused(client: Client): Promise<{ written: number; refusal: unknown }> {
  const BATCH = 50;
  const MAX_KEYS = 2_000_000;
  let written = 0;
  let refusal: unknown;
  const fill = async (): Promise<void> => {
    while (refusal === undefined && written < MAX_KEYS) {
      const first = written;
      written += BATCH;
      const puts = Array.from({ length: BATCH }, (_, i) =>
        Op.put(`fill/${String(first + i).padStart(8, '0')}`, VALUE),
      );
      await client
        .txn()
        .then(...puts)
        .commit()
        .catch((e: unknown) => {
          refusal ??= e;
        });
    }
  };
  await Promise.all(Array.from({ length: 32 }, fill));
  return { written, refusal };
}

describe('concord serve: the heap fits the quota', function () {
  this.timeout(180_000);
  let root: string;
  const processes: ConcordProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-heap-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  /** A single member; `heapMiB` is the operator's --max-old-space-size (NODE_OPTIONS), if any. */
  async function serve(
    flags: readonly string[],
    heapMiB?: number,
  ): Promise<{ p: ConcordProcess; url: string }> {
    const [client, peer] = await freePorts(2);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env['NODE_OPTIONS'];
    if (heapMiB !== undefined) env['NODE_OPTIONS'] = `--max-old-space-size=${heapMiB}`;
    const p = new ConcordProcess(
      [
        'serve',
        '--name=m1',
        `--data-dir=${join(root, 'm1')}`,
        `--listen-client-urls=http://127.0.0.1:${client}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--unsafe-no-fsync',
        '--log-level=warn',
        ...flags,
      ],
      { env },
    );
    processes.push(p);
    const url = `http://127.0.0.1:${client}`;
    await waitHealthy(url);
    return { p, url };
  }

  async function metrics(url: string): Promise<string> {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    return res.text();
  }

  it("runs the member with the heap its quota needs, above node's default", async function () {
    const quotaBytes = 2 * GiB;
    const plan = planHeap({
      quotaBytes,
      memoryBytes: totalmem(),
      defaultOldGenerationBytes: NODE_DEFAULT_OLD,
      operatorOldSpaceMiB: undefined,
    });
    if (plan.source !== 'quota') this.skip(); // a machine too small to hold a 2 GiB quota
    const { p, url } = await serve([`--quota-backend-bytes=${quotaBytes}`, '--log-level=info']);
    const limit = gauge(await metrics(url), 'concord_server_heap_limit_bytes');
    // The watchdog's own limit (logged at start) is the old generation alone: it knows the young
    // generation the member's worker was given.
    const heapLine = `${p.stdout}${p.stderr}`.split('\n').find((l) => l.includes('"msg":"V8 heap"'));
    expect(heapLine, 'the V8 heap line at start').to.not.equal(undefined);
    expect((JSON.parse(heapLine!) as { oldGenerationLimitBytes: number }).oldGenerationLimitBytes).to.equal(
      plan.oldGenerationMiB * MiB,
    );
    expect(limit, 'concord_server_heap_limit_bytes').to.equal(
      plan.oldGenerationMiB * MiB + youngGenerationReserveBytes(undefined, YOUNG_GENERATION_MIB),
    );
    expect(limit).to.be.at.least(heapBytesForQuota(quotaBytes));
    expect(limit).to.be.above(
      NODE_DEFAULT_OLD + youngGenerationReserveBytes(undefined, YOUNG_GENERATION_MIB),
    );
    expect(p.stderr).to.not.include('warning');
    p.child.kill('SIGTERM');
    expect((await p.exit()).code, p.stderr).to.equal(0);
  });

  it("keeps an operator's --max-old-space-size, and warns that it is too small for the quota", async () => {
    const { url, p } = await serve([`--quota-backend-bytes=${GiB}`], 200);
    expect(gauge(await metrics(url), 'concord_server_heap_limit_bytes')).to.equal(
      200 * MiB + youngGenerationReserveBytes(undefined, YOUNG_GENERATION_MIB),
    );
    const needMiB = Math.ceil(heapBytesForQuota(GiB) / MiB);
    expect(p.stderr).to.match(
      new RegExp(
        `^concord: warning: --quota-backend-bytes 1073741824 needs about ${needMiB} MiB of V8 heap, this process has 200 MiB`,
        'm',
      ),
    );
  });

  context('when the heap is too small for the quota', () => {
    it('raises NOSPACE before the heap runs out: writes refused, reads and deletes served', async () => {
      // 96 MiB of heap for a 2 GiB quota: the heap fills long before the quota.
      const { p, url } = await serve([`--quota-backend-bytes=${2 * GiB}`], 96);
      const client = new Client({ endpoints: [url.replace('http', 'ws')] });
      try {
        const { written, refusal } = await fillUntilRefused(client);
        expect(refusal, `no refusal after ${written} keys`).to.be.instanceOf(ClientError);
        expect((refusal as ClientError).code, String(refusal)).to.equal(ErrorCode.NoSpace);
        expect(p.running, p.stderr).to.equal(true);

        // The watchdog raised it (the quota is far away), under this member's id, and says so.
        const m = await metrics(url);
        expect(gauge(m, 'concord_mvcc_db_size_bytes')).to.be.below(GiB);
        expect(p.stderr).to.include('heap nearly full: NOSPACE alarm raised');
        const status = await gateway<{ header: { member_id: string } }>(url, '/v3/maintenance/status', {});
        const alarms = await gateway<{ alarms?: { memberID: string; alarm: string }[] }>(
          url,
          '/v3/maintenance/alarm',
          { action: 'GET' },
        );
        expect(alarms.alarms).to.deep.equal([{ memberID: status.header.member_id, alarm: 'NOSPACE' }]);

        // A plain put is refused too; reads and deletes still work.
        const put = await client.put('one-more', VALUE).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect((put as ClientError | undefined)?.code).to.equal(ErrorCode.NoSpace);
        expect(await client.getText('fill/00000000')).to.equal(VALUE);
        await client.delete('fill/00000000');
        expect(await client.getText('fill/00000000')).to.equal(undefined);
      } finally {
        await client.close();
      }
      p.child.kill('SIGTERM');
      expect((await p.exit()).code, p.stderr).to.equal(0);
      expect(p.stderr).to.not.include('ran out of V8 heap');
    });

    it('without the watchdog, dies of it saying so, with exit status 1 (the worker reports it)', async () => {
      const { p, url } = await serve([`--quota-backend-bytes=${2 * GiB}`, '--heap-alarm-percent=0'], 48);
      const client = new Client({ endpoints: [url.replace('http', 'ws')] });
      try {
        const { written, refusal } = await fillUntilRefused(client);
        expect(refusal, `no failure after ${written} keys`).to.be.instanceOf(ClientError);
        expect((refusal as ClientError).code).to.not.equal(ErrorCode.NoSpace);
      } finally {
        await client.close();
      }
      expect((await p.exit(60_000)).code, p.stderr).to.equal(1);
      expect(p.stderr).to.match(/^concord: the member ran out of V8 heap \(old generation limit 48 MiB\)/m);
    });
  });
});
