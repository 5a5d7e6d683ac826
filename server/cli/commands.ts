/**
 * The commands of `concord`, one table: each with its usage and its runner. `concord <command>
 * --help` (and `concord help <command>`) print the usage and never run the command, so help never
 * connects, listens or creates anything.
 */
import { CLIENT_VERBS, type ClientVerb } from './verb-specs.js';
import { clientVerbUsage, HELP_USAGE, SERVE_USAGE, topUsage, VERSION_USAGE, wantsHelp } from './usage.js';

export interface Command {
  readonly name: string;
  readonly usage: string;
  /** The usage for these arguments when it is narrower than `usage` (`lease grant --help`). */
  usageFor?(args: readonly string[]): string;
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

/** A client verb (client-verbs.ts, the recipe verbs included): parsed by commander, run through the SDK. */
function clientVerb(name: ClientVerb): Command {
  return {
    name,
    usage: clientVerbUsage(name),
    usageFor: (args) =>
      clientVerbUsage(
        name,
        args.find((a) => !a.startsWith('-')),
      ),
    run: async (args) => {
      const { runClientVerb } = await import('./client-verbs.js');
      const interrupt = processInterrupt();
      try {
        return await runClientVerb(name, args, { out, err, stdin: readStdin, interrupt: interrupt.signal });
      } finally {
        interrupt.dispose();
      }
    },
  };
}

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Aborts on the first SIGINT/SIGTERM, so a watch or keep-alive ends cleanly. */
function processInterrupt(): { signal: AbortSignal; dispose: () => void } {
  const c = new AbortController();
  const on = (s: NodeJS.Signals): void => c.abort(new Error(`interrupted by ${s}`));
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return {
    signal: c.signal,
    dispose: () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

export const COMMANDS: readonly Command[] = [
  { name: 'serve', usage: SERVE_USAGE, run: serve },
  ...CLIENT_VERBS.map(clientVerb),
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
    out(command.usageFor?.(args) ?? command.usage);
    return Promise.resolve(0);
  }
  return command.run(args);
}
