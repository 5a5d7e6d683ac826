/** The worker side of seed-pool.ts: parses the same arguments as the parent, then runs the seeds it is sent. */
import { parentPort, workerData } from 'node:worker_threads';
import { parseArgs } from './cli.js';
import { runOneSeed } from './run-one-seed.js';

const port = parentPort;
if (port === null) throw new Error('seed-worker.ts runs only as a worker thread (see seed-pool.ts)');
const args = parseArgs((workerData as { argv: string[] }).argv);
port.on('message', (message: { seed: number }) => {
  void runOneSeed(args, message.seed).then((outcome) => port.postMessage(outcome));
});
