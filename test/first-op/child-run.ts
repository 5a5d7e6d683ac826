/**
 * Runs a built script (an example, the `concord` CLI) as a child process and records what a user
 * would see: each output line with the time it arrived, the exit code, and when the process
 * exited. From that a test can check the output and how long the process stayed alive after it
 * finished its work.
 *
 * Two bounds keep a broken child from hanging the suite: `timeoutMs` for the whole run, and
 * `lingerMs` once the child printed the lines that end its work (`finalLines`) or was interrupted
 * (`interrupt()`); a child that exceeds either is killed (SIGKILL, by its own PID) and the run
 * says so, so the test fails with a reason instead of waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/ of this build (this file is dist/test/first-op/child-run.js). */
export const DIST = join(fileURLToPath(import.meta.url), '..', '..', '..');
export const CONCORD_MAIN = join(DIST, 'server', 'cli', 'main.js');
export const exampleScript = (name: string): string => join(DIST, 'examples', `${name}.js`);

export interface OutputLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** performance.now() when the chunk holding the line arrived. */
  readonly atMs: number;
}

export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: readonly OutputLine[];
  readonly startedAtMs: number;
  readonly exitedAtMs: number;
  /** When its work was over: its last line, or the interrupt the test sent if that came later. */
  readonly finishedAtMs: number;
  /** Killed because the whole run took longer than `timeoutMs`. */
  readonly timedOut: boolean;
  /** Killed because it was still alive `lingerMs` after its final line or the interrupt. */
  readonly lingered: boolean;
}

export interface ChildOptions {
  readonly env?: Record<string, string>;
  readonly timeoutMs: number;
  /**
   * Lines that, once printed in this order (other lines may come between), leave the process
   * nothing to do but exit.
   */
  readonly finalLines?: readonly RegExp[];
  /** How long it may stay alive after its final line or an interrupt before it is killed. */
  readonly lingerMs?: number;
}

const DEFAULT_LINGER_MS = 2000;

export class ChildRun {
  readonly done: Promise<ChildResult>;
  private readonly child: ChildProcess;
  private readonly lines: OutputLine[] = [];
  private readonly waiters: { re: RegExp; left: number; resolve: (line: OutputLine) => void }[] = [];
  private interruptedAtMs: number | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingered = false;
  /** How many of `finalLines` were printed so far, in order. */
  private finalSeen = 0;
  private timedOut = false;

  constructor(
    readonly args: readonly string[],
    private readonly options: ChildOptions,
  ) {
    const startedAtMs = performance.now();
    this.child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    this.collect('stdout');
    this.collect('stderr');
    const overall = setTimeout(() => {
      if (this.isAlive()) this.timedOut = true;
      this.child.kill('SIGKILL');
    }, options.timeoutMs);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>(
      (resolve, reject) => {
        this.child.once('error', reject);
        this.child.once('exit', (code, signal) => resolve({ code, signal, atMs: performance.now() }));
      },
    );
    // 'close' comes after both pipes are drained, so every line is in when the result is built.
    const closed = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.done = Promise.all([exited, closed]).then(([exit]) => {
      clearTimeout(overall);
      clearTimeout(this.lingerTimer);
      const lastLineAtMs = this.lines.reduce((t, l) => Math.max(t, l.atMs), startedAtMs);
      return {
        code: exit.code,
        signal: exit.signal,
        lines: [...this.lines],
        startedAtMs,
        exitedAtMs: exit.atMs,
        finishedAtMs: Math.max(lastLineAtMs, this.interruptedAtMs ?? 0),
        timedOut: this.timedOut,
        lingered: this.lingered,
      };
    });
    this.done.catch(() => undefined);
  }

  /**
   * Resolves with the `nth` line (1-based; so far or to come) matching `re`; rejects if the child
   * ends first.
   */
  waitForLine(re: RegExp, nth = 1): Promise<OutputLine> {
    const seen = this.lines.filter((l) => re.test(l.text));
    if (seen.length >= nth) return Promise.resolve(seen[nth - 1]!);
    return new Promise<OutputLine>((resolve, reject) => {
      this.waiters.push({ re, left: nth - seen.length, resolve });
      void this.done.then(() =>
        reject(
          new Error(`${this.describe()} ended without line ${nth} matching ${re}\n${this.transcript()}`),
        ),
      );
    });
  }

  /** Sends SIGINT (Ctrl-C): its work is over from now on, and it must exit within the linger bound. */
  interrupt(): void {
    this.interruptedAtMs = performance.now();
    this.child.kill('SIGINT');
    this.armLinger();
  }

  describe(): string {
    return `node ${this.args.map((a) => a.replace(`${DIST}/`, '')).join(' ')}`;
  }

  transcript(): string {
    return this.lines.map((l) => `  ${l.stream === 'stderr' ? '!' : '>'} ${l.text}`).join('\n');
  }

  private collect(stream: 'stdout' | 'stderr'): void {
    let partial = '';
    const source = this.child[stream]!;
    source.setEncoding('utf8');
    source.on('data', (chunk: string) => {
      const atMs = performance.now();
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) this.add({ stream, text, atMs });
    });
    source.on('end', () => {
      if (partial !== '') this.add({ stream, text: partial, atMs: performance.now() });
    });
  }

  private add(line: OutputLine): void {
    this.lines.push(line);
    for (const w of this.waiters.filter((x) => x.re.test(line.text))) {
      if (--w.left > 0) continue;
      this.waiters.splice(this.waiters.indexOf(w), 1);
      w.resolve(line);
    }
    const final = this.options.finalLines ?? [];
    if (this.finalSeen < final.length && final[this.finalSeen]!.test(line.text)) this.finalSeen++;
    if (this.lingerTimer !== undefined || (final.length > 0 && this.finalSeen === final.length))
      this.armLinger();
  }

  private isAlive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** (Re)starts the linger bound: any further line means the work was not over yet. */
  private armLinger(): void {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      if (this.isAlive()) this.lingered = true;
      this.child.kill('SIGKILL');
    }, this.options.lingerMs ?? DEFAULT_LINGER_MS);
  }
}

/** The lines of one stream, in order. */
export function textOf(result: ChildResult, stream?: 'stdout' | 'stderr'): string[] {
  return result.lines.filter((l) => stream === undefined || l.stream === stream).map((l) => l.text);
}

/** How long the process stayed alive after its work was over, in ms. */
export function lingerMs(result: ChildResult): number {
  return result.exitedAtMs - result.finishedAtMs;
}
