/**
 * The worker thread `concord serve` runs its member in (serve.ts): starts the member, stops it
 * gracefully on the first signal the main thread forwards and at once on the second, and ends
 * with the process's exit code (`process.exit` in a worker ends the worker with that code, after
 * its 'exit' listeners, such as the data directory lock's, ran).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { reportStartFailure, type FromMember, type MemberWorkerData, type ToMember } from './serve.js';

async function run(port: NonNullable<typeof parentPort>, data: MemberWorkerData): Promise<number> {
  const { config } = data;
  let member;
  try {
    const { startMember } = await import('../member/start-member.js');
    member = await startMember(config);
  } catch (e) {
    return reportStartFailure(e);
  }
  process.stderr.write(`concord: member ${member.name} serving clients on ${member.clientUrls.join(', ')}\n`);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`concord: ${signal} again: exiting at once\n`);
      process.exit(130);
    }
    process.stderr.write(`concord: ${signal}: stopping gracefully (again to force)\n`);
    member.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`concord: stop failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  port.on('message', (message: ToMember) => {
    if (message.type === 'signal') onSignal(message.signal);
  });
  port.postMessage({ type: 'serving' } satisfies FromMember);
  const failure = await member.closed();
  return failure === undefined ? 0 : 1;
}

if (parentPort === null) throw new Error('serve-worker.js runs in the worker thread of concord serve');
run(parentPort, workerData as MemberWorkerData).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`concord: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
