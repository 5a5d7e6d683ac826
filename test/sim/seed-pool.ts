/**
 * Runs seeds on worker threads, one seed at a time per worker, handing the next seed to whichever
 * worker finishes first (seeds differ tenfold in cost, so a fixed split would leave a core idle).
 * Each seed is a pure function of its options, so the outcomes do not depend on how many workers
 * ran them or in which order; `runSeedPool` returns them sorted by seed.
 *
 * The worker module (seed-worker.ts) receives `{ argv }` as workerData, then one `{ seed }` message
 * per seed, and answers each with a `SeedOutcome`.
 */
import { Worker } from 'node:worker_threads';

export interface SeedOutcome {
  readonly seed: number;
  readonly events: number;
  /** The formatted failure report, when the seed found a violation. */
  readonly failure: string | undefined;
}

export interface SeedPoolOptions {
  readonly seeds: readonly number[];
  readonly workers: number;
  /** The command-line arguments every worker parses for itself (so it builds the same options). */
  readonly argv: readonly string[];
  /** Called as each seed finishes (in completion order), e.g. for progress. */
  readonly onOutcome?: (outcome: SeedOutcome) => void;
}

const WORKER_URL = new URL('./seed-worker.js', import.meta.url);

export async function runSeedPool(options: SeedPoolOptions): Promise<SeedOutcome[]> {
  const queue = [...options.seeds];
  const outcomes: SeedOutcome[] = [];
  const count = Math.max(1, Math.min(options.workers, queue.length));
  const runWorker = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(WORKER_URL, { workerData: { argv: options.argv } });
      let running: number | undefined;
      const next = (): void => {
        running = queue.shift();
        if (running === undefined) void worker.terminate().then(() => resolve(), reject);
        else worker.postMessage({ seed: running });
      };
      worker.on('message', (outcome: SeedOutcome) => {
        outcomes.push(outcome);
        options.onOutcome?.(outcome);
        next();
      });
      worker.on('error', (err) => reject(new Error(`sim worker failed on seed ${running}: ${err.message}`)));
      worker.on('exit', (code) => {
        if (running !== undefined) reject(new Error(`sim worker exited (${code}) during seed ${running}`));
      });
      next();
    });
  await Promise.all(Array.from({ length: count }, runWorker));
  return outcomes.sort((a, b) => a.seed - b.seed);
}
