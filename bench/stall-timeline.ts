/**
 * `npm run bench -- stall-timeline --log-dir DIR [--min-ms 150] [--margin-ms 100]`: lines up the
 * slow puts of a `scale --slow-put-ms … --trace-stalls … --log-dir DIR` run with what each
 * process was doing meanwhile. Puts of at least `--min-ms` that overlap (64 are in flight: a stall
 * holds many) make one *episode*; for each episode, every stall line (bench/stall-trace.ts)
 * and member log line (`snapshot written`, `leader changed`, …) from `--margin-ms` before its
 * first put started until its last put ended is printed, by process, with its offset from that
 * start. Then a count of what the episodes overlapped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArgReader } from './args.js';

/** Something that happened in one process, over [startMs, startMs + ms] (ms 0: an instant). */
export interface TimelineEvent {
  readonly source: string;
  readonly startMs: number;
  readonly ms: number;
  readonly what: string;
}

export interface SlowPut {
  readonly startMs: number;
  readonly endMs: number;
}

export interface Episode {
  readonly startMs: number;
  readonly endMs: number;
  readonly puts: number;
  readonly maxMs: number;
}

/** Overlapping slow puts merged into episodes, in time order. */
export function episodes(puts: readonly SlowPut[]): Episode[] {
  const sorted = [...puts].sort((x, y) => x.startMs - y.startMs);
  const out: { startMs: number; endMs: number; puts: number; maxMs: number }[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && p.startMs <= last.endMs) {
      last.endMs = Math.max(last.endMs, p.endMs);
      last.puts++;
      last.maxMs = Math.max(last.maxMs, p.endMs - p.startMs);
    } else out.push({ startMs: p.startMs, endMs: p.endMs, puts: 1, maxMs: p.endMs - p.startMs });
  }
  return out;
}

/** The events that overlap [fromMs, toMs], in time order. */
export function overlapping(events: readonly TimelineEvent[], fromMs: number, toMs: number): TimelineEvent[] {
  return events
    .filter((e) => e.startMs <= toMs && e.startMs + e.ms >= fromMs)
    .sort((x, y) => x.startMs - y.startMs);
}

const FIELDS_SHOWN = ['index', 'term', 'bytes', 'from', 'to', 'file', 'reason', 'detail'];

/** Parses one log line of `source` (a stall line, a member's JSON log line), or undefined. */
export function parseLine(source: string, line: string): TimelineEvent | SlowPut | undefined {
  try {
    if (line.startsWith('stall ')) {
      const r = JSON.parse(line.slice(6)) as {
        at: string;
        ms: number;
        kind: string;
        thread: string;
      } & Record<string, unknown>;
      const extra = FIELDS_SHOWN.filter((f) => r[f] !== undefined).map((f) => `${f}=${String(r[f])}`);
      return {
        source: `${source}/${r.thread}`,
        startMs: Date.parse(r.at),
        ms: r.ms,
        what: [r.kind, ...extra].join(' '),
      };
    }
    if (line.startsWith('slow put ')) {
      const r = JSON.parse(line.slice(9)) as { start: string; end: string };
      return { startMs: Date.parse(r.start), endMs: Date.parse(r.end) };
    }
    if (line.startsWith('{"ts":')) {
      const r = JSON.parse(line) as { ts: string; level: string; msg: string } & Record<string, unknown>;
      const extra = FIELDS_SHOWN.filter((f) => r[f] !== undefined).map((f) => `${f}=${String(r[f])}`);
      return { source, startMs: Date.parse(r.ts), ms: 0, what: [`log ${r.msg}`, ...extra].join(' ') };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

export async function run(argv: string[]): Promise<void> {
  const usage = 'usage: npm run bench -- stall-timeline --log-dir DIR [--min-ms 150] [--margin-ms 100]';
  let dir: string | undefined;
  let minMs = 150;
  let marginMs = 100;
  const r = new ArgReader(argv, usage);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--log-dir') dir = r.value(flag);
    else if (flag === '--min-ms') minMs = r.integer(flag);
    else if (flag === '--margin-ms') marginMs = r.integer(flag);
    else throw r.unknown(flag);
  }
  if (dir === undefined) throw new Error(usage);
  const events: TimelineEvent[] = [];
  const puts: SlowPut[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    const source = file.replace(/\.log$/, '').replace(/^concord-/, '');
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const e = parseLine(source, line);
      if (e === undefined) continue;
      if ('endMs' in e) puts.push(e);
      else events.push(e);
    }
  }
  const counts = new Map<string, number>();
  const eps = episodes(puts.filter((p) => p.endMs - p.startMs >= minMs));
  for (const ep of eps) {
    const from = ep.startMs - marginMs;
    console.log(
      `\n${new Date(ep.startMs).toISOString()} episode: ${ep.puts} puts ≥ ${minMs} ms, longest ${Math.round(ep.maxMs)} ms, ` +
        `${Math.round(ep.endMs - ep.startMs)} ms from first start to last end`,
    );
    const seen = new Set<string>();
    for (const e of overlapping(events, from, ep.endMs)) {
      const at = Math.round(e.startMs - ep.startMs);
      console.log(
        `  ${String(at).padStart(6)} ms ${e.source.padEnd(12)} ${e.ms > 0 ? `${e.ms} ms ` : ''}${e.what}`,
      );
      const key = `${e.source} ${e.what.split(' ')[0]}`;
      if (!seen.has(key)) counts.set(key, (counts.get(key) ?? 0) + 1);
      seen.add(key);
    }
  }
  console.log(`\n${eps.length} episodes with a put ≥ ${minMs} ms; how many overlapped each kind of event:`);
  for (const [k, n] of [...counts].sort((x, y) => y[1] - x[1]))
    console.log(`  ${String(n).padStart(4)}  ${k}`);
}
