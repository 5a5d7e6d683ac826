/**
 * Invariant checks. A failed assertion means Concord's own state is wrong (not that a client sent
 * bad input): the process must stop rather than continue with corrupt state. The simulator turns
 * such a crash into a reproducible seed.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) {
    throw new AssertionError(typeof message === 'string' ? message : message());
  }
}

/** Ends every exhaustive switch over a discriminated union. */
export function unreachable(value: never): never {
  throw new AssertionError(`unreachable: ${JSON.stringify(value)}`);
}
