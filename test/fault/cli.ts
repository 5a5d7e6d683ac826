/**
 * `npm run fault -- --time 300 --nemesis all`: a long fault run on real processes with every
 * workload (register, lock, semaphore, queue; `--workloads` picks some). Prints one line
 * (operations, outcomes, faults, linearizable, lock/semaphore/queue violations, queue items); on a
 * violation saves the histories, the fault log and the members' logs under --out and exits 1.
 *
 * `npm run fault -- --check fault-results/<file>.json` re-runs every checker on a saved run and
 * prints what failed (for the register: the operations of the key that could not be linearized).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeViolation } from '../check/lock-safety.js';
import { Verdict } from '../check/linearizability.js';
import { describeQueueViolation } from '../check/queue-safety.js';
import { parseNemesis } from './nemesis.js';
import {
  FAULT_RUN_DEFAULTS,
  parseWorkloads,
  recheck,
  reportPassed,
  runFault,
  summaryLine,
  type SavedRun,
} from './run.js';

const USAGE = `usage: npm run fault -- [--time SEC] [--nemesis all|none|kill|pause|partition|<kind>,...]
       [--workloads all|register,lock,semaphore,queue] [--members 3|5] [--workers N] [--keys N]
       [--locks N] [--semaphore-workers N] [--semaphore-limit N] [--producers N] [--consumers N]
       [--seed N] [--out DIR] [--verbose] [--client sdk|http] [--save]
       [--serializable-reads]  (negative control: allows stale reads; expect a violation)
       npm run fault -- --check SAVED.json`;

function clientKind(v: string): 'sdk' | 'http' {
  if (v === 'sdk' || v === 'http') return v;
  throw new Error(`--client must be sdk or http\n${USAGE}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      time: { type: 'string', default: String(FAULT_RUN_DEFAULTS.timeSec) },
      nemesis: { type: 'string', default: 'all' },
      members: { type: 'string', default: String(FAULT_RUN_DEFAULTS.members) },
      workers: { type: 'string', default: String(FAULT_RUN_DEFAULTS.workers) },
      keys: { type: 'string', default: String(FAULT_RUN_DEFAULTS.keys) },
      seed: { type: 'string' },
      out: { type: 'string', default: FAULT_RUN_DEFAULTS.outDir },
      check: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'serializable-reads': { type: 'boolean', default: false },
      client: { type: 'string', default: 'sdk' },
      workloads: { type: 'string', default: 'all' },
      locks: { type: 'string', default: '3' },
      'semaphore-workers': { type: 'string', default: '4' },
      'semaphore-limit': { type: 'string', default: '2' },
      producers: { type: 'string', default: '2' },
      consumers: { type: 'string', default: '3' },
      save: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.check !== undefined) {
    const saved = JSON.parse(readFileSync(values.check, 'utf8')) as SavedRun;
    const r = recheck(saved);
    const lin = r.linearizability;
    console.log(
      `operations=${saved.history.length} faults=${saved.faults.length} linearizable=${lin.verdict} ` +
        `lock-violations=${saved.locks === undefined ? 'n/a' : r.lock.length} ` +
        `semaphore-violations=${saved.semaphore === undefined ? 'n/a' : r.semaphore.length} ` +
        `queue-violations=${saved.queue === undefined ? 'n/a' : r.queue.length}`,
    );
    if (lin.failed?.detail !== undefined) console.log(`key ${lin.failed.key}:\n${lin.failed.detail}`);
    for (const v of [...r.lock, ...r.semaphore]) console.log(describeViolation(v));
    for (const v of r.queue) console.log(describeQueueViolation(v));
    const ok =
      lin.verdict === Verdict.Linearizable && r.lock.length + r.semaphore.length + r.queue.length === 0;
    return ok ? 0 : 1;
  }
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}\n${USAGE}`);
    return n;
  };
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : int('seed', values.seed, 0);
  const report = await runFault({
    timeSec: int('time', values.time, 1),
    kinds: parseNemesis(values.nemesis),
    members: int('members', values.members, 1),
    workers: int('workers', values.workers, 1),
    keys: int('keys', values.keys, 1),
    seed,
    electionTimeoutMs: FAULT_RUN_DEFAULTS.electionTimeoutMs,
    outDir: values.out,
    serializableReads: values['serializable-reads'],
    client: clientKind(values.client),
    workloads: parseWorkloads(values.workloads),
    lockWorkers: int('locks', values.locks, 0),
    semaphoreWorkers: int('semaphore-workers', values['semaphore-workers'], 0),
    semaphoreLimit: int('semaphore-limit', values['semaphore-limit'], 1),
    queueProducers: int('producers', values.producers, 0),
    queueConsumers: int('consumers', values.consumers, 0),
    saveAlways: values.save,
    ...(values.verbose ? { log: (line: string) => console.error(line) } : {}),
  });
  console.log(summaryLine(report));
  if (values.verbose)
    console.error(
      JSON.stringify({
        faultsByKind: report.faultsByKind,
        errors: report.errors,
        checkMs: Math.round(report.checkMs),
        maxOkGapMs: Math.round(report.maxOkGapMs),
        finalKeysRead: `${report.finalKeysRead}/${report.keys}`,
        lockHolds: report.lockHolds,
        staleWritesRejected: report.staleWritesRejected,
        semaphoreHolds: report.semaphoreHolds,
        semaphoreLostHolds: report.semaphoreLostHolds,
        semaphoreEvictions: report.semaphoreEvictions,
        queue: report.queue,
        queueWorkload: report.queueWorkload,
      }),
    );
  if (report.detail !== undefined) console.error(report.detail);
  return reportPassed(report) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.stack : String(err));
    process.exit(2);
  },
);
