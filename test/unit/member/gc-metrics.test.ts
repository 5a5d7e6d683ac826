/**
 * The member's GC metrics (server/member/gc-metrics.ts): a real full GC of this process shows in
 * the pause histogram and in the per-kind counter as a major GC, and the heap gauges are filled,
 * by heap space too (adding up to the totals).
 */
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MetricsRegistry } from '../../../server/api/metrics.js';
import { gcKindLabel, registerGcMetrics } from '../../../server/member/gc-metrics.js';
import { constants } from 'node:perf_hooks';
import { eventually } from '../../helpers/eventually.js';

/** A full GC on demand (`gc` exposed to a fresh context only, not to the tests' globals). */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('gc metrics', () => {
  it('labels the kinds Node reports', () => {
    expect(gcKindLabel(constants.NODE_PERFORMANCE_GC_MINOR)).to.equal('minor');
    expect(gcKindLabel(constants.NODE_PERFORMANCE_GC_MAJOR)).to.equal('major');
    expect(gcKindLabel(constants.NODE_PERFORMANCE_GC_INCREMENTAL)).to.equal('incremental');
    expect(gcKindLabel(constants.NODE_PERFORMANCE_GC_WEAKCB)).to.equal('weak');
    expect(gcKindLabel(undefined)).to.equal('other');
  });

  it('counts a full GC as a pause of the major kind, and reports the heap', async () => {
    const registry = new MetricsRegistry();
    const stop = registerGcMetrics(registry);
    try {
      fullGc();
      const text = await eventually('the GC to be observed', () => {
        const t = registry.render();
        return (sample(t, 'concord_server_gc_pause_seconds_count') ?? 0) >= 1 ? t : undefined;
      });
      expect(sample(text, 'concord_server_gc_pause_seconds_sum')).to.be.greaterThan(0);
      expect(sample(text, 'concord_server_gc_pause_seconds_total{kind="major"}')).to.be.greaterThan(0);
      expect(sample(text, 'concord_server_heap_used_bytes')).to.be.greaterThan(0);
      expect(sample(text, 'concord_server_heap_committed_bytes')).to.be.at.least(
        sample(text, 'concord_server_heap_used_bytes') ?? Infinity,
      );
      // By space: the spaces add up to the totals (read a moment apart: within 2 %), and the young
      // generation is one of them.
      const bySpace = (metric: string): number[] =>
        text
          .split('\n')
          .filter((l) => l.startsWith(`${metric}{space="`))
          .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
      for (const [metric, total] of [
        ['concord_server_heap_space_used_bytes', 'concord_server_heap_used_bytes'],
        ['concord_server_heap_space_committed_bytes', 'concord_server_heap_committed_bytes'],
      ] as const) {
        const spaces = bySpace(metric);
        const sum = sample(text, total) ?? NaN;
        expect(spaces.length, metric).to.be.greaterThan(4);
        expect(
          spaces.reduce((a, b) => a + b, 0),
          metric,
        ).to.be.closeTo(sum, sum * 0.02);
      }
      expect(sample(text, 'concord_server_heap_space_committed_bytes{space="new_space"}')).to.be.greaterThan(
        0,
      );
    } finally {
      stop();
    }
  });
});
