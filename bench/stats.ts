/**
 * Pure helpers of the comparison suite: percentiles, medians over repeats, ratios and the table.
 * No I/O here, so test/unit/bench/ can check them exactly.
 */

/** Whether a bigger number is better (throughput) or a smaller one (latency, memory, downtime). */
export const Better = { Higher: 'higher', Lower: 'lower' } as const;
export type Better = (typeof Better)[keyof typeof Better];

export const TARGETS = ['concord', 'etcd'] as const;
export type TargetName = (typeof TARGETS)[number];

/** One number measured once: e.g. workload `put-64`, metric `ops/s`. */
export interface Sample {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  readonly target: TargetName;
  readonly repeat: number;
  readonly value: number;
}

/** The p-th percentile (0..100) of `values` by nearest rank; NaN for an empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The median (mean of the two middle values for an even count); NaN for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Concord/etcd; NaN when either side is missing or etcd's is 0. */
export function ratio(concord: number, etcd: number): number {
  if (!Number.isFinite(concord) || !Number.isFinite(etcd) || etcd === 0) return NaN;
  return concord / etcd;
}

/** Whether a ratio means Concord is at least as good as etcd on this row. */
export function concordWins(r: number, better: Better): boolean {
  if (Number.isNaN(r)) return false;
  return better === Better.Higher ? r >= 1 : r <= 1;
}

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

export interface Row {
  readonly workload: string;
  readonly metric: string;
  readonly unit: string;
  readonly better: Better;
  readonly concord: Summary;
  readonly etcd: Summary;
  /** ratio of the medians, Concord/etcd */
  readonly ratio: number;
}

/** Groups samples into rows (workload, metric), in first-seen order. */
export function rows(samples: readonly Sample[]): Row[] {
  const order: string[] = [];
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const id = `${s.workload}\u0000${s.metric}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = [];
      groups.set(id, g);
      order.push(id);
    }
    g.push(s);
  }
  return order.map((id) => {
    const g = groups.get(id)!;
    const first = g[0]!;
    const concord = summarize(g.filter((s) => s.target === 'concord').map((s) => s.value));
    const etcd = summarize(g.filter((s) => s.target === 'etcd').map((s) => s.value));
    return {
      workload: first.workload,
      metric: first.metric,
      unit: first.unit,
      better: first.better,
      concord,
      etcd,
      ratio: ratio(concord.median, etcd.median),
    };
  });
}

/** A number with about three significant digits. */
export function fmt(n: number): string {
  if (Number.isNaN(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1000) return Math.round(n).toString();
  if (a >= 100) return n.toFixed(0);
  if (a >= 10) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

function cell(s: Summary): string {
  if (s.n === 0) return '–';
  if (s.n === 1) return fmt(s.median);
  return `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})`;
}

/** A Markdown table: one line per row, medians with min–max over repeats. */
export function table(rs: readonly Row[]): string {
  const lines = [
    '| workload | metric | better | Concord | etcd | ratio C/E |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rs) {
    const mark = Number.isNaN(r.ratio) ? '' : concordWins(r.ratio, r.better) ? ' ✓' : ' ✗';
    lines.push(
      `| ${r.workload} | ${r.metric} (${r.unit}) | ${r.better} | ${cell(r.concord)} | ${cell(r.etcd)} | ${Number.isNaN(r.ratio) ? '–' : r.ratio.toFixed(2)}${mark} |`,
    );
  }
  return lines.join('\n');
}

/** A repeatable sequence for keys and values (xorshift32), so no run depends on Math.random. */
export function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
