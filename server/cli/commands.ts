/**
 * The commands of `concord`, one table: each with its usage and its runner. `concord <command>
 * --help` (and `concord help <command>`) print the usage and never run the command, so help never
 * connects, listens or creates anything.
 */
import { InvalidConfigError, loadConfig } from './config.js';
import { DataDirLockedError } from '../platform/dir-lock.js';
import { ListenError } from '../member/listen-error.js';
import {
  ELECT_USAGE,
  HELP_USAGE,
  LOCK_USAGE,
  SEMAPHORE_USAGE,
  SERVE_USAGE,
  topUsage,
  VERSION_USAGE,
  wantsHelp,
} from './usage.js';

export interface Command {
  readonly name: string;
  readonly usage: string;
  /** Runs the command; resolves with the process's exit code. */
  run(args: string[]): Promise<number>;
}

const out = (text: string): void => void process.stdout.write(`${text}\n`);
const err = (text: string): void => void process.stderr.write(`${text}\n`);

async function recipe(verb: string, args: string[]): Promise<number> {
  const { runRecipeCommand } = await import('./recipes-commands.js');
  return runRecipeCommand(verb, args);
}

export const COMMANDS: readonly Command[] = [
  { name: 'serve', usage: SERVE_USAGE, run: serve },
  { name: 'lock', usage: LOCK_USAGE, run: (args) => recipe('lock', args) },
  { name: 'elect', usage: ELECT_USAGE, run: (args) => recipe('elect', args) },
  { name: 'semaphore', usage: SEMAPHORE_USAGE, run: (args) => recipe('semaphore', args) },
  {
    name: 'version',
    usage: VERSION_USAGE,
    run: async () => {
      const { packageVersion } = await import('../api/index.js');
      out(`concord ${packageVersion()}`);
      return 0;
    },
  },
  { name: 'help', usage: HELP_USAGE, run: async (args) => help(args) },
];

function find(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function help(args: readonly string[]): number {
  const [name] = args;
  if (name === undefined) {
    out(topUsage());
    return 0;
  }
  const command = find(name);
  if (command === undefined) {
    err(`concord: unknown command '${name}'\n${topUsage()}`);
    return 2;
  }
  out(command.usage);
  return 0;
}

/** Runs `concord` with these arguments; resolves with the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) return serve([]);
  if (first === '--help' || first === '-h') return help([]);
  if (first === '--version') return find('version')!.run([]);
  // `concord --name x …` is `concord serve --name x …`.
  if (first.startsWith('-')) return runCommand(find('serve')!, [...argv]);
  const command = find(first);
  if (command === undefined) {
    err(`concord: unknown command '${first}'\n${topUsage()}`);
    return 2;
  }
  return runCommand(command, rest);
}

function runCommand(command: Command, args: string[]): Promise<number> {
  if (wantsHelp(args)) {
    out(command.usage);
    return Promise.resolve(0);
  }
  return command.run(args);
}

/** `concord serve`: exit codes in SERVE_EXIT_STATUS (usage.ts) and docs/operations.md. */
async function serve(argv: string[]): Promise<number> {
  let member;
  try {
    const config = loadConfig(argv, process.env);
    // The quota must fit the heap, whose limit is fixed at process start (docs/performance.md).
    const { heapLimitWarning } = await import('../mvcc/index.js');
    const { getHeapStatistics } = await import('node:v8');
    const heapWarning = heapLimitWarning(config.quotaBackendBytes, getHeapStatistics().heap_size_limit);
    // Only for a quota the operator chose: the default (etcd's 2 GiB) does not fit Node's default
    // heap either, which issue 14 settles in the member itself rather than in every newcomer's
    // first start.
    const { SERVE_FLAGS } = await import('./flags.js');
    const defaultQuota = Number(SERVE_FLAGS.find((f) => f.name === 'quota-backend-bytes')?.default);
    if (heapWarning !== undefined && config.quotaBackendBytes !== defaultQuota)
      err(`concord: warning: ${heapWarning}`);
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
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const failure = await member.closed();
  return failure === undefined ? 0 : 1;
}

/** An operator's mistake gets one line naming what to fix; anything else keeps its stack. */
function reportStartFailure(e: unknown): number {
  if (e instanceof InvalidConfigError) {
    err(`concord: ${e.message}`);
    return 2;
  }
  if (e instanceof ListenError || e instanceof DataDirLockedError) {
    err(`concord: ${e.message}`);
    return 1;
  }
  err(`concord: could not start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return 1;
}
