/**
 * A small Prometheus text-format (0.0.4) registry: counters, gauges and histograms, plus
 * collectors that read other layers' statistics at scrape time (so raft, replica and storage
 * keep plain counters and never import the API layer).
 *
 * Prometheus' naming conventions are enforced when a family is registered, so a wrong name fails
 * at start (and in tests) instead of on a dashboard: a counter's name ends in `_total` and nothing
 * else's does; durations are in seconds and sizes in bytes, spelled out (`_seconds`, `_bytes`),
 * never `_ms`, `_milliseconds` or `_kb`. `promtool check metrics` agrees (test/integration/
 * metrics-promtool.test.ts runs it on a live member).
 */

export type Labels = Readonly<Record<string, string>>;

interface Sample {
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  samples(): Sample[];
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');
}

/** A counter only goes up: `Counter.inc` and its series' `inc` refuse anything else. */
function checkCounterStep(name: string, by: number): void {
  if (!(by >= 0)) throw new Error(`metrics: counter ${name} cannot go down (inc by ${by})`);
}

/** A handle on one series of a counter (`Counter.series`). */
export interface CounterSeries {
  inc(by?: number): void;
}

export class Counter implements Family {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1, labels: Labels = {}): void {
    checkCounterStep(this.name, by);
    this.entry(labels).value += by;
  }
  /**
   * Sets the total from a source that counts by itself (a collector copying another layer's
   * counter at scrape time). The source must only grow during the process' life, as counters do.
   */
  setTotal(total: number, labels: Labels = {}): void {
    this.entry(labels).value = total;
  }
  /**
   * One labelled series, to increment on a hot path without building its key each time (the
   * key's arrays and strings were ~2 KB of garbage per client request).
   */
  series(labels: Labels): CounterSeries {
    const entry = this.entry(labels);
    const name = this.name;
    return {
      inc(by = 1): void {
        checkCounterStep(name, by);
        entry.value += by;
      },
    };
  }
  private entry(labels: Labels): { labels: Labels; value: number } {
    const key = labelKey(labels);
    let cur = this.values.get(key);
    if (cur === undefined) {
      cur = { labels, value: 0 };
      this.values.set(key, cur);
    }
    return cur;
  }
  samples(): Sample[] {
    return [...this.values.values()].map((v) => ({ name: this.name, labels: v.labels, value: v.value }));
  }
}

export class Gauge implements Family {
  readonly type = 'gauge' as const;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  set(value: number, labels: Labels = {}): void {
    this.values.set(labelKey(labels), { labels, value });
  }
  inc(by = 1, labels: Labels = {}): void {
    const cur = this.values.get(labelKey(labels));
    this.set((cur?.value ?? 0) + by, labels);
  }
  samples(): Sample[] {
    return [...this.values.values()].map((v) => ({ name: this.name, labels: v.labels, value: v.value }));
  }
}

/** Cumulative buckets, as Prometheus expects; bounds are upper bounds in the metric's unit. */
export class Histogram implements Family {
  readonly type = 'histogram' as const;
  private readonly counts: number[];
  private sum = 0;
  private count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[],
  ) {
    this.counts = bounds.map(() => 0);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < this.bounds.length; i++) if (value <= this.bounds[i]!) this.counts[i]!++;
  }
  samples(): Sample[] {
    const out: Sample[] = this.bounds.map((b, i) => ({
      name: `${this.name}_bucket`,
      labels: { le: String(b) },
      value: this.counts[i]!,
    }));
    out.push({ name: `${this.name}_bucket`, labels: { le: '+Inf' }, value: this.count });
    out.push({ name: `${this.name}_sum`, labels: {}, value: this.sum });
    out.push({ name: `${this.name}_count`, labels: {}, value: this.count });
    return out;
  }
}

/** Exponential bucket bounds: start, start·factor, … (count bounds). */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => Number((start * factor ** i).toPrecision(6)));
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** HELP text escapes backslash and line feed (not quotes), as the text format says. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Unit spellings Prometheus asks to replace by base units (seconds, bytes) in full. */
const NON_BASE_UNITS =
  /(^|_)(ms|us|ns|msec|usec|nsec|millis|milliseconds|microseconds|nanoseconds|minutes|hours|days|kb|mb|gb|kib|mib|gib|kilobytes|megabytes|gigabytes|sec|secs)(_|$)/;

/** Why `name` breaks Prometheus' naming conventions for a family of `type`, or undefined. */
export function namingProblem(name: string, type: 'counter' | 'gauge' | 'histogram'): string | undefined {
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) return 'bad metric name';
  if (name !== name.toLowerCase()) return 'metric names are snake_case';
  if (type === 'counter' && !name.endsWith('_total')) return "a counter's name ends in _total";
  if (type !== 'counter' && name.endsWith('_total')) return `a ${type}'s name does not end in _total`;
  if (NON_BASE_UNITS.test(name)) return 'units are base units spelled out (_seconds, _bytes)';
  if (type === 'histogram' && /_(bucket|sum|count)$/.test(name)) return 'reserved histogram suffix';
  return undefined;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  counter(name: string, help: string): Counter {
    return this.register(new Counter(name, help));
  }
  gauge(name: string, help: string): Gauge {
    return this.register(new Gauge(name, help));
  }
  histogram(name: string, help: string, bounds: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, bounds));
  }

  /** `collect` runs before each scrape, typically copying another layer's statistics into gauges. */
  addCollector(collect: () => void): void {
    this.collectors.push(collect);
  }

  private register<F extends Family>(family: F): F {
    const problem = namingProblem(family.name, family.type);
    if (problem !== undefined) throw new Error(`metrics: ${problem}: ${family.name}`);
    if (this.families.has(family.name)) throw new Error(`metrics: ${family.name} registered twice`);
    this.families.set(family.name, family);
    return family;
  }

  /** The Prometheus text exposition format. */
  render(): string {
    for (const c of this.collectors) c();
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      lines.push(`# TYPE ${f.name} ${f.type}`);
      for (const s of f.samples()) {
        const keys = Object.keys(s.labels);
        const labels =
          keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(s.labels[k]!)}"`).join(',')}}`;
        lines.push(`${s.name}${labels} ${formatValue(s.value)}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
