/**
 * One fault run: start a cluster of real processes, run the workloads (register, lock, semaphore,
 * queue) while the nemesis injects faults, heal, read every key once more, drain the queue, and
 * check every history. Shared by the CLI (`npm run fault`) and the mocha fault test.
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
  checkSemaphore,
  describeViolation,
  type GuardedWrite,
  type LockHold,
  type SafetyViolation,
  type SemaphoreHold,
} from '../check/lock-safety.js';
import { RegisterWorkload, WORKLOAD_DEFAULTS } from './workload.js';
import { QUEUE_WORKLOAD_DEFAULTS, QueueWorkload } from './queue-workload.js';
import {
  checkQueue,
  describeQueueViolation,
  queueStats,
  type QueueHistory,
  type QueueStats,
  type QueueViolation,
} from '../check/queue-safety.js';
import {
  conservativeHolds,
  SEMAPHORE_WORKLOAD_DEFAULTS,
  SemaphoreWorkload,
  type RecordedSemaphoreHold,
  type SemaphoreEviction,
} from './semaphore-workload.js';

/** The workloads `--workloads` selects; all by default. */
export const WORKLOADS = ['register', 'lock', 'semaphore', 'queue'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Parses `all` or a comma list of workload names. */
export function parseWorkloads(spec: string): WorkloadName[] {
  const out = new Set<WorkloadName>();
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    if (part === 'all') for (const w of WORKLOADS) out.add(w);
    else if ((WORKLOADS as readonly string[]).includes(part)) out.add(part as WorkloadName);
    else throw new Error(`unknown workload ${JSON.stringify(part)}; use all or ${WORKLOADS.join(', ')}`);
  }
  if (out.size === 0) throw new Error('no workload selected');
  return WORKLOADS.filter((w) => out.has(w));
}

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
  /** Which workloads run. Default: all of WORKLOADS. */
  readonly workloads?: readonly WorkloadName[];
  /** Lock workers taking one lock through the recipes (0: none). Default 3. */
  readonly lockWorkers?: number;
  /** Semaphore workers (0: none) and the semaphore's limit N. Defaults 4 and 2. */
  readonly semaphoreWorkers?: number;
  readonly semaphoreLimit?: number;
  /** Queue producers and consumers (0 of either: no queue workload). Defaults 2 and 3. */
  readonly queueProducers?: number;
  readonly queueConsumers?: number;
  /** Pause between one producer's enqueues. Default 200 ms. */
  readonly produceEveryMs?: number;
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
  /** Semaphore workload: over-capacity instants (client view, cut at operator releases, plus the record read by the operator); undefined when it did not run. */
  readonly semaphoreViolations?: number;
  readonly semaphoreHolds: number;
  /** Holds that ended because the slot's signal fired; operator releases. */
  readonly semaphoreLostHolds: number;
  readonly semaphoreEvictions: number;
  /** Queue workload: rule violations of checkQueue; undefined when it did not run. */
  readonly queueViolations?: number;
  readonly queue?: QueueStats;
  /** Queue workload counters: failed dequeues, consumer crashes, items left on a lost claim, drained after the run. */
  readonly queueWorkload?: {
    readonly dequeueErrors: number;
    readonly crashes: number;
    readonly abandoned: number;
    readonly drained: number;
  };
  readonly savedTo?: string;
  readonly detail?: string;
  readonly seed: number;
  readonly client: 'sdk' | 'http';
}

export function summaryLine(r: FaultReport): string {
  return (
    `operations=${r.operations} ok=${r.ok} fail=${r.fail} indeterminate=${r.indeterminate} ` +
    `faults=${r.faults} linearizable=${r.linearizable === Verdict.Linearizable ? 'yes' : r.linearizable === Verdict.Violation ? 'no' : 'unknown'} ` +
    `lock-violations=${r.lockWorkload ? r.lockViolations : 'n/a'} ` +
    `semaphore-violations=${r.semaphoreViolations ?? 'n/a'} queue-violations=${r.queueViolations ?? 'n/a'} ` +
    (r.queue !== undefined
      ? `queue-enqueued=${r.queue.enqueuedOk}+${r.queue.enqueuedIndeterminate}? queue-delivered=${r.queue.itemsDelivered} `
      : '') +
    `client=${r.client} seed=${r.seed}` +
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
  readonly semaphore?: {
    readonly limit: number;
    readonly holds: readonly RecordedSemaphoreHold[];
    readonly evictions: readonly SemaphoreEviction[];
    /** The holds checked (cut at operator releases). */
    readonly checked: readonly SemaphoreHold[];
    /** What the operator saw in the record itself (more holders than the limit). */
    readonly recordViolations: readonly SafetyViolation[];
    readonly violations: readonly SafetyViolation[];
  };
  readonly queue?: {
    readonly history: QueueHistory;
    readonly violations: readonly QueueViolation[];
  };
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

export async function runFault(options: FaultRunOptions): Promise<FaultReport> {
  const log = options.log ?? (() => {});
  const selected = new Set(options.workloads ?? WORKLOADS);
  const h = await ClusterHarness.start({
    size: options.members,
    electionTimeoutMs: options.electionTimeoutMs,
  });
  let faults: FaultRecord[] = [];
  let workload: RegisterWorkload | undefined;
  let memberLogs = '';
  let finalKeysRead = 0;
  let locks: LockWorkload | undefined;
  let semaphore: SemaphoreWorkload | undefined;
  let queue: QueueWorkload | undefined;
  const clientKind = options.client === 'http' || options.serializableReads === true ? 'http' : 'sdk';
  const sdkClients = new Map<number, SdkRegisterClient>();
  const semaphoreLimit = options.semaphoreLimit ?? SEMAPHORE_WORKLOAD_DEFAULTS.limit;
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
      workers: selected.has('register') ? options.workers : 0,
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
    const lockWorkers = selected.has('lock') ? (options.lockWorkers ?? LOCK_WORKLOAD_DEFAULTS.workers) : 0;
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
    const semaphoreWorkers = selected.has('semaphore')
      ? (options.semaphoreWorkers ?? SEMAPHORE_WORKLOAD_DEFAULTS.workers)
      : 0;
    if (semaphoreWorkers > 0) {
      semaphore = new SemaphoreWorkload({
        ...SEMAPHORE_WORKLOAD_DEFAULTS,
        workers: semaphoreWorkers,
        limit: semaphoreLimit,
        endpoints,
        requestTimeoutMs,
        seed: options.seed,
      });
      await semaphore.start();
    }
    const producers = options.queueProducers ?? QUEUE_WORKLOAD_DEFAULTS.producers;
    const consumers = options.queueConsumers ?? QUEUE_WORKLOAD_DEFAULTS.consumers;
    if (selected.has('queue') && producers > 0 && consumers > 0) {
      queue = new QueueWorkload({
        ...QUEUE_WORKLOAD_DEFAULTS,
        producers,
        consumers,
        endpoints,
        requestTimeoutMs,
        seed: options.seed,
        ...(options.produceEveryMs !== undefined ? { produceEveryMs: options.produceEveryMs } : {}),
      });
      queue.start();
    }
    workload.start();
    nemesis.start();
    await new Promise((resolve) => setTimeout(resolve, options.timeSec * 1000));
    await nemesis.stop();
    faults = nemesis.faults;
    await Promise.all([workload.stop(), locks?.stop(), semaphore?.stop(), queue?.stop()]);
    const leader = await h.waitForLeader(30_000);
    if (selected.has('register'))
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
  const semaphoreChecked = semaphore?.checkedHolds() ?? [];
  const semaphoreLog: SafetyViolation[] =
    semaphore === undefined
      ? []
      : [...checkSemaphore(semaphoreChecked, semaphoreLimit), ...semaphore.recordViolations];
  const queueHistory = queue?.history();
  const queueLog = queueHistory === undefined ? [] : checkQueue(queueHistory);
  let savedTo: string | undefined;
  const details = [
    ...(check.failed?.detail !== undefined ? [check.failed.detail] : []),
    ...lockLog.map(describeViolation),
    ...semaphoreLog.map(describeViolation),
    ...queueLog.map(describeQueueViolation),
  ];
  const detail = details.length > 0 ? details.join('\n') : undefined;
  const violated =
    check.verdict !== Verdict.Linearizable ||
    lockViolations > 0 ||
    semaphoreLog.length > 0 ||
    queueLog.length > 0;
  if (violated || options.saveAlways === true) {
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
      ...(semaphore !== undefined
        ? {
            semaphore: {
              limit: semaphoreLimit,
              holds: semaphore.holds,
              evictions: semaphore.evictions,
              checked: semaphoreChecked,
              recordViolations: semaphore.recordViolations,
              violations: semaphoreLog,
            },
          }
        : {}),
      ...(queueHistory !== undefined ? { queue: { history: queueHistory, violations: queueLog } } : {}),
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
    keys: selected.has('register') ? options.keys : 0,
    maxOkGapMs: workload.maxOkGapMs(),
    lockViolations,
    lockWorkload: locks !== undefined,
    lockHolds: locks?.holds.length ?? 0,
    staleWritesRejected: locks?.resource.rejected ?? 0,
    ...(semaphore !== undefined ? { semaphoreViolations: semaphoreLog.length } : {}),
    semaphoreHolds: semaphore?.holds.length ?? 0,
    semaphoreLostHolds: semaphore?.lostHolds ?? 0,
    semaphoreEvictions: semaphore?.evictions.length ?? 0,
    ...(queueHistory !== undefined
      ? { queueViolations: queueLog.length, queue: queueStats(queueHistory) }
      : {}),
    ...(queue !== undefined
      ? {
          queueWorkload: {
            dequeueErrors: queue.dequeueErrors,
            crashes: queue.crashes,
            abandoned: queue.abandoned,
            drained: queue.drained,
          },
        }
      : {}),
    seed: options.seed,
    client: clientKind,
    ...(savedTo !== undefined ? { savedTo } : {}),
    ...(detail !== undefined ? { detail } : {}),
  };
}

/** Whether a report has no violation of any checker (and the linearizability search finished). */
export function reportPassed(r: FaultReport): boolean {
  return (
    r.linearizable === Verdict.Linearizable &&
    r.lockViolations === 0 &&
    (r.semaphoreViolations ?? 0) === 0 &&
    (r.queueViolations ?? 0) === 0
  );
}

export interface RecheckResult {
  readonly linearizability: CheckResult;
  readonly lock: readonly SafetyViolation[];
  readonly semaphore: readonly SafetyViolation[];
  readonly queue: readonly QueueViolation[];
}

/**
 * Re-checks a saved run (the replay of a failure's verdict) with every checker. JSON has no
 * Infinity: times saved as null (an operator release whose outcome stayed unknown) are read back
 * as Infinity.
 */
export function recheck(saved: SavedRun): RecheckResult {
  const inf = (x: number | null): number => (x === null ? Infinity : x);
  const sem = saved.semaphore;
  const semaphore =
    sem === undefined
      ? []
      : [
          ...checkSemaphore(
            conservativeHolds(
              sem.holds.map((x) => ({ ...x, endMs: inf(x.endMs) })),
              sem.evictions.map((e) => ({ ...e, completeMs: inf(e.completeMs) })),
            ),
            sem.limit,
          ),
          ...sem.recordViolations,
        ];
  return {
    linearizability: checkLinearizable(saved.history),
    lock:
      saved.locks === undefined
        ? []
        : checkLockSafety(
            saved.locks.holds.map((x) => ({ ...x, endMs: inf(x.endMs) })),
            saved.locks.accepted,
          ),
    semaphore,
    queue: saved.queue === undefined ? [] : checkQueue(saved.queue.history),
  };
}
