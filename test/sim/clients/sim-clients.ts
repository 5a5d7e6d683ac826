/**
 * Simulated clients: a few workers issuing real requests to the members' `ClientBackend`s, each
 * with at most one operation open, on a random live member (after a refusal or a timeout the next
 * one goes elsewhere), and a few long-lived watches. Everything they see is recorded
 * (history-recorder.ts) and judged at the end by `check()` with the checkers in test/sim/checkers/:
 *
 *   register keys  c/reg/N    register-ops.ts  put, CAS, linearizable range → linearizability
 *   pair keys      c/pair/N   pair-ops.ts      txns writing two keys in one branch, puts, deletes
 *   lease keys     c/lease/N  lease-ops.ts     puts attached to short leases (grant, keep-alive,
 *                                              revoke, expiry), read after they expire
 *   everything     c/         read-ops.ts      serializable ranges, reads of the past
 *                             watches.ts       anchor and roaming watches, resumed after crashes
 *                             compaction.ts    now and then at a past revision
 *
 * op-mix.ts weighs the operations; calls.ts makes each call (timeout, crash detection).
 *
 * Determinism: every choice draws from the host's PRNG (forked once), every delay is a scheduler
 * event, answers arrive as promises that the simulator settles between events. A seed replays.
 */
import { Outcome, type Operation } from '../../check/history.js';
import type { AuthApplyChecker } from '../checkers/auth-apply.js';
import { exponential } from '../options.js';
import { checkClientHistory, type SimClientsStats } from './check-history.js';
import { AuthOps } from './auth-ops.js';
import { ClientContext, type Worker } from './client-context.js';
import { SIM_CLIENTS_DEFAULTS, type SimClientsOptions } from './client-options.js';
import { Compactor } from './compaction.js';
import type { ClientHost } from './host.js';
import { LeaseOps } from './lease-ops.js';
import { opMix, pickOp, type OpMix } from './op-mix.js';
import type { ClientHistory } from './record.js';
import { Watches } from './watches.js';

export { checkClientHistory, type SimClientsStats } from './check-history.js';
export { CLIENT_PREFIX, SIM_CLIENTS_DEFAULTS, type SimClientsOptions } from './client-options.js';

/** The simulated clients of one run: `start()`, later `stop()`, then `check()`. */
export class SimClients {
  private readonly cx: ClientContext;
  private readonly workers: Worker[] = [];
  private readonly mix: OpMix;
  private readonly watches: Watches;
  private readonly compactor: Compactor;

  /** `authChecker`: with `options.auth`, the checker told of writes refused to their clients. */
  constructor(host: ClientHost, options: Partial<SimClientsOptions> = {}, authChecker?: AuthApplyChecker) {
    this.cx = new ClientContext(host, { ...SIM_CLIENTS_DEFAULTS, ...options }, authChecker);
    this.mix = opMix(this.cx, new LeaseOps(this.cx), this.cx.o.auth ? new AuthOps(this.cx) : undefined);
    this.watches = new Watches(this.cx, () => this.compactor.lastCompaction);
    this.compactor = new Compactor(this.cx, this.watches);
  }

  get isRunning(): boolean {
    return this.cx.running;
  }

  start(): void {
    const cx = this.cx;
    if (cx.running) return;
    cx.running = true;
    for (let i = 0; i < cx.o.clients; i++) {
      const w: Worker = {
        id: i + 1,
        member: cx.pickMember() ?? 0,
        moveOn: false,
        seen: new Map(),
        open: undefined,
      };
      this.workers.push(w);
      cx.later(exponential(cx.random, cx.o.thinkMeanMs), 'client', () => this.step(w));
    }
    this.watches.startAnchors();
    cx.later(cx.o.sweepMs, 'client-sweep', () => this.sweep());
    this.compactor.start();
  }

  /** No new operations or watches from now on; open ones may still complete, watches keep recording. */
  stop(): void {
    this.cx.running = false;
  }

  /** The recorded history (what check() judges). Open register operations count as indeterminate. */
  history(): ClientHistory {
    const now = this.cx.nowMs;
    const open: Operation[] = this.workers.flatMap((w) =>
      w.open === undefined
        ? []
        : [{ ...w.open, client: w.id, completeMs: now, outcome: Outcome.Indeterminate }],
    );
    return this.cx.record.history(open);
  }

  /** Judges the whole history; throws the first Violation found, else returns what was checked. */
  check(): SimClientsStats {
    if (this.cx.internalError !== undefined) throw this.cx.internalError;
    return { ...checkClientHistory(this.history()), refused: this.cx.record.refusals() };
  }

  /** Crashed members: give up on calls to them and resume their watches elsewhere. */
  private sweep(): void {
    this.cx.calls.giveUpOnCrashed();
    this.watches.sweep();
    this.cx.later(this.cx.o.sweepMs, 'client-sweep', () => this.sweep());
  }

  private step(w: Worker): void {
    const cx = this.cx;
    if (!cx.running) return;
    if (w.moveOn || cx.host.backend(w.member) === undefined || cx.random.chance(0.1)) {
      w.member = cx.pickMember(w.moveOn ? w.member : undefined) ?? w.member;
      w.moveOn = false;
    }
    const op = pickOp(cx.random, this.mix);
    void op(w).then(
      () => cx.later(exponential(cx.random, cx.o.thinkMeanMs), 'client', () => this.step(w)),
      (err: unknown) => {
        cx.internalError ??= err;
      },
    );
  }
}
