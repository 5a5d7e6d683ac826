/**
 * A linearizability checker for histories of key-value registers (read, write, compare-and-swap):
 * the Wing–Gong search with Lowe's memoisation, as Porcupine and Knossos implement it.
 *
 * A history is linearizable when every operation can be given one instant between its invocation
 * and its completion such that, taken in that order, the operations are legal for a sequential
 * register. Registers are independent, so the history is split per key and each key is searched
 * alone (P-compositionality): 10,000 operations over 50 keys are 50 searches of 200.
 *
 * The search (per key). Invocation and completion events sit in one doubly linked list in time
 * order (an invocation before a completion at the same instant, the permissive choice). Walking
 * from the head, an invocation whose operation is legal in the current model state is
 * *linearized*: both its events are lifted out of the list, the model steps, and the choice is
 * pushed on a stack. Reaching a completion means that operation has ended without being
 * linearized, so the last choice was wrong: pop it, put its events back, and try the next
 * invocation after it. The list empty means a linearization was found; the stack empty at a
 * completion means there is none. Lowe's memoisation: a (set of linearized operations, model
 * state) pair already seen leads to the same future, so it is not explored twice.
 *
 * Indeterminate operations (Jepsen's `:info`) may take effect at any time after their invocation
 * or never: they get a completion at +infinity, which lets the search place them anywhere later,
 * including after everything (never happened), and an unknown output, so the model accepts them
 * in either branch. Failed operations and reads without an answer have no effect and are dropped.
 *
 * Two sound reductions keep indeterminate writes from making the search exponential, valid when
 * every write on a key carries a distinct value (the workloads ensure it; checked here):
 * - an indeterminate write or CAS whose value nobody observed (no read or failed CAS returned it,
 *   no CAS expected it) is dropped: put last, it explains the same history, and nothing can need
 *   it earlier because no operation saw the state it produces;
 * - an indeterminate write whose value was observed must have taken effect before the first
 *   observer completed, so its completion is moved there.
 *
 * Example: with x initially null, `w(x,1) [0,10]`, `r(x)→1 [2,3]`, `r(x)→null [4,5]` is not
 * linearizable: the first read puts the write before 3, so the read at [4,5] is stale.
 */
import {
  describeOperation,
  Outcome,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from './history.js';

export interface CheckOptions {
  /**
   * Search steps per key before giving up with `unknown` (a pathological history, not a verdict).
   * Default 5,000,000 (a few seconds of search).
   */
  readonly maxStepsPerKey?: number;
}

export const DEFAULTS = { maxStepsPerKey: 5_000_000 } as const;

export const Verdict = { Linearizable: 'linearizable', Violation: 'violation', Unknown: 'unknown' } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

export interface KeyResult {
  readonly key: string;
  readonly verdict: Verdict;
  /** Operations searched (after dropping failed and unobserved indeterminate ones). */
  readonly operations: number;
  readonly steps: number;
  /** On a violation: the operations of the key, one line each, and the one that could not be placed. */
  readonly detail?: string;
}

export interface CheckResult {
  readonly verdict: Verdict;
  readonly keys: readonly KeyResult[];
  /** The first key that is not linearizable (or unknown), if any. */
  readonly failed?: KeyResult;
}

/** The sequential register. Returns the next state, or undefined when the step is illegal. */
export function stepRegister(
  state: RegisterValue,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): RegisterValue | undefined {
  switch (input.type) {
    case 'read':
      return output === undefined || (output.type === 'read' && output.value === state) ? state : undefined;
    case 'write':
      return input.value;
    case 'cas': {
      const matches = state === input.expected;
      if (output === undefined) return matches ? input.value : state;
      if (output.type !== 'cas') return undefined;
      if (output.succeeded) return matches ? input.value : undefined;
      if (matches) return undefined;
      return output.current === undefined || output.current === state ? state : undefined;
    }
  }
}

interface SearchOp {
  readonly op: Operation;
  readonly input: RegisterInput;
  readonly output: RegisterOutput | undefined;
  readonly invokeMs: number;
  readonly completeMs: number;
}

function writtenValue(input: RegisterInput): string | undefined {
  return input.type === 'read' ? undefined : input.value;
}

/** Drops what cannot matter and bounds indeterminate writes (see the file header). */
export function prepareKey(ops: readonly Operation[]): SearchOp[] {
  const kept = ops.filter(
    (op) => op.outcome !== Outcome.Fail && !(op.input.type === 'read' && op.outcome !== Outcome.Ok),
  );
  const written = kept.map((op) => writtenValue(op.input)).filter((v) => v !== undefined);
  const unique = new Set(written).size === written.length;
  // value -> earliest completion of a definite operation that saw it; present (maybe Infinity) if seen at all
  const observedBy = new Map<string, number>();
  const see = (value: RegisterValue | undefined, atMs: number): void => {
    if (value === null || value === undefined) return;
    observedBy.set(value, Math.min(observedBy.get(value) ?? Infinity, atMs));
  };
  for (const op of kept) {
    const out = op.outcome === Outcome.Ok ? op.output : undefined;
    const at = out === undefined ? Infinity : op.completeMs;
    if (op.input.type === 'cas')
      see(op.input.expected, out !== undefined && out.type === 'cas' && out.succeeded ? at : Infinity);
    if (out?.type === 'read') see(out.value, at);
    if (out?.type === 'cas' && !out.succeeded) see(out.current, at);
  }
  const result: SearchOp[] = [];
  for (const op of kept) {
    const definite = op.outcome === Outcome.Ok;
    let completeMs = definite ? op.completeMs : Infinity;
    if (!definite && unique) {
      const v = writtenValue(op.input);
      if (v !== undefined) {
        if (!observedBy.has(v)) continue;
        completeMs = Math.max(op.invokeMs, observedBy.get(v)!);
      }
    }
    result.push({
      op,
      input: op.input,
      output: definite ? op.output : undefined,
      invokeMs: op.invokeMs,
      completeMs,
    });
  }
  return result;
}

/**
 * The invocation and completion events of one key in time order, as a doubly linked list over
 * typed arrays (dancing links): entry 2i is operation i's invocation, 2i+1 its completion, and
 * entry 2n the head sentinel. Lifting an operation unlinks both its events; unlifting relinks
 * them, in the reverse order, which restores the list exactly.
 */
class EventList {
  readonly head: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(ops: readonly SearchOp[]) {
    const n = ops.length;
    const order: number[] = [];
    for (let i = 0; i < n; i++) order.push(2 * i, 2 * i + 1);
    const timeOf = (e: number): number => (e % 2 === 0 ? ops[e >> 1]!.invokeMs : ops[e >> 1]!.completeMs);
    // An invocation before a completion at the same instant: treat them as concurrent.
    order.sort((a, b) => timeOf(a) - timeOf(b) || (a % 2) - (b % 2) || a - b);
    this.head = 2 * n;
    this.next = new Int32Array(2 * n + 1).fill(-1);
    this.prev = new Int32Array(2 * n + 1).fill(-1);
    let last = this.head;
    for (const e of order) {
      this.next[last] = e;
      this.prev[e] = last;
      last = e;
    }
  }

  /** The entry after `e` (-1 at the end); `after(head)` is the first entry. */
  after(e: number): number {
    return this.next[e]!;
  }

  get isEmpty(): boolean {
    return this.next[this.head]! < 0;
  }

  private unlink(e: number): void {
    const { next, prev } = this;
    next[prev[e]!] = next[e]!;
    if (next[e]! >= 0) prev[next[e]!] = prev[e]!;
  }

  private relink(e: number): void {
    const { next, prev } = this;
    next[prev[e]!] = e;
    if (next[e]! >= 0) prev[next[e]!] = e;
  }

  lift(call: number): void {
    this.unlink(call);
    this.unlink(call + 1);
  }

  unlift(call: number): void {
    this.relink(call + 1);
    this.relink(call);
  }
}

/** The set of linearized operations plus the model state, as one memo key. */
class LinearizedSet {
  private readonly words: Uint32Array;

  constructor(n: number) {
    this.words = new Uint32Array(Math.ceil(n / 32));
  }

  add(i: number): void {
    this.words[i >> 5]! |= 1 << (i & 31);
  }

  remove(i: number): void {
    this.words[i >> 5]! &= ~(1 << (i & 31));
  }

  keyWith(state: RegisterValue): string {
    return `${this.words.join(',')}|${state === null ? '\u0000' : state}`;
  }
}

/** Searches one key's operations. */
export function checkKey(key: string, raw: readonly Operation[], options: CheckOptions = {}): KeyResult {
  const maxSteps = options.maxStepsPerKey ?? DEFAULTS.maxStepsPerKey;
  const ops = prepareKey(raw);
  const n = ops.length;
  if (n === 0) return { key, verdict: Verdict.Linearizable, operations: 0, steps: 0 };
  const list = new EventList(ops);
  const linearized = new LinearizedSet(n);
  const seen = new Set<string>();
  const stack: { call: number; state: RegisterValue }[] = [];
  let state: RegisterValue = null;
  let entry = list.after(list.head);
  let steps = 0;
  let deepest = 0;
  let stuckAt = -1;
  while (!list.isEmpty) {
    if (++steps > maxSteps) return { key, verdict: Verdict.Unknown, operations: n, steps };
    if (entry < 0) throw new Error('linearizability search walked off the list');
    if (entry % 2 === 0) {
      // An invocation: try to linearize its operation here.
      const i = entry >> 1;
      const nextState = stepRegister(state, ops[i]!.input, ops[i]!.output);
      if (nextState !== undefined) {
        linearized.add(i);
        const memo = linearized.keyWith(nextState);
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ call: entry, state });
          state = nextState;
          list.lift(entry);
          entry = list.after(list.head);
          continue;
        }
        linearized.remove(i);
      }
      entry = list.after(entry);
    } else {
      // A completion of an operation not yet linearized: undo the last choice.
      if (stack.length >= deepest) {
        deepest = stack.length;
        stuckAt = entry >> 1;
      }
      const top = stack.pop();
      if (top === undefined) {
        return { key, verdict: Verdict.Violation, operations: n, steps, detail: explain(ops, stuckAt) };
      }
      linearized.remove(top.call >> 1);
      state = top.state;
      list.unlift(top.call);
      entry = list.after(top.call);
    }
  }
  return { key, verdict: Verdict.Linearizable, operations: n, steps };
}

/** The operation that could not be placed and up to 30 operations either side (by invocation). */
function explain(ops: readonly SearchOp[], stuckAt: number): string {
  const stuck = ops[stuckAt];
  const sorted = [...ops].sort((a, b) => a.invokeMs - b.invokeMs);
  const at = stuck === undefined ? 0 : sorted.indexOf(stuck);
  const shown = sorted.slice(Math.max(0, at - 30), at + 31);
  const lines = shown.map((o) => `${o === stuck ? '>> ' : '   '}${describeOperation(o.op)}`);
  const head = stuck === undefined ? '' : `no linearization places ${describeOperation(stuck.op)}\n`;
  return `${head}${lines.join('\n')}\n(${shown.length} of the key's ${ops.length} searched operations shown)`;
}

/** Checks a whole history, key by key; stops at the first key that is not linearizable. */
export function checkLinearizable(history: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const byKey = new Map<string, Operation[]>();
  for (const op of history) {
    let list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, (list = []));
    list.push(op);
  }
  const keys: KeyResult[] = [];
  let failed: KeyResult | undefined;
  for (const [key, ops] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const r = checkKey(key, ops, options);
    keys.push(r);
    if (r.verdict !== Verdict.Linearizable && (failed === undefined || failed.verdict === Verdict.Unknown)) {
      failed = r;
      if (r.verdict === Verdict.Violation) break;
    }
  }
  return failed === undefined
    ? { verdict: Verdict.Linearizable, keys }
    : { verdict: failed.verdict, keys, failed };
}
