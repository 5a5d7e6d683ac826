/**
 * Smoke test of the comparison suite's own logic: statistics, table, argument parsing, profile
 * summary, and one tiny real run (1 member, put at 1 in flight, 500 ms) against Concord and, when
 * the `etcd` binary is installed, etcd. Nothing here asserts a speed.
 */
import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import { parseArgs, runSuite, WORKLOAD_WARMUP_MS } from '../../../bench/all.js';
import { summarizeProfile } from '../../../bench/profile.js';
import {
  Better,
  concordWins,
  median,
  percentile,
  ratio,
  rows,
  table,
  type Sample,
} from '../../../bench/stats.js';
import { closedLoop, putWorkload, type Workload } from '../../../bench/workloads.js';

const sample = (
  target: 'concord' | 'etcd',
  repeat: number,
  value: number,
  better: Better = Better.Higher,
): Sample => ({
  workload: 'put-64',
  metric: 'throughput',
  unit: 'ops/s',
  better,
  target,
  repeat,
  value,
});

describe('bench', () => {
  describe('#percentile', () => {
    it('returns the nearest-rank percentile', () => {
      const v = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];
      expect(percentile(v, 50)).to.equal(5);
      expect(percentile(v, 99)).to.equal(10);
      expect(percentile(v, 0)).to.equal(1);
      expect(percentile([], 50)).to.be.NaN;
    });
    it('rejects a percentile outside 0..100', () => {
      expect(() => percentile([1], 101)).to.throw(RangeError);
    });
  });

  describe('#median', () => {
    it('takes the middle value, or the mean of the two middle ones', () => {
      expect(median([3, 1, 2])).to.equal(2);
      expect(median([4, 1, 3, 2])).to.equal(2.5);
      expect(median([])).to.be.NaN;
    });
  });

  describe('#ratio and #concordWins', () => {
    it('divides Concord by etcd and judges by the row direction', () => {
      expect(ratio(50, 100)).to.equal(0.5);
      expect(ratio(1, 0)).to.be.NaN;
      expect(concordWins(0.5, Better.Higher)).to.equal(false);
      expect(concordWins(0.5, Better.Lower)).to.equal(true);
      expect(concordWins(NaN, Better.Lower)).to.equal(false);
    });
  });

  describe('#rows', () => {
    it('gives medians and spreads per target and the ratio of the medians', () => {
      const rs = rows([
        sample('concord', 0, 100),
        sample('etcd', 0, 200),
        sample('concord', 1, 300),
        sample('etcd', 1, 100),
        sample('concord', 2, 200),
        sample('etcd', 2, 400),
      ]);
      expect(rs).to.have.length(1);
      const r = rs[0]!;
      expect(r.concord).to.deep.equal({ median: 200, min: 100, max: 300, n: 3 });
      expect(r.etcd).to.deep.equal({ median: 200, min: 100, max: 400, n: 3 });
      expect(r.ratio).to.equal(1);
      expect(table(rs)).to.contain(
        '| put-64 | throughput (ops/s) | higher | 200 (100–300) | 200 (100–400) | 1.00 ✓ |',
      );
    });
    context('when only one target was measured', () => {
      it('leaves the ratio empty', () => {
        const rs = rows([sample('concord', 0, 100, Better.Lower)]);
        expect(rs[0]!.ratio).to.be.NaN;
        expect(table(rs)).to.contain('| 100 | – | – |');
      });
    });
  });

  describe('#parseArgs', () => {
    it('reads targets, repeats and durations', () => {
      const a = parseArgs([
        '--target',
        'etcd',
        '--repeats',
        '2',
        '--duration-ms',
        '300',
        '--only',
        'put,watch',
      ]);
      expect(a.targets).to.deep.equal(['etcd']);
      expect(a.repeats).to.equal(2);
      expect(a.durationMs).to.equal(300);
      expect(a.only).to.deep.equal(['put', 'watch']);
      expect(parseArgs(['--vs']).targets).to.deep.equal(['concord', 'etcd']);
    });
    it('reads the per-workload warm-up, 0 switching it off', () => {
      expect(parseArgs([]).workloadWarmupMs).to.equal(WORKLOAD_WARMUP_MS);
      expect(parseArgs(['--warmup-ms', '0']).workloadWarmupMs).to.equal(0);
      expect(parseArgs(['--warmup-ms', '250']).workloadWarmupMs).to.equal(250);
      expect(() => parseArgs(['--warmup-ms', '-1'])).to.throw(/≥ 0/);
    });
    it('rejects unknown flags and targets', () => {
      expect(() => parseArgs(['--fast'])).to.throw(/unknown flag/);
      expect(() => parseArgs(['--target', 'zookeeper'])).to.throw(/concord or etcd/);
    });
  });

  describe('#summarizeProfile', () => {
    it('attributes each sample the time until the next one, heaviest first', () => {
      const s = summarizeProfile({
        startTime: 0,
        endTime: 35,
        nodes: [
          { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
          { id: 2, callFrame: { functionName: 'encode', url: 'file:///x/dist/server/a.js', lineNumber: 9 } },
          { id: 3, callFrame: { functionName: 'decode', url: 'file:///x/dist/server/b.js', lineNumber: 0 } },
        ],
        samples: [2, 3, 2],
        timeDeltas: [5, 10, 20],
      });
      expect(s.totalMs).to.equal(0.03);
      expect(s.functions.map((f) => f.name)).to.deep.equal(['decode server/b.js:1', 'encode server/a.js:10']);
      expect(s.functions[0]!.percent).to.be.closeTo(66.67, 0.01);
      expect(s.files[0]!.name).to.equal('server/b.js');
    });
  });

  describe('#closedLoop', () => {
    it('counts successes and errors of its workers', async () => {
      let calls = 0;
      const r = await closedLoop(2, 50, async (w) => {
        calls++;
        await new Promise((res) => setImmediate(res));
        if (w === 1) throw new Error('boom');
      });
      expect(r.ops).to.be.greaterThan(0);
      expect(r.errors).to.be.greaterThan(0);
      expect(r.ops + r.errors).to.be.at.most(calls);
      expect(r.latenciesMs).to.have.length(r.ops);
      expect(String(r.firstError)).to.contain('boom');
    });
  });

  describe('#runSuite', () => {
    const haveEtcd = spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
    it(`measures put-1 on a 1-member Concord${haveEtcd ? ' and etcd' : ' (etcd not installed: Concord only)'}`, async () => {
      const lines: string[] = [];
      const res = await runSuite({
        targets: haveEtcd ? ['concord', 'etcd'] : ['concord'],
        repeats: 1,
        durationMs: 500,
        size: 1,
        warmupPuts: 100,
        workloads: [putWorkload(1)],
        log: (l) => lines.push(l),
      });
      const targets = haveEtcd ? ['concord', 'etcd'] : ['concord'];
      for (const t of targets) {
        const tp = res.samples.find((s) => s.target === t && s.metric === 'throughput');
        expect(tp, `${t} throughput in ${lines.join('\n')}`).to.not.equal(undefined);
        expect(tp!.value).to.be.greaterThan(0);
        const mem = res.samples.find((s) => s.target === t && s.workload === 'memory');
        expect(mem!.value).to.be.greaterThan(0);
        const cpu = res.samples.find((s) => s.target === t && s.metric === 'leader CPU per put');
        expect(cpu, `${t} leader CPU per put`).to.not.equal(undefined);
        expect(cpu!.value).to.be.greaterThan(0).and.lessThan(1000);
      }
      const rs = rows(res.samples);
      const put = rs.find((r) => r.metric === 'throughput')!;
      if (haveEtcd) expect(put.ratio).to.equal(put.concord.median / put.etcd.median);
    });
    it('runs a workload that needs its own settings on a fresh cluster started with them', async () => {
      const argsSeen: Record<string, readonly string[]> = {};
      const spy = (name: string, cluster?: Workload['cluster']): Workload => ({
        name,
        ...(cluster === undefined ? {} : { cluster }),
        run: (ctx) => {
          argsSeen[name] = ctx.target.members[0]!.args;
          return Promise.resolve([
            { workload: name, metric: 'ran', unit: 'n', better: Better.Higher, value: 1 },
          ]);
        },
      });
      const res = await runSuite({
        targets: ['concord'],
        repeats: 1,
        durationMs: 100,
        size: 1,
        workloads: [spy('own', { snapshotCount: 123 }), spy('shared')],
        log: () => undefined,
      });
      expect(res.failures).to.deep.equal([]);
      expect(res.samples.map((s) => s.workload)).to.deep.equal(['shared', 'memory', 'own']);
      const flag = (args: readonly string[]): string | undefined =>
        args[args.indexOf('--snapshot-count') + 1];
      expect(argsSeen['own']).to.include('--snapshot-count');
      expect(flag(argsSeen['own']!)).to.equal('123');
      expect(argsSeen['shared']).to.not.include('--snapshot-count');
    });
    it('runs each workload unmeasured for the warm-up first, then measures it', async () => {
      const runs: { durationMs: number; runId: string }[] = [];
      const spy: Workload = {
        name: 'spy',
        run: (ctx) => {
          runs.push({ durationMs: ctx.durationMs, runId: ctx.runId });
          return Promise.resolve([
            { workload: 'spy', metric: 'run', unit: 'n', better: Better.Higher, value: runs.length },
          ]);
        },
      };
      const res = await runSuite({
        targets: ['concord'],
        repeats: 1,
        durationMs: 100,
        size: 1,
        warmupPuts: 10,
        workloadWarmupMs: 60,
        workloads: [spy],
        log: () => undefined,
      });
      expect(runs.map((r) => r.durationMs)).to.deep.equal([60, 100]);
      expect(runs[0]!.runId).to.not.equal(runs[1]!.runId);
      // Only the measured run's sample is kept.
      expect(res.samples.filter((s) => s.workload === 'spy').map((s) => s.value)).to.deep.equal([2]);
    });
    it('rejects a zero repeat count', async () => {
      let err: unknown;
      try {
        await runSuite({
          targets: ['concord'],
          repeats: 0,
          durationMs: 200,
          size: 1,
          workloads: [],
          log: () => undefined,
        });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(RangeError);
    });
  });
});
