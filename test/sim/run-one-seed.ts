/** One seed as the command line runs it: options from the arguments, the run, the failure report. */
import { formatFailure, optionsFor, type CliArgs } from './cli.js';
import { runSeedAsync } from './run.js';
import type { SeedOutcome } from './seed-pool.js';

export async function runOneSeed(args: CliArgs, seed: number): Promise<SeedOutcome> {
  const options = optionsFor(args, seed);
  const result = await runSeedAsync(options);
  return {
    seed,
    events: result.events,
    failure: result.violation === undefined ? undefined : formatFailure(result, options),
  };
}
