/**
 * The shape of a recorded client history over key-value registers, shared by the checkers, the
 * fault workloads and the generators in the tests.
 *
 * An operation is recorded once it ends. `outcome`:
 * - `ok`: the client got a definite answer (`output` holds it);
 * - `fail`: the client knows the operation did NOT take effect (a read that errored, a request
 *   refused before it was proposed);
 * - `indeterminate`: no definite answer (timeout, connection lost, member killed): the operation
 *   may have taken effect at any moment after its invocation, or never. Jepsen's `:info`.
 *
 * Values are strings; `null` is "the key does not exist" (the initial state of every register).
 */

export type RegisterValue = string | null;

export type RegisterInput =
  | { readonly type: 'read' }
  | { readonly type: 'write'; readonly value: string }
  | { readonly type: 'cas'; readonly expected: RegisterValue; readonly value: string };

/**
 * What the client saw. A CAS that failed may report the value it found instead (`current`), which
 * the workloads obtain with a range in the txn's failure branch; it is then a read as well.
 */
export type RegisterOutput =
  | { readonly type: 'read'; readonly value: RegisterValue }
  | { readonly type: 'write' }
  | { readonly type: 'cas'; readonly succeeded: boolean; readonly current?: RegisterValue };

export const Outcome = { Ok: 'ok', Fail: 'fail', Indeterminate: 'indeterminate' } as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface Operation {
  /** Unique within the history. */
  readonly id: number;
  /** The worker (process) that issued it; one worker has at most one operation open at a time. */
  readonly client: number;
  readonly key: string;
  readonly input: RegisterInput;
  /** Monotonic milliseconds (performance.now() in the recorder). */
  readonly invokeMs: number;
  /** When the answer arrived; for indeterminate operations, when the client gave up (unused). */
  readonly completeMs: number;
  readonly outcome: Outcome;
  /** Present exactly when outcome is ok. */
  readonly output?: RegisterOutput;
}

/** One stable line per operation, for failure reports and saved histories. */
export function describeOperation(op: Operation): string {
  const inp =
    op.input.type === 'read'
      ? 'read'
      : op.input.type === 'write'
        ? `write ${JSON.stringify(op.input.value)}`
        : `cas ${JSON.stringify(op.input.expected)}->${JSON.stringify(op.input.value)}`;
  let out = '';
  if (op.output !== undefined) {
    if (op.output.type === 'read') out = ` => ${JSON.stringify(op.output.value)}`;
    else if (op.output.type === 'cas')
      out = ` => ${op.output.succeeded ? 'succeeded' : 'failed'}${
        op.output.current !== undefined ? ` (current ${JSON.stringify(op.output.current)})` : ''
      }`;
  }
  return `#${op.id} c${op.client} ${op.key} [${op.invokeMs.toFixed(1)}, ${op.completeMs.toFixed(1)}] ${inp} ${op.outcome}${out}`;
}
