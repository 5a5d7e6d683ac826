/**
 * Samples the serving member's own /metrics (Prometheus text, same origin) once a second and turns
 * counters into rates: proposals applied per second, mean apply time per proposal, mean WAL fsync
 * time, and the watch and connection gauges. The samples are kept for the page's lifetime (the
 * last HISTORY points), so leaving the view and coming back keeps the charts.
 */

export const HISTORY = 180;

/** Metric name → value, summed over label sets (histogram buckets are left out). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = line.lastIndexOf(' ');
    if (space <= 0) continue;
    const name = line.slice(0, brace >= 0 && brace < space ? brace : line.indexOf(' '));
    if (name.endsWith('_bucket')) continue;
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) values.set(name, (values.get(name) ?? 0) + value);
  }
  return values;
}

export interface Point {
  /** Seconds since the epoch (uPlot's x axis). */
  readonly t: number;
  readonly proposalsPerSec: number | null;
  readonly applyMsPerProposal: number | null;
  readonly fsyncMs: number | null;
  readonly watchers: number | null;
  readonly connections: number | null;
}

const M = {
  // Entries applied (the applied index): every member applies every committed proposal, while
  // proposals_applied_total counts only those proposed through this member (0 on a follower).
  applied: 'concord_raft_applied_index',
  applySeconds: 'concord_server_apply_seconds_total',
  fsyncSum: 'concord_disk_wal_fsync_duration_seconds_sum',
  fsyncCount: 'concord_disk_wal_fsync_duration_seconds_count',
  watchers: 'concord_watch_watchers',
  connections: 'concord_client_connections',
} as const;

/** The rate of change of `name` between two samples, per unit of `per` (a count or seconds). */
function delta(prev: Map<string, number>, cur: Map<string, number>, name: string): number | null {
  const a = prev.get(name);
  const b = cur.get(name);
  // a restarted member starts its counters over: no rate across that
  return a === undefined || b === undefined || b < a ? null : b - a;
}

const ratio = (num: number | null, den: number | null, scale: number): number | null =>
  num === null || den === null || den === 0 ? null : (num / den) * scale;

export class MetricsSampler {
  readonly points: Point[] = [];
  private last: { at: number; values: Map<string, number> } | undefined;

  /** Adds one sample taken at `atMs`; returns the new point (none for the first sample). */
  add(atMs: number, values: Map<string, number>): Point | undefined {
    const prev = this.last;
    this.last = { at: atMs, values };
    if (prev === undefined) return undefined;
    const seconds = (atMs - prev.at) / 1000;
    const applied = delta(prev.values, values, M.applied);
    const point: Point = {
      t: atMs / 1000,
      proposalsPerSec: ratio(applied, seconds, 1),
      applyMsPerProposal: ratio(delta(prev.values, values, M.applySeconds), applied, 1000),
      fsyncMs: ratio(delta(prev.values, values, M.fsyncSum), delta(prev.values, values, M.fsyncCount), 1000),
      watchers: values.get(M.watchers) ?? null,
      connections: values.get(M.connections) ?? null,
    };
    this.points.push(point);
    if (this.points.length > HISTORY) this.points.splice(0, this.points.length - HISTORY);
    return point;
  }
}

/** One sampler per page, fed while the metrics view is open. */
export const sampler = new MetricsSampler();
