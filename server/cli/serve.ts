/**
 * `concord serve`: exit codes in SERVE_EXIT_STATUS (usage.ts) and docs/operations.md.
 *
 * The member runs in a worker thread of this process, whose V8 heap is sized for the space quota
 * (heap-plan.ts): a running isolate's heap limit cannot be raised, and a second process would
 * outlive a parent killed with SIGKILL, holding the data directory and the ports that a restart
 * needs at once. A worker dies with its process. The main thread maps the flags onto the member's
 * `MemberConfig` and validates it (a bad flag exits 2 before anything starts), prints the heap
 * plan's warnings, and forwards SIGTERM and SIGINT to the worker, which starts the member from
 * that same object (as an embedding program would) and stops it exactly as a member in the main
 * thread would; the worker's stdout and stderr are this process's, and its exit code is the
 * process's.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { asFlagError, InvalidConfigError, memberConfigFromArgs, resolveFlagConfig } from './config.js';
import type { MemberConfig, ResolvedMemberConfig } from '../member/config.js';
import { DataDirLockedError } from '../platform/dir-lock.js';
import { ListenError } from '../member/listen-error.js';
import {
  oldGenerationLimitBytes,
  processV8BoolFlagGiven,
  processV8FlagGiven,
  processV8FlagMiB,
} from '../member/v8-heap.js';
import {
  heapGrowthFlag,
  markingTaskFlag,
  markingWorkersFlag,
  planHeap,
  youngGenerationMiB,
  type HeapPlan,
} from './heap-plan.js';

const err = (text: string): void => void process.stderr.write(`${text}\n`);

/** What the main thread tells the member's worker. */
export type ToMember = { readonly type: 'signal'; readonly signal: NodeJS.Signals };
/** What the worker tells the main thread. */
export type FromMember = { readonly type: 'serving' };

/** The data a member's worker starts from. */
export interface MemberWorkerData {
  /** What `startMember` is given: plain data, as an embedding program would write it. */
  readonly config: MemberConfig;
}

export async function serve(argv: string[]): Promise<number> {
  let config: MemberConfig;
  let resolved: ResolvedMemberConfig;
  try {
    config = memberConfigFromArgs(argv, process.env);
    resolved = resolveFlagConfig(config);
  } catch (e) {
    return reportStartFailure(e);
  }
  const plan = planHeap({
    quotaBytes: resolved.quotaBackendBytes,
    memoryBytes: availableMemoryBytes(),
    defaultOldGenerationBytes: oldGenerationLimitBytes(
      getHeapStatistics().heap_size_limit,
      processV8FlagMiB('max-semi-space-size'),
    ),
    operatorOldSpaceMiB: processV8FlagMiB('max-old-space-size'),
  });
  for (const warning of plan.warnings) err(`concord: warning: ${warning}`);
  return runMemberWorker({ config }, plan);
}

/** The machine's memory, or the container's limit when it is lower. */
function availableMemoryBytes(): number {
  const total = totalmem();
  const constrained = process.constrainedMemory?.();
  return constrained !== undefined && constrained > 0 ? Math.min(total, constrained) : total;
}

function runMemberWorker(data: MemberWorkerData, plan: HeapPlan): Promise<number> {
  // V8's flags are the process's, and some are read when an isolate's heap is made: set before
  // the member's worker starts, unless node was started with them (heap-plan.ts). The main
  // thread's heap is a few MiB either way.
  const flags = [
    heapGrowthFlag(processV8FlagMiB('heap-growing-percent')),
    markingWorkersFlag(processV8FlagGiven('concurrent-marking-max-worker-num')),
    markingTaskFlag(processV8BoolFlagGiven('incremental-marking-task')),
  ];
  for (const flag of flags) if (flag !== undefined) setFlagsFromString(flag);
  const youngMiB = youngGenerationMiB(processV8FlagMiB('max-semi-space-size'));
  const worker = new Worker(new URL('./serve-worker.js', import.meta.url), {
    workerData: data,
    resourceLimits: {
      maxOldGenerationSizeMb: plan.oldGenerationMiB,
      ...(youngMiB === undefined ? {} : { maxYoungGenerationSizeMb: youngMiB }),
    },
  });
  // Signals are handled once the member serves, as before: until then they stop the process.
  const forward = (signal: NodeJS.Signals): void =>
    worker.postMessage({ type: 'signal', signal } satisfies ToMember);
  worker.on('message', (message: FromMember) => {
    if (message.type !== 'serving') return;
    process.on('SIGTERM', forward);
    process.on('SIGINT', forward);
  });
  worker.on('error', (e: Error & { code?: string }) => {
    if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
      err(
        `concord: the member ran out of V8 heap (old generation limit ${plan.oldGenerationMiB} MiB); ` +
          'see "Memory" in docs/operations.md',
      );
    else err(`concord: ${e.stack ?? e.message}`);
  });
  return new Promise((resolve) =>
    worker.once('exit', (code) => {
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code);
    }),
  );
}

/** An operator's mistake gets one line naming what to fix; anything else keeps its stack. */
export function reportStartFailure(e: unknown): number {
  if (e instanceof InvalidConfigError) {
    err(`concord: ${asFlagError(e).message}`);
    return 2;
  }
  if (e instanceof ListenError || e instanceof DataDirLockedError) {
    err(`concord: ${e.message}`);
    return 1;
  }
  err(`concord: could not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
}
