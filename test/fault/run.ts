/**
 * One fault run: start a cluster of real processes, run the register workload while the nemesis
 * injects faults, heal, read every key once more, and check the history. Shared by the CLI
 * (`npm run fault`) and the mocha fault test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outcome, type Operation } from '../check/history.js';
import { checkLinearizable, Verdict, type CheckResult } from '../check/linearizability.js';
import { ClusterHarness } from '../cluster/harness.js';
import { Nemesis, type FaultKind, type FaultRecord } from './nemesis.js';
import { HttpRegisterClient, type RegisterClient } from './register-client.js';
import { SdkRegisterClient } from './sdk-register-client.js';
import { loadLockRecipes, LOCK_WORKLOAD_DEFAULTS, LockWorkload } from './lock-workload.js';
import {
  checkLockSafety,
  describeViolation,
  type GuardedWrite,
  type LockHold,
  type SafetyViolation,
} from '../check/lock-safety.js';
import { RegisterWorkload, WORKLOAD_DEFAULTS } from './workload.js';

export interface FaultRunOptions {
  readonly timeSec: number;
  readonly kinds: readonly FaultKind[];
  readonly members: number;
  readonly workers: number;
  readonly keys: number;
  readonly seed: number;
  readonly electionTimeoutMs: number;
  /** `sdk` (default): one SDK Client per worker over every endpoint; `http`: the JSON gateway. */
  readonly client?: 'sdk' | 'http';
  /** Save the history and fault log even when there is no violation. Default false. */
  readonly saveAlways?: boolean;
  /** Lock workers taking one lock through the recipes (0: none). Default 3. */
  readonly lockWorkers?: number;
  /** Negative control: stale-capable serializable reads (the checker should object). Default false. */
  readonly serializableReads?: boolean;
  /** Passed to the nemesis (defaults there). */
  readonly holdMs?: readonly [number, number];
  readonly quietMs?: readonly [number, number];
  /** Where a failing run's history, fault log and member logs go. */
  readonly outDir: string;
  readonly log?: (line: string) => void;
}

export const FAULT_RUN_DEFAULTS = {
  timeSec: 60,
  members: 3,
  workers: WORKLOAD_DEFAULTS.workers,
  keys: WORKLOAD_DEFAULTS.keys,
  electionTimeoutMs: 500,
  outDir: 'fault-results',
} as const;

export interface FaultReport {
  readonly operations: number;
  readonly ok: number;
  readonly fail: number;
  readonly indeterminate: number;
  readonly faults: number;
  readonly faultsByKind: Record<string, number>;
  readonly errors: Record<string, number>;
  readonly linearizable: Verdict;
  readonly checkMs: number;
  /** Keys read after the heal (liveness: should be every key). */
  readonly finalKeysRead: number;
  readonly keys: number;
  /** Longest stretch without a successful operation. */
  readonly maxOkGapMs: number;
  /** Lock-safety violations of the lock workload (recipes' acquireLock with fencing tokens). */
  readonly lockViolations: number;
  /** Whether the lock workload ran (it needs recipes/, see LockRecipes). */
  readonly lockWorkload: boolean;
  /** Lock holds completed, and writes the guarded resource rejected as stale. */
  readonly lockHolds: number;
  readonly staleWritesRejected: number;
  readonly savedTo?: string;
  readonly detail?: string;
  readonly seed: number;
  readonly client: 'sdk' | 'http';
}

export function summaryLine(r: FaultReport): string {
  return (
    `operations=${r.operations} ok=${r.ok} fail=${r.fail} indeterminate=${r.indeterminate} ` +
    `faults=${r.faults} linearizable=${r.linearizable === Verdict.Linearizable ? 'yes' : r.linearizable === Verdict.Violation ? 'no' : 'unknown'} ` +
    `lock-violations=${r.lockWorkload ? r.lockViolations : 'n/a'} client=${r.client} seed=${r.seed}` +
    (r.savedTo !== undefined ? ` saved=${r.savedTo}` : '')
  );
}

export interface SavedRun {
  readonly options: Omit<FaultRunOptions, 'log'>;
  readonly faults: readonly FaultRecord[];
  readonly history: readonly Operation[];
  readonly verdict: Verdict;
  readonly detail?: string;
  readonly locks?: {
    readonly holds: readonly LockHold[];
    readonly accepted: readonly GuardedWrite[];
    readonly violations: readonly SafetyViolation[];
  };
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export async function runFault(options: FaultRunOptions): Promise<FaultReport> {
  const log = options.log ?? (() => {});
  const h = await ClusterHarness.start({
    size: options.members,
    electionTimeoutMs: options.electionTimeoutMs,
  });
  let faults: FaultRecord[] = [];
  let workload: RegisterWorkload | undefined;
  let memberLogs = '';
  let finalKeysRead = 0;
  let locks: LockWorkload | undefined;
  const clientKind = options.client === 'http' || options.serializableReads === true ? 'http' : 'sdk';
  const sdkClients = new Map<number, SdkRegisterClient>();
  try {
    const requestTimeoutMs = Math.max(WORKLOAD_DEFAULTS.requestTimeoutMs, 4 * options.electionTimeoutMs);
    const endpoints = h.members.map((m) => m.clientUrl);
    const httpClients = endpoints.map(
      (url) => new HttpRegisterClient(url, options.serializableReads ?? false),
    );
    const clientsFor = (w: number): RegisterClient[] => {
      if (clientKind === 'http') return httpClients;
      const sdk = new SdkRegisterClient(endpoints, requestTimeoutMs);
      sdkClients.set(w, sdk);
      return [sdk];
    };
    workload = new RegisterWorkload({
      workers: options.workers,
      keys: options.keys,
      requestTimeoutMs,
      seed: options.seed,
      clientsFor,
    });
    const nemesis = new Nemesis(h, {
      kinds: options.kinds,
      seed: options.seed,
      electionTimeoutMs: options.electionTimeoutMs,
      log,
      ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
      ...(options.quietMs !== undefined ? { quietMs: options.quietMs } : {}),
    });
    const lockWorkers = options.lockWorkers ?? LOCK_WORKLOAD_DEFAULTS.workers;
    const recipes = lockWorkers > 0 ? await loadLockRecipes() : undefined;
    if (lockWorkers > 0 && recipes === undefined) log('lock workload: recipes/ is not built here; skipped');
    if (recipes !== undefined) {
      locks = new LockWorkload(recipes, {
        ...LOCK_WORKLOAD_DEFAULTS,
        workers: lockWorkers,
        endpoints,
        requestTimeoutMs,
      });
      locks.start();
    }
    workload.start();
    nemesis.start();
    await new Promise((resolve) => setTimeout(resolve, options.timeSec * 1000));
    await nemesis.stop();
    faults = nemesis.faults;
    await workload.stop();
    await locks?.stop();
    const leader = await h.waitForLeader(30_000);
    finalKeysRead = await workload.finalReads(new HttpRegisterClient(h.member(leader).clientUrl));
  } catch (err) {
    log(h.logs());
    throw err;
  } finally {
    memberLogs = h.logs();
    for (const c of sdkClients.values()) await c.close();
    await h.stop();
  }
  const history = workload.history;
  const started = performance.now();
  const check: CheckResult = checkLinearizable(history);
  const checkMs = performance.now() - started;
  const outcomes = countBy(history, (op) => op.outcome);
  const lockLog: SafetyViolation[] =
    locks === undefined ? [] : checkLockSafety(locks.holds, locks.resource.accepted);
  const lockViolations = lockLog.length;
  let savedTo: string | undefined;
  const detail =
    check.failed?.detail ?? (lockLog.length > 0 ? lockLog.map(describeViolation).join('\n') : undefined);
  if (check.verdict !== Verdict.Linearizable || lockViolations > 0 || options.saveAlways === true) {
    mkdirSync(options.outDir, { recursive: true });
    savedTo = join(
      options.outDir,
      `fault-${new Date().toISOString().replace(/[:.]/g, '-')}-seed${options.seed}.json`,
    );
    const { log: _log, ...rest } = options;
    const saved: SavedRun = {
      ...(locks !== undefined
        ? { locks: { holds: locks.holds, accepted: locks.resource.accepted, violations: lockLog } }
        : {}),
      options: rest,
      faults,
      history,
      verdict: check.verdict,
      ...(detail !== undefined ? { detail } : {}),
    };
    writeFileSync(savedTo, JSON.stringify(saved, null, 1));
    writeFileSync(savedTo.replace(/\.json$/, '.members.log'), memberLogs);
  }
  return {
    operations: history.length,
    ok: outcomes[Outcome.Ok] ?? 0,
    fail: outcomes[Outcome.Fail] ?? 0,
    indeterminate: outcomes[Outcome.Indeterminate] ?? 0,
    faults: faults.length,
    faultsByKind: countBy(faults, (f) => f.kind),
    errors: Object.fromEntries(workload.errors),
    linearizable: check.verdict,
    checkMs,
    finalKeysRead,
    keys: options.keys,
    maxOkGapMs: workload.maxOkGapMs(),
    lockViolations,
    lockWorkload: locks !== undefined,
    lockHolds: locks?.holds.length ?? 0,
    staleWritesRejected: locks?.resource.rejected ?? 0,
    seed: options.seed,
    client: clientKind,
    ...(savedTo !== undefined ? { savedTo } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** Re-checks a saved run (the replay of a failure's verdict): prints the failing key's operations. */
export function recheck(saved: SavedRun): CheckResult {
  return checkLinearizable(saved.history);
}
