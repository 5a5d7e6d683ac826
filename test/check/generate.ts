/**
 * Histories for testing the checker: generated from a sequential register with random
 * concurrency windows (so they are linearizable by construction), and single injected anomalies
 * that make a history provably not linearizable. Seeded, so a failing case replays exactly.
 */
import {
  Outcome,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from './history.js';

/** mulberry32: small, fast, good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GenerateOptions {
  readonly seed: number;
  readonly operations: number;
  readonly keys: number;
  readonly clients: number;
  /** Upper bound of the time between invocation and linearization point, and from there to completion. */
  readonly windowMs: number;
  /** Share of operations that end indeterminate (half of those took effect). Default 0. */
  readonly indeterminateRate?: number;
}

interface Draft {
  id: number;
  client: number;
  key: string;
  input: RegisterInput;
  invokeMs: number;
  pointMs: number;
  completeMs: number;
  indeterminate: boolean;
  tookEffect: boolean;
}

/** A linearizable history: every operation takes effect at a random point inside its window. */
export function generateHistory(o: GenerateOptions): Operation[] {
  const rnd = prng(o.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const keyNames = Array.from({ length: o.keys }, (_, i) => `k${i}`);
  const writtenPerKey = new Map<string, string[]>();
  const clock = Array.from({ length: o.clients }, () => rnd() * o.windowMs);
  const drafts: Draft[] = [];
  for (let id = 0; id < o.operations; id++) {
    const client = id % o.clients;
    const key = pick(keyNames);
    const written = writtenPerKey.get(key) ?? [];
    const r = rnd();
    const value = `${key}-v${id}`;
    let input: RegisterInput;
    if (r < 0.4) input = { type: 'read' };
    else if (r < 0.7 || written.length === 0) input = { type: 'write', value };
    else {
      const recent = written.slice(-3);
      input = { type: 'cas', expected: rnd() < 0.1 ? null : pick(recent), value };
    }
    if (input.type !== 'read') writtenPerKey.set(key, [...written, value]);
    const invokeMs = clock[client]!;
    const pointMs = invokeMs + rnd() * o.windowMs;
    const completeMs = pointMs + rnd() * o.windowMs;
    clock[client] = completeMs + rnd() * o.windowMs;
    const indeterminate = rnd() < (o.indeterminateRate ?? 0);
    drafts.push({
      id,
      client,
      key,
      input,
      invokeMs,
      pointMs,
      completeMs,
      indeterminate,
      tookEffect: !indeterminate || rnd() < 0.5,
    });
  }
  const state = new Map<string, RegisterValue>();
  const outputs = new Map<number, RegisterOutput>();
  for (const d of [...drafts].sort((a, b) => a.pointMs - b.pointMs)) {
    if (!d.tookEffect) continue;
    const cur = state.get(d.key) ?? null;
    switch (d.input.type) {
      case 'read':
        outputs.set(d.id, { type: 'read', value: cur });
        break;
      case 'write':
        state.set(d.key, d.input.value);
        outputs.set(d.id, { type: 'write' });
        break;
      case 'cas':
        if (cur === d.input.expected) {
          state.set(d.key, d.input.value);
          outputs.set(d.id, { type: 'cas', succeeded: true });
        } else outputs.set(d.id, { type: 'cas', succeeded: false, current: cur });
        break;
    }
  }
  return drafts.map((d) => {
    const base = {
      id: d.id,
      client: d.client,
      key: d.key,
      input: d.input,
      invokeMs: d.invokeMs,
      completeMs: d.completeMs,
    };
    if (d.indeterminate) return { ...base, outcome: Outcome.Indeterminate };
    return { ...base, outcome: Outcome.Ok, output: outputs.get(d.id)! };
  });
}

export const Anomaly = {
  NeverWritten: 'never-written',
  StaleRead: 'stale-read',
  LostUpdate: 'lost-update',
  CasWrongValue: 'cas-wrong-value',
} as const;
export type Anomaly = (typeof Anomaly)[keyof typeof Anomaly];

const isOk = (op: Operation): boolean => op.outcome === Outcome.Ok;
const succeededWrite = (op: Operation): boolean =>
  isOk(op) && (op.input.type === 'write' || (op.output?.type === 'cas' && op.output.succeeded));
const succeededCas = (op: Operation): op is Operation & { input: { type: 'cas' } } =>
  isOk(op) && op.input.type === 'cas' && op.output?.type === 'cas' && op.output.succeeded;

/**
 * Injects one anomaly that no linearization can explain; returns undefined when the history has
 * no place for that kind (the caller tries another seed or kind).
 */
export function injectAnomaly(
  history: readonly Operation[],
  kind: Anomaly,
  seed: number,
): { history: Operation[]; at: number } | undefined {
  const rnd = prng(seed);
  const out = [...history];
  const replace = (i: number, op: Operation): { history: Operation[]; at: number } => {
    out[i] = op;
    return { history: out, at: op.id };
  };
  const candidates = (pred: (op: Operation) => boolean): number[] =>
    out.flatMap((op, i) => (pred(op) ? [i] : []));
  const choose = (xs: number[]): number | undefined =>
    xs.length === 0 ? undefined : xs[Math.floor(rnd() * xs.length)];
  switch (kind) {
    case Anomaly.NeverWritten: {
      const i = choose(candidates((op) => isOk(op) && op.input.type === 'read'));
      return i === undefined
        ? undefined
        : replace(i, { ...out[i]!, output: { type: 'read', value: 'never-written' } });
    }
    case Anomaly.CasWrongValue: {
      const i = choose(candidates(succeededCas));
      if (i === undefined) return undefined;
      const op = out[i]!;
      const input = op.input as { type: 'cas'; value: string };
      return replace(i, { ...op, input: { type: 'cas', expected: 'never-written', value: input.value } });
    }
    case Anomaly.StaleRead: {
      // A read that begins after W2 completed, where W2 began after W1 completed, returning W1's value.
      for (const i of candidates((op) => isOk(op) && op.input.type === 'read').sort(() => rnd() - 0.5)) {
        const r = out[i]!;
        const writes = out.filter((w) => w.key === r.key && succeededWrite(w));
        for (const w2 of writes) {
          if (w2.completeMs >= r.invokeMs) continue;
          const w1 = writes.find((w) => w.completeMs < w2.invokeMs);
          if (w1 !== undefined && w1.input.type !== 'read')
            return replace(i, { ...r, output: { type: 'read', value: w1.input.value } });
        }
      }
      return undefined;
    }
    case Anomaly.LostUpdate: {
      // Two CAS on one key that both succeed from the same expected value: one update is lost.
      for (const i of candidates(succeededCas).sort(() => rnd() - 0.5)) {
        const a = out[i]!;
        const j = out.findIndex((b) => b !== a && b.key === a.key && succeededCas(b));
        if (j < 0 || a.input.type !== 'cas') continue;
        const b = out[j]!;
        const bValue = (b.input as { value: string }).value;
        return replace(j, { ...b, input: { type: 'cas', expected: a.input.expected, value: bValue } });
      }
      return undefined;
    }
  }
}
