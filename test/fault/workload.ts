/**
 * Client workers that issue random reads, writes and CAS on a small set of keys (contention is
 * the point) and record the history the linearizability checker reads.
 *
 * Each worker has one operation open at a time, talks to one member and moves to another after
 * an error (as a client with a list of endpoints would). Every written value is unique
 * (`w<worker>-<seq>`), which the checker's reductions rely on. Outcomes:
 * - a definite answer is `ok`;
 * - a read that errs is `fail` (a read has no effect, so it is simply dropped);
 * - a write or CAS that errs is `indeterminate`, unless the client proves it did not take effect
 *   (HTTP: connection refused; SDK: `mayHaveApplied === false`), then `fail`.
 */
import {
  Outcome,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterValue,
} from '../check/history.js';
import { prng } from '../check/generate.js';
import { errorLabel, type RegisterClient } from './register-client.js';

export interface WorkloadOptions {
  readonly workers: number;
  readonly keys: number;
  /** Client-side deadline of one request; longer than an election so most calls get an answer. */
  readonly requestTimeoutMs: number;
  readonly seed: number;
  /**
   * The clients of one worker: it uses one and moves to another after an error (HTTP: one per
   * member; SDK: a single client over every endpoint, which fails over by itself).
   */
  readonly clientsFor: (worker: number) => readonly RegisterClient[];
}

export const WORKLOAD_DEFAULTS = { workers: 8, keys: 8, requestTimeoutMs: 2_000 } as const;

export class RegisterWorkload {
  readonly history: Operation[] = [];
  /** Error labels → count, for the report (TIMEOUT, NOT_LEADER, ECONNREFUSED, …). */
  readonly errors = new Map<string, number>();
  private nextId = 0;
  private stopping = false;
  private running: Promise<void>[] = [];

  constructor(private readonly options: WorkloadOptions) {}

  start(): void {
    this.running = Array.from({ length: this.options.workers }, (_, w) => this.worker(w));
  }

  /** Stops issuing new operations and waits for the open ones to end. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
  }

  /**
   * One definite read of every key through `client` (retried), so the history ends in the final
   * state. Returns how many keys could be read (all of them, on a cluster that recovered).
   */
  async finalReads(client: RegisterClient, attempts = 20): Promise<number> {
    let read = 0;
    for (let k = 0; k < this.options.keys; k++) {
      for (let a = 0; a < attempts; a++) {
        const op = await this.invoke(this.options.workers + 1, client, `k${k}`, { type: 'read' });
        if (op.outcome === Outcome.Ok) {
          read++;
          break;
        }
      }
    }
    return read;
  }

  /** The longest time between two successful completions (how long the cluster was unusable). */
  maxOkGapMs(): number {
    const done = this.history
      .filter((op) => op.outcome === Outcome.Ok)
      .map((op) => op.completeMs)
      .sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < done.length; i++) gap = Math.max(gap, done[i]! - done[i - 1]!);
    return gap;
  }

  private async worker(w: number): Promise<void> {
    const rnd = prng(this.options.seed * 1000 + w);
    const clients = this.options.clientsFor(w);
    let member = Math.floor(rnd() * clients.length);
    let seq = 0;
    const lastSeen = new Map<string, RegisterValue>();
    while (!this.stopping) {
      const key = `k${Math.floor(rnd() * this.options.keys)}`;
      const r = rnd();
      const value = `w${w}-${seq++}`;
      const input: RegisterInput =
        r < 0.4
          ? { type: 'read' }
          : r < 0.7
            ? { type: 'write', value }
            : { type: 'cas', expected: lastSeen.get(key) ?? null, value };
      const op = await this.invoke(w, clients[member]!, key, input);
      if (op.output?.type === 'read') lastSeen.set(key, op.output.value);
      if (op.output?.type === 'cas')
        lastSeen.set(
          key,
          op.output.succeeded ? (input as { value: string }).value : (op.output.current ?? null),
        );
      if (op.outcome !== Outcome.Ok)
        member = (member + 1 + Math.floor(rnd() * (clients.length - 1))) % clients.length;
    }
  }

  private async invoke(
    client: number,
    rc: RegisterClient,
    key: string,
    input: RegisterInput,
  ): Promise<Operation> {
    const id = this.nextId++;
    const invokeMs = performance.now();
    const signal = AbortSignal.timeout(this.options.requestTimeoutMs);
    let output: RegisterOutput | undefined;
    let outcome: Outcome;
    try {
      switch (input.type) {
        case 'read':
          output = { type: 'read', value: await rc.read(key, signal) };
          break;
        case 'write':
          await rc.write(key, input.value, signal);
          output = { type: 'write' };
          break;
        case 'cas': {
          const res = await rc.cas(key, input.expected, input.value, signal);
          output = res.succeeded
            ? { type: 'cas', succeeded: true }
            : { type: 'cas', succeeded: false, current: res.current };
          break;
        }
      }
      outcome = Outcome.Ok;
    } catch (err) {
      const label = errorLabel(err);
      this.errors.set(label, (this.errors.get(label) ?? 0) + 1);
      outcome = input.type === 'read' || rc.definitelyNotApplied(err) ? Outcome.Fail : Outcome.Indeterminate;
    }
    const completeMs = performance.now();
    const base = { id, client, key, input, invokeMs, completeMs };
    const op: Operation =
      output !== undefined && outcome === Outcome.Ok ? { ...base, outcome, output } : { ...base, outcome };
    this.history.push(op);
    return op;
  }
}
