/**
 * A small Prometheus text-format (0.0.4) registry: counters, gauges and histograms, plus
 * collectors that read other layers' statistics at scrape time (so raft, replica and storage
 * keep plain counters and never import the API layer).
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

export class Counter implements Family {
  readonly type = 'counter' as const;
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1, labels: Labels = {}): void {
    const key = labelKey(labels);
    const cur = this.values.get(key);
    if (cur === undefined) this.values.set(key, { labels, value: by });
    else cur.value += by;
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
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(family.name))
      throw new Error(`metrics: bad metric name ${family.name}`);
    if (this.families.has(family.name)) throw new Error(`metrics: ${family.name} registered twice`);
    this.families.set(family.name, family);
    return family;
  }

  /** The Prometheus text exposition format. */
  render(): string {
    for (const c of this.collectors) c();
    const lines: string[] = [];
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${f.help.replace(/\n/g, ' ')}`);
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
