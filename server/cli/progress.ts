/**
 * Progress displays of the long commands, on stderr and only while both stdout and stderr are
 * terminals: in a pipe, a log file or a script they print nothing, so the output stays exactly
 * the command's answer.
 *
 * - `startBar`: a bar towards a known total (cli-progress): snapshot save (bytes), snapshot restore
 *   (bytes read and checked), defrag --cluster (members done).
 * - `startTicker`: a count with no total and its recent rate (watch: events). The events are
 *   printed on stdout, the same terminal: `around` clears the line before they are printed and
 *   draws it again after, so the line never ends up in the middle of them.
 */
import { humanBytes } from './render.js';

/** The streams a display needs: whether stdout is a terminal, and stderr to draw on. */
export interface ProgressTerminal {
  readonly stdoutIsTTY: boolean;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** The process's own streams. */
export function processTerminal(): ProgressTerminal {
  return { stdoutIsTTY: process.stdout.isTTY === true, stderr: process.stderr };
}

/** Whether a display may be shown: both stdout and stderr are terminals. */
export function showsProgress(t: ProgressTerminal): boolean {
  return t.stdoutIsTTY && t.stderr.isTTY === true;
}

export interface ProgressBar {
  update(done: number): void;
  stop(): void;
}

export interface BarOptions {
  readonly label: string;
  readonly total: number;
  /** How an amount is written: bytes (`1.2 MB`, rate per second) or a count (`2/3 members`). */
  readonly unit: 'bytes' | { readonly name: string };
  readonly terminal?: ProgressTerminal;
}

/** A bar towards `total`, or undefined when progress is not shown (see the file header). */
export async function startBar(o: BarOptions): Promise<ProgressBar | undefined> {
  const t = o.terminal ?? processTerminal();
  if (!showsProgress(t)) return undefined;
  const { SingleBar, Presets } = (await import('cli-progress')).default;
  const format =
    o.unit === 'bytes'
      ? `${o.label} [{bar}] {percentage}% | {done} / {total_h} | {rate}`
      : `${o.label} [{bar}] {value}/{total} ${o.unit.name}`;
  const bar = new SingleBar(
    { format, stream: t.stderr, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  const startedMs = Date.now();
  const payload = (done: number): object => {
    if (o.unit !== 'bytes') return {};
    const seconds = Math.max(0.001, (Date.now() - startedMs) / 1000);
    return {
      done: humanBytes(done),
      total_h: humanBytes(o.total),
      rate: `${humanBytes(Math.round(done / seconds))}/s`,
    };
  };
  bar.start(o.total, 0, payload(0));
  let stopped = false;
  return {
    update: (done) => {
      if (!stopped) bar.update(done, payload(done));
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

export interface Ticker {
  /** `n` more things happened. */
  add(n: number): void;
  /** Clears the line, runs `print` (output on the same terminal), draws the line again after it. */
  around<T>(print: () => Promise<T>): Promise<T>;
  stop(): void;
}

export interface TickerOptions {
  /** The line's start: `watch app/`. */
  readonly label: string;
  /** The plural of what is counted: `events`. */
  readonly things: string;
  /** The window of the rate, in ms (default 10 s). */
  readonly windowMs?: number;
  /** How often the line is redrawn without news, so the rate falls when nothing comes (ms). */
  readonly redrawMs?: number;
  readonly terminal?: ProgressTerminal;
  readonly now?: () => number;
}

const CLEAR_LINE = '\r\x1b[2K';

/** A count and its rate over the last `windowMs`, or undefined when progress is not shown. */
export function startTicker(o: TickerOptions): Ticker | undefined {
  const t = o.terminal ?? processTerminal();
  if (!showsProgress(t)) return undefined;
  const now = o.now ?? Date.now;
  const windowMs = o.windowMs ?? 10_000;
  const startedMs = now();
  // (time, count) of recent additions, oldest first; those older than the window are dropped.
  const recent: [number, number][] = [];
  let total = 0;
  let stopped = false;
  // While output of the command's own is being printed (see `around`), the line stays away.
  let hidden = 0;
  const rate = (): number => {
    const at = now();
    while (recent.length > 0 && recent[0]![0] < at - windowMs) recent.shift();
    const span = Math.min(windowMs, Math.max(1000, at - startedMs)) / 1000;
    return recent.reduce((s, [, n]) => s + n, 0) / span;
  };
  const draw = (): void => {
    if (!stopped && hidden === 0)
      t.stderr.write(`${CLEAR_LINE}${o.label}: ${total} ${o.things}, ${rate().toFixed(1)}/s`);
  };
  const timer = setInterval(draw, o.redrawMs ?? 1000);
  timer.unref();
  draw();
  return {
    add: (n) => {
      total += n;
      recent.push([now(), n]);
      draw();
    },
    around: async (print) => {
      if (!stopped && hidden === 0) t.stderr.write(CLEAR_LINE);
      hidden += 1;
      try {
        return await print();
      } finally {
        hidden -= 1;
        draw();
      }
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      t.stderr.write(CLEAR_LINE);
    },
  };
}
