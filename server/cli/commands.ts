/**
 * The commands of `concord`, one table: each with its usage and its runner. `concord <command>
 * --help` (and `concord help <command>`) print the usage and never run the command, so help never
 * connects, listens or creates anything.
 */
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

/** `concord serve` (serve.ts): the member runs in a worker thread sized for its quota. */
async function serve(args: string[]): Promise<number> {
  const { serve: run } = await import('./serve.js');
  return run(args);
}

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
