/**
 * `npm run bench -- compaction [--keys 10000] [--revisions 100000,500000] [--value-bytes 256]
 *  [--batch 5000] [--hot 0.5]`
 *
 * The stalls compaction causes. For each history length: a store of `--keys` keys is written
 * until it holds that many revisions (random overwrites; with `--hot`, that share of the writes
 * goes to one key, whose key index then holds most of the history), then compacted to its current
 * revision. Reports the time the compact command takes in apply (the stall every member takes at
 * the same index) and, for the physical drop that follows on the member's ticks, the batches:
 * count, longest, median, and the cost per event, for a few batch bounds beside `--batch` (that
 * is how the default, COMPACTION_BATCH_EVENTS, was chosen; docs/performance.md).
 *
 * In-process and single-threaded: no Raft, no disk. Run node with --expose-gc for steadier numbers.
 */
import { StateMachine } from '../server/apply/index.js';
import { COMPACTION_BATCH_EVENTS } from '../server/mvcc/compaction.js';
import { percentile } from './stats.js';

interface Args {
  keys: number;
  revisions: number[];
  valueBytes: number;
  batch: number;
  hot: number;
}

function parse(args: string[]): Args {
  const out: Args = {
    keys: 10_000,
    revisions: [100_000, 500_000],
    valueBytes: 256,
    batch: COMPACTION_BATCH_EVENTS,
    hot: 0,
  };
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1] ?? '';
    if (args[i] === '--keys') out.keys = Number(v);
    else if (args[i] === '--revisions') out.revisions = v.split(',').map(Number);
    else if (args[i] === '--value-bytes') out.valueBytes = Number(v);
    else if (args[i] === '--batch') out.batch = Number(v);
    else if (args[i] === '--hot') out.hot = Number(v);
    else throw new Error(`bench compaction: unknown option ${args[i]}`);
  }
  if (
    !(out.keys > 0) ||
    out.revisions.some((r) => !(r > out.keys)) ||
    !(out.valueBytes >= 0) ||
    !(out.batch >= 1) ||
    !(out.hot >= 0 && out.hot < 1)
  )
    throw new Error('bench compaction: bad options (revisions must exceed keys)');
  return out;
}

const enc = new TextEncoder();
const keyOf = (i: number): Uint8Array => enc.encode(`bench/${String(i).padStart(8, '0')}`);

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

const ms = (from: bigint): number => Number(process.hrtime.bigint() - from) / 1e6;

/** A store with `keys` keys and `revisions` revisions of history, never compacted. */
function build(args: Args, revisions: number): StateMachine {
  const sm = new StateMachine({ mvcc: { quotaBytes: 64 * 1024 * 1024 * 1024 } });
  const value = new Uint8Array(args.valueBytes).fill(7);
  const keys = Array.from({ length: args.keys }, (_, i) => keyOf(i));
  let x = 12345;
  let index = 0;
  for (let i = 0; sm.store.currentRevision < revisions; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const hot = args.hot > 0 && x / 2 ** 32 < args.hot;
    const key = i < args.keys ? keys[i] : keys[hot ? 0 : x % args.keys];
    sm.apply(++index, { type: 'put', request: { key: key as Uint8Array, value } });
  }
  return sm;
}

/**
 * Lets a forced GC's concurrent sweeping finish: otherwise the first code that allocates in old
 * space afterwards (e.g. compiling a function) waits for it, a delay proportional to the heap
 * that belongs to the GC, not to what is measured.
 */
async function settle(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 300));
}

async function measure(args: Args, revisions: number, batch: number, report: boolean): Promise<void> {
  const sm = build(args, revisions);
  await settle();
  const target = sm.store.currentRevision;
  const t0 = process.hrtime.bigint();
  const r = sm.apply(target + 1, { type: 'compact', revision: target });
  const applyMs = ms(t0);
  if (r.status !== 'ok') throw new Error(`bench compaction: compact failed: ${JSON.stringify(r)}`);
  const batches: number[] = [];
  const t1 = process.hrtime.bigint();
  for (let more = sm.store.compactionPending; more;) {
    const t = process.hrtime.bigint();
    more = sm.store.dropCompactedBatch(batch);
    batches.push(ms(t));
  }
  const dropMs = ms(t1);
  const events = revisions - 1; // one event a write; revision 1 has none
  const line = [
    `batch ${String(batch).padStart(6)}:`,
    `${String(batches.length).padStart(5)} batches,`,
    `first ${(batches[0] ?? 0).toFixed(2)} ms (cold code),`,
    `longest of the rest ${Math.max(0, ...batches.slice(1)).toFixed(2)} ms,`,
    `median ${percentile(batches, 50).toFixed(2)} ms, p99 ${percentile(batches, 99).toFixed(2)} ms,`,
    `${((dropMs * 1000) / events).toFixed(2)} µs/event,`,
    `all ${dropMs.toFixed(0)} ms`,
  ].join(' ');
  if (report) console.log(`  compact command in apply (stall)      ${applyMs.toFixed(2).padStart(10)} ms`);
  console.log(`  physical drop, ${line}`);
}

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  console.log(
    `bench compaction: node ${process.version}, ${args.keys.toLocaleString('en-US')} keys, ` +
      `${args.valueBytes}-byte values${args.hot > 0 ? `, ${args.hot * 100}% of writes to one key` : ''}`,
  );
  for (const revisions of args.revisions) {
    console.log(`\n${revisions.toLocaleString('en-US')} revisions of history, compacted at once`);
    const bounds = [...new Set([args.batch, 1000, 5000, 20_000])].sort((a, b) => a - b);
    for (const [i, batch] of bounds.entries()) await measure(args, revisions, batch, i === 0);
  }
}
