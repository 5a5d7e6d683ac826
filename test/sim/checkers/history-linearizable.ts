/**
 * The simulated clients' register operations (put, CAS, linearizable range on a few keys) must be
 * linearizable: the project's Wing–Gong checker (test/check/linearizability.ts) decides, and a
 * violation names the key and an excerpt of its operations around the one that could not be placed.
 * An `unknown` verdict (the search gave up) is not a violation; the stats say how many keys it hit.
 */
import type { Operation } from '../../check/history.js';
import { checkLinearizable, Verdict, type CheckOptions } from '../../check/linearizability.js';
import { Invariant, Violation } from './violation.js';

export interface LinearizableStats {
  readonly operations: number;
  readonly keys: number;
  /** Keys the search gave up on (too many concurrent indeterminate operations). */
  readonly unknownKeys: number;
}

export function checkRegistersLinearizable(
  ops: readonly Operation[],
  options: CheckOptions = { maxStepsPerKey: 1_000_000 },
): LinearizableStats {
  const result = checkLinearizable(ops, options);
  if (result.verdict === Verdict.Violation) {
    const failed = result.failed!;
    throw new Violation(
      Invariant.ClientLinearizable,
      `the operations on ${failed.key} are not linearizable\n${failed.detail ?? ''}`,
    );
  }
  return {
    operations: ops.length,
    keys: result.keys.length,
    unknownKeys: result.keys.filter((k) => k.verdict === Verdict.Unknown).length,
  };
}
