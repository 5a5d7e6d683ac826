/**
 * The pure parts of `npm run bench -- scale`: sizes, the chunk plan, the options and the tables.
 * Nothing here starts a cluster or asserts a speed.
 */
import { expect } from 'chai';
import {
  chunkPlan,
  chunkTable,
  parseScaleArgs,
  parseGcTotals,
  gcBetween,
  parseSize,
  summaryTable,
  type ChunkRow,
  type ScaleResult,
} from '../../../bench/scale-report.js';
import { countedLoop } from '../../../bench/workloads.js';

const chunk = (keys: number, opsPerSec: number, maxMs: number, errors = 0): ChunkRow => ({
  keys,
  valueMiB: (keys * 256) / 2 ** 20,
  seconds: keys / opsPerSec,
  opsPerSec,
  p50Ms: maxMs / 4,
  p99Ms: maxMs / 2,
  maxMs,
  errors,
  snapshots: Math.floor(keys / 10_000),
  maxRssMiB: keys / 1000,
  leaderGcSec: NaN,
  leaderGcMaxMs: NaN,
});

const result = (target: 'concord' | 'etcd', rss: number, chunks: ChunkRow[]): ScaleResult => ({
  target,
  chunks,
  rssMiB: { m1: rss, m2: rss + 10, m3: rss + 20 },
  dataDirMiB: { m1: 100, m2: 100, m3: 100 },
  stopMs: 1000,
  restartMs: target === 'concord' ? 3000 : 1500,
  rssAfterRestartMiB: { m1: rss, m2: rss, m3: rss },
  catchUpKeys: 30_000,
  catchUpMs: target === 'concord' ? 800 : 400,
});

describe('bench scale', () => {
  describe('#parseSize', () => {
    it('reads binary units and plain byte counts', () => {
      expect(parseSize('1GiB')).to.equal(2 ** 30);
      expect(parseSize('256MiB')).to.equal(256 * 2 ** 20);
      expect(parseSize('64m')).to.equal(64 * 2 ** 20);
      expect(parseSize('1.5GiB')).to.equal(1.5 * 2 ** 30);
      expect(parseSize('4096')).to.equal(4096);
      expect(parseSize('8 KiB')).to.equal(8192);
    });
    it('rejects what is not a positive size', () => {
      for (const bad of ['', 'GiB', '1GB', '-1MiB', '0', 'lots'])
        expect(() => parseSize(bad), bad).to.throw();
    });
  });

  describe('#chunkPlan', () => {
    it('cuts the keys into chunks, the last one shorter', () => {
      expect(chunkPlan(450_000, 200_000)).to.deep.equal([200_000, 200_000, 50_000]);
      expect(chunkPlan(400_000, 200_000)).to.deep.equal([200_000, 200_000]);
      expect(chunkPlan(10, 200_000)).to.deep.equal([10]);
    });
    it('rejects empty plans', () => {
      expect(() => chunkPlan(0, 10)).to.throw(RangeError);
      expect(() => chunkPlan(10, 0)).to.throw(RangeError);
    });
  });

  describe('#parseScaleArgs', () => {
    it('has the issue 14 defaults', () => {
      const a = parseScaleArgs([]);
      expect(a.targets).to.deep.equal(['concord', 'etcd']);
      expect(a).to.include({
        bytes: 2 ** 30,
        chunkKeys: 200_000,
        valueBytes: 256,
        inFlight: 64,
        snapshotCount: 10_000,
        catchUpKeys: 30_000,
        size: 3,
        quotaBytes: 8 * 2 ** 30,
      });
      expect(a.heapMiB, 'serve sizes the heap from the quota').to.equal(undefined);
    });
    it('reads the options', () => {
      const a = parseScaleArgs([
        '--target',
        'etcd',
        '--bytes',
        '64MiB',
        '--chunk-keys',
        '50000',
        '--value-bytes',
        '128',
        '--heap-mib',
        '2048',
      ]);
      expect(a.targets).to.deep.equal(['etcd']);
      expect(a).to.include({ bytes: 64 * 2 ** 20, chunkKeys: 50_000, valueBytes: 128, heapMiB: 2048 });
    });
    it('reads the measuring flags: node flags, member logs, load only', () => {
      const a = parseScaleArgs([
        '--node-flag',
        '--trace-gc',
        '--node-flag',
        '--max-semi-space-size=32',
        '--log-dir',
        '/tmp/x',
        '--load-only',
      ]);
      expect(a.nodeFlags).to.deep.equal(['--trace-gc', '--max-semi-space-size=32']);
      expect(a).to.include({ logDir: '/tmp/x', loadOnly: true });
      expect(parseScaleArgs([])).to.include({ logDir: undefined, loadOnly: false });
    });
    it('reads the stall-tracing flags: slow puts, stalls, member log level', () => {
      const a = parseScaleArgs([
        '--slow-put-ms',
        '100',
        '--trace-stalls',
        '20',
        '--member-log-level',
        'info',
      ]);
      expect(a).to.include({ slowPutMs: 100, traceStallsMs: 20, memberLogLevel: 'info' });
      expect(parseScaleArgs([])).to.include({
        slowPutMs: undefined,
        traceStallsMs: undefined,
        memberLogLevel: undefined,
      });
      expect(() => parseScaleArgs(['--member-log-level', 'loud'])).to.throw(/debug, info, warn or error/);
    });
    it('rejects unknown flags, targets and bad numbers', () => {
      expect(() => parseScaleArgs(['--fast'])).to.throw(/unknown flag/);
      expect(() => parseScaleArgs(['--target', 'zookeeper'])).to.throw(/concord or etcd/);
      expect(() => parseScaleArgs(['--chunk-keys', '1.5'])).to.throw(/positive integer/);
      expect(() => parseScaleArgs(['--bytes'])).to.throw(/needs a value/);
    });
  });

  describe('#parseGcTotals and #gcBetween', () => {
    const concord = (count: number, sum: number, le: Record<string, number>): string =>
      [
        '# TYPE concord_server_gc_pause_seconds histogram',
        ...Object.entries(le).map(([b, n]) => `concord_server_gc_pause_seconds_bucket{le="${b}"} ${n}`),
        `concord_server_gc_pause_seconds_bucket{le="+Inf"} ${count}`,
        `concord_server_gc_pause_seconds_sum ${sum}`,
        `concord_server_gc_pause_seconds_count ${count}`,
      ].join('\n');
    it("takes a chunk's GC time and its longest pause's bucket from two readings", () => {
      const before = parseGcTotals('concord', concord(10, 0.5, { '0.008': 9, '0.016': 10, '0.032': 10 }));
      const after = parseGcTotals('concord', concord(14, 0.58, { '0.008': 11, '0.016': 12, '0.032': 14 }));
      const gc = gcBetween(before, after);
      expect(gc.sec).to.be.closeTo(0.08, 1e-9);
      // 4 pauses in between: 2 up to 8 ms, 0 more up to 16 ms, 2 more up to 32 ms
      expect(gc.maxMs).to.equal(32);
      expect(gcBetween(before, before)).to.deep.equal({ sec: 0, maxMs: 0 });
    });
    it("reads etcd's Go GC time, with no longest pause", () => {
      const text = 'go_gc_duration_seconds{quantile="1"} 0.002\ngo_gc_duration_seconds_sum 1.25\n';
      const a = parseGcTotals('etcd', text);
      expect(a.seconds).to.equal(1.25);
      const gc = gcBetween(a, parseGcTotals('etcd', text.replace('1.25', '1.5')));
      expect(gc.sec).to.equal(0.25);
      expect(gc.maxMs).to.be.NaN;
      expect(gcBetween(undefined, a).sec).to.be.NaN;
    });
  });

  describe('#chunkTable and #summaryTable', () => {
    const c = result('concord', 300, [chunk(200_000, 4000, 200), chunk(400_000, 3000, 900, 2)]);
    const e = result('etcd', 150, [chunk(200_000, 5000, 100), chunk(400_000, 5000, 100)]);

    it('puts both targets side by side with the ratio Concord/etcd', () => {
      const lines = chunkTable([c, e]).split('\n');
      expect(lines).to.have.length(4);
      expect(lines[2]).to.equal(
        '| 200,000 | 48.8 | 4000 | 5000 | 0.80 | 100 | 50.0 | 2.00 | 200 | 100 | 2.00 | 200 | 200 | 1.00 | 0 / 0 | 20 / 20 |',
      );
      expect(lines[3]).to.contain('| 900 | 100 | 9.00 | 400 | 400 | 1.00 | 2 / 0 |');
    });
    it('leaves the other side and the ratio empty for one target', () => {
      const line = chunkTable([e]).split('\n')[2]!;
      expect(line).to.equal(
        '| 200,000 | 48.8 | – | 5000 | – | – | 50.0 | – | – | 100 | – | – | 200 | – | – / 0 | – / 20 |',
      );
    });
    it('summarises memory, disk, restart, catch-up and the worst put', () => {
      const t = summaryTable([c, e]);
      expect(t).to.contain('| RSS m2 (MiB) | 310 | 160 | 1.94 |');
      expect(t).to.contain('| max member RSS (MiB) | 320 | 170 | 1.88 |');
      expect(t).to.contain('| full-cluster restart (ms) | 3000 | 1500 | 2.00 |');
      expect(t).to.contain('| follower catch-up after 30,000 keys (ms) | 800 | 400 | 2.00 |');
      expect(t).to.contain('| max put latency, all chunks (ms) | 900 | 100 | 9.00 |');
      expect(t).to.contain('| failed puts, all chunks | 2 | 0 | – |');
    });
  });

  describe('#countedLoop', () => {
    it('runs exactly count ops, at most concurrency at once, and times the failures', async () => {
      let inFlight = 0;
      let most = 0;
      const seen: number[] = [];
      const r = await countedLoop(4, 25, async (seq) => {
        seen.push(seq);
        most = Math.max(most, ++inFlight);
        await new Promise((res) => setTimeout(res, seq === 7 ? 30 : 1));
        inFlight--;
        if (seq === 7 || seq === 11) throw new Error(`boom ${seq}`);
      });
      expect(seen.sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 25 }, (_, i) => i));
      expect(most).to.equal(4);
      expect(r.ops).to.equal(23);
      expect(r.errors).to.equal(2);
      expect(r.latenciesMs).to.have.length(23);
      expect(r.maxFailedMs).to.be.at.least(25);
      expect(String(r.firstError)).to.match(/boom (7|11)/);
    });
  });
});
