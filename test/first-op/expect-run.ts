/**
 * Assertions over a finished child process (child-run.ts), worded so a failure says what a user
 * would have seen: a hang, a process that stayed alive after its work, a wrong exit code or a
 * missing line, with the transcript attached.
 */
import { expect } from 'chai';
import { lingerMs, textOf, type ChildResult, type ChildRun } from './child-run.js';
import { EXIT_WITHIN_MS } from './first-op.js';

export interface ExpectedRun {
  readonly code: number;
  /** Lines that must appear, in this order (other lines may come between them). */
  readonly lines?: readonly RegExp[];
  readonly stream?: 'stdout' | 'stderr';
}

/** Checks that the run ended by itself with `code`, printed `lines` in order, and exited promptly. */
export function expectRun(run: ChildRun, result: ChildResult, expected: ExpectedRun): void {
  const what = run.describe();
  const transcript = `\n${run.transcript()}`;
  if (result.timedOut) expect.fail(`${what} hung (killed at its deadline)${transcript}`);
  if (result.lingered)
    expect.fail(
      `${what} was still running ${Math.round(result.exitedAtMs - result.finishedAtMs)} ms after its work was over (its last line, or the interrupt); killed${transcript}`,
    );
  expect(result.code, `${what}: exit code${transcript}`).to.equal(expected.code);
  expectLinesInOrder(textOf(result, expected.stream), expected.lines ?? [], `${what}${transcript}`);
  const after = lingerMs(result);
  expect(
    after,
    `${what} exited ${Math.round(after)} ms after its work was over (at most ${EXIT_WITHIN_MS} ms)`,
  ).to.be.at.most(EXIT_WITHIN_MS);
}

export function expectLinesInOrder(
  lines: readonly string[],
  patterns: readonly RegExp[],
  what: string,
): void {
  let from = 0;
  for (const re of patterns) {
    const at = lines.findIndex((l, i) => i >= from && re.test(l));
    expect(at, `${what}: no line matching ${re} (after line ${from})`).to.not.equal(-1);
    from = at + 1;
  }
}

/** The first capture group of the first line matching `re` (as a number). */
export function captured(result: ChildResult, re: RegExp): number {
  for (const line of textOf(result)) {
    const m = re.exec(line);
    if (m?.[1] !== undefined) return Number(m[1]);
  }
  throw new Error(`no line matching ${re}`);
}
