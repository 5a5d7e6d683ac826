/**
 * The simulator's command line (after TigerBeetle's VOPR):
 *
 *   npm run sim -- --seeds N [--nodes 3|5|7] [--seed S] [--bugs name[,name]] [--profile swarm|hostile|powerloss]
 *                   [--storage model|real] [--safety-ms MS] [--liveness-ms MS] [--workers N]
 *                   [--clients on|off] [--auth on|off|race]
 *
 * Runs seeds S, S+1, …, S+N-1 (S defaults to 1; `--seed S` alone runs just S, replaying it exactly;
 * `--seed random` starts somewhere new, for exploration — failures print their seeds),
 * prints each failure (seed, violation, fault profile, the last events, a reproduction command),
 * then exactly one summary line `seeds=N violations=V events=E`. Exits 1 if any seed failed.
 * Without --nodes, each seed picks 3, 5 or 7 members from its own value. `--profile swarm` (default)
 * lets every seed draw its own fault mix; `--profile hostile` pins the bug-hunting mix (options.ts).
 * `--storage real` runs the real WAL/snapshot storage on the in-memory disk instead of the model.
 * `--workers N` runs seeds on N worker threads (default: one per core); the output is the same.
 */
import { UsageError, parseArgs, type CliArgs } from './cli.js';
import { runOneSeed } from './run-one-seed.js';
import { runSeedPool, type SeedOutcome } from './seed-pool.js';

const MAX_DETAILED_FAILURES = 3;

async function main(argv: readonly string[]): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const seeds = Array.from({ length: args.seeds }, (_, k) => (args.first + k) >>> 0);
  const outcomes =
    args.workers > 1
      ? await runSeedPool({ seeds, workers: args.workers, argv })
      : await runInProcess(args, seeds);
  let events = 0;
  const failed: SeedOutcome[] = [];
  for (const o of outcomes) {
    events += o.events;
    if (o.failure !== undefined) failed.push(o);
  }
  for (const o of failed.slice(0, MAX_DETAILED_FAILURES)) process.stdout.write(`${o.failure}\n\n`);
  if (failed.length > 0) process.stdout.write(`failing seeds: ${failed.map((o) => o.seed).join(' ')}\n`);
  process.stdout.write(`seeds=${args.seeds} violations=${failed.length} events=${events}\n`);
  return failed.length > 0 ? 1 : 0;
}

async function runInProcess(args: CliArgs, seeds: readonly number[]): Promise<SeedOutcome[]> {
  const outcomes: SeedOutcome[] = [];
  for (const seed of seeds) outcomes.push(await runOneSeed(args, seed));
  return outcomes;
}

// `npm run sim | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
process.exitCode = await main(process.argv.slice(2));
