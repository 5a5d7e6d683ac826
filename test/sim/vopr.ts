/**
 * The simulator's command line (after TigerBeetle's VOPR):
 *
 *   npm run sim -- --seeds N [--nodes 3|5|7] [--seed S] [--bugs name[,name]] [--profile swarm|hostile|powerloss]
 *                   [--storage model|real] [--safety-ms MS] [--liveness-ms MS]
 *
 * Runs seeds S, S+1, …, S+N-1 (S defaults to 1; `--seed S` alone runs just S, replaying it exactly;
 * `--seed random` starts somewhere new, for exploration — failures print their seeds),
 * prints each failure (seed, violation, fault profile, the last events, a reproduction command),
 * then exactly one summary line `seeds=N violations=V events=E`. Exits 1 if any seed failed.
 * Without --nodes, each seed picks 3, 5 or 7 members from its own value. `--profile swarm` (default)
 * lets every seed draw its own fault mix; `--profile hostile` pins the bug-hunting mix (options.ts).
 * `--storage real` runs the real WAL/snapshot storage on the in-memory disk instead of the model.
 */
import { UsageError, formatFailure, optionsFor, parseArgs, type CliArgs } from './cli.js';
import { runSeed } from './run.js';

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
  let violations = 0;
  let events = 0;
  const failed: number[] = [];
  for (let k = 0; k < args.seeds; k++) {
    const seed = (args.first + k) >>> 0;
    const options = optionsFor(args, seed);
    const result = await runSeed(options);
    events += result.events;
    if (result.violation === undefined) continue;
    violations++;
    failed.push(seed);
    if (violations <= MAX_DETAILED_FAILURES) process.stdout.write(`${formatFailure(result, options)}\n\n`);
  }
  if (failed.length > 0) process.stdout.write(`failing seeds: ${failed.join(' ')}\n`);
  process.stdout.write(`seeds=${args.seeds} violations=${violations} events=${events}\n`);
  return violations > 0 ? 1 : 0;
}

// `npm run sim | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
process.exitCode = await main(process.argv.slice(2));
