/**
 * What every client operation works with: the host (scheduler, members, trace), the options, the
 * clients' own PRNG, the calls and the recorder, plus the workers' shared habits (which member to
 * go to, unique values, what a failed call means for the worker).
 */
import type { RegisterInput } from '../../check/history.js';
import type { SeededRandom } from '../../../server/platform/random.js';
import type { AuthApplyChecker } from '../checkers/auth-apply.js';
import { Calls, identity, type CallFailure, type CallIdentity } from './calls.js';
import type { SimClientsOptions } from './client-options.js';
import { HistoryRecorder } from './history-recorder.js';
import type { ClientHost } from './host.js';

export interface Worker {
  readonly id: number;
  /** The member the worker's last operation went to, and whether it should move on. */
  member: number;
  moveOn: boolean;
  /** The last state of each register key this worker saw (for CAS compares). */
  readonly seen: Map<string, { value: string; modRevision: number; version?: number }>;
  /** The register operation open now, if any (recorded as indeterminate if the run ends first). */
  open: { id: number; key: string; input: RegisterInput; invokeMs: number } | undefined;
}

export class ClientContext {
  readonly random: SeededRandom;
  readonly calls: Calls;
  readonly record: HistoryRecorder;
  /** Whether new operations and watches may start (stop() clears it). */
  running = false;
  /** A bug in the clients themselves (an exception in their promise chains), rethrown by check(). */
  internalError: unknown;
  private nextValue = 1;

  constructor(
    readonly host: ClientHost,
    readonly o: SimClientsOptions,
    /** The auth workload's checker: told of every write refused to its client. */
    readonly authChecker?: AuthApplyChecker,
  ) {
    this.random = host.random.fork();
    // With the auth workload every other operation runs as root (it may do anything once auth is on).
    this.calls = new Calls(host, o.requestTimeoutMs, o.auth ? 'root' : undefined);
    this.record = new HistoryRecorder(host.scheduler);
  }

  /** Who watches are opened as (root with the auth workload). */
  get watchIdentity(): CallIdentity {
    return identity(this.o.auth ? 'root' : undefined);
  }

  get nowMs(): number {
    return this.host.scheduler.nowMs;
  }

  later(delayMs: number, label: string, fn: () => void): void {
    this.host.scheduler.after(delayMs, label, 0, undefined, fn);
  }

  note(member: number, what: string): void {
    this.host.trace.recordEvent(this.host.scheduler.nowMs, 'client', member, what);
  }

  /** The current revision as the member's local state has it (no request). */
  revisionAt(member: number): number | undefined {
    return this.host.backend(member)?.header().revision;
  }

  /** A random live member, another than `avoid` if there is one. */
  pickMember(avoid?: number): number | undefined {
    const up = this.host.memberIds().filter((id) => this.host.backend(id) !== undefined);
    const others = up.filter((id) => id !== avoid);
    const from = others.length > 0 ? others : up;
    return from.length === 0 ? undefined : from[this.random.int(from.length)];
  }

  /** A value no one wrote before. */
  value(w: Worker): string {
    return `v${w.id}.${this.nextValue++}`;
  }

  /** A refusal or a timeout: the next operation goes to another member. */
  failed(w: Worker, r: CallFailure): void {
    w.moveOn = true;
    this.record.refusal(r);
  }
}
