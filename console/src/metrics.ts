/** Metrics: small time-series charts (uPlot) of the serving member's own /metrics. */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { HISTORY, parseMetrics, sampler, type Point } from './metrics-sampler.js';
import { describe, POLL_MS } from './util.js';

interface Series {
  readonly id: string;
  readonly title: string;
  readonly unit: string;
  readonly pick: (p: Point) => number | null;
}

const CHARTS: readonly Series[] = [
  { id: 'proposals', title: 'Proposals applied', unit: '/s', pick: (p) => p.proposalsPerSec },
  { id: 'apply', title: 'Apply time per proposal', unit: 'ms', pick: (p) => p.applyMsPerProposal },
  { id: 'fsync', title: 'WAL fsync (mean)', unit: 'ms', pick: (p) => p.fsyncMs },
  { id: 'watches', title: 'Watches', unit: '', pick: (p) => p.watchers },
  { id: 'connections', title: 'Client connections', unit: '', pick: (p) => p.connections },
];

function format(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined) return '—';
  const digits = Math.abs(v) >= 100 || Number.isInteger(v) ? 0 : Math.abs(v) >= 1 ? 1 : 3;
  return `${v.toFixed(digits)}${unit === '' ? '' : ` ${unit}`}`;
}

function Chart({ series, points }: { series: Series; points: readonly Point[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const data: uPlot.AlignedData = [points.map((p) => p.t), points.map(series.pick)];
  useEffect(() => {
    if (box.current === null) return undefined;
    plot.current = new uPlot(
      {
        width: 380,
        height: 140,
        legend: { show: false },
        cursor: { show: false },
        scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [{}, { size: 50 }],
        series: [{}, { stroke: '#2458c6', width: 1.5, fill: 'rgba(36, 88, 198, 0.08)', spanGaps: false }],
      },
      data,
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => plot.current?.setData(data), [points.length, points.at(-1)?.t]);
  const last = points.at(-1);
  return html`
    <figure class="chart" data-testid=${`metric-${series.id}`}>
      <figcaption>
        ${`${series.title} `}<b class="value"
          >${format(last === undefined ? null : series.pick(last), series.unit)}</b
        >
      </figcaption>
      <div ref=${box}></div>
    </figure>
  `;
}

export function MetricsView() {
  const [points, setPoints] = useState<readonly Point[]>([...sampler.points]);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async (): Promise<void> => {
      try {
        const res = await fetch('/metrics', { signal: ac.signal, cache: 'no-store' });
        if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
        sampler.add(Date.now(), parseMetrics(await res.text()));
        setPoints([...sampler.points]);
        setError(undefined);
      } catch (err) {
        if (!ac.signal.aborted) setError(describe(err));
      }
      if (!ac.signal.aborted) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      ac.abort();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  return html`
    <h2>Metrics</h2>
    ${error !== undefined && html`<p class="error">Last read failed: ${error}</p>`}
    ${points.length === 0 && html`<p class="muted">Sampling… (a rate needs two samples)</p>`}
    <div class="charts">
      ${CHARTS.map((s) => html`<${Chart} key=${s.id} series=${s} points=${points} />`)}
    </div>
    <p class="note">
      ${`From this member's own /metrics, sampled every second while this view is open (the last ${Math.round((HISTORY * POLL_MS) / 60_000)} minutes): rates and means are over each second. Proposals are entries applied (the applied index moving); apply time is the state machine's time per entry; fsync is the WAL's mean fsync.`}
    </p>
  `;
}
