/**
 * Recipe verbs of the `concord` command (wired into main.ts by the lead):
 *
 *   concord lock NAME [--ttl=SEC] -- COMMAND [ARGS…]   run COMMAND while holding lock NAME
 *   concord elect NAME VALUE [--ttl=SEC]               campaign, print leadership, resign on Ctrl-C
 *   concord elect NAME                                 observe: print every leader change
 *   concord semaphore list NAME
 *   concord semaphore set-limit NAME N
 *   concord semaphore release NAME HOLDER              the operator's unlock
 *
 * Every verb takes --endpoints=URL[,URL…] (default $CONCORD_ENDPOINTS, else http://127.0.0.1:2379).
 * `lock` exports CONCORD_LOCK_TOKEN (the fencing token) to the command, kills the command with
 * SIGTERM if the lock may be lost, and exits with the command's exit code (1 if the lock was lost).
 */
import { spawn } from 'node:child_process';
import { Client } from '../../client/index.js';
import { acquireLock, Election, Semaphore } from '../../recipes/index.js';
import { ELECT_USAGE, LOCK_USAGE, SEMAPHORE_USAGE, wantsHelp } from './usage.js';

export interface RecipeIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  /** Aborts on Ctrl-C / SIGTERM (default: wired to the process's signals). */
  readonly interrupt?: AbortSignal;
}

const defaultIo: RecipeIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const VERB_USAGE: Readonly<Record<string, string>> = {
  lock: LOCK_USAGE,
  elect: ELECT_USAGE,
  semaphore: SEMAPHORE_USAGE,
};

export const RECIPE_USAGE = [LOCK_USAGE, ELECT_USAGE, SEMAPHORE_USAGE].join('\n\n');

interface Parsed {
  readonly positional: string[];
  readonly command: string[];
  readonly endpoints: string[];
  readonly ttlSec: number;
}

function parse(args: readonly string[]): Parsed {
  const dash = args.indexOf('--');
  const own = dash === -1 ? [...args] : args.slice(0, dash);
  const command = dash === -1 ? [] : args.slice(dash + 1);
  let endpoints = (process.env['CONCORD_ENDPOINTS'] ?? 'http://127.0.0.1:2379').split(',');
  let ttlSec = 10;
  const positional: string[] = [];
  for (const a of own) {
    if (a.startsWith('--endpoints='))
      endpoints = a
        .slice('--endpoints='.length)
        .split(',')
        .filter((e) => e !== '');
    else if (a.startsWith('--ttl=')) ttlSec = Number(a.slice('--ttl='.length));
    else if (a.startsWith('--')) throw new UsageError(`unknown flag ${a}`);
    else positional.push(a);
  }
  if (!Number.isSafeInteger(ttlSec) || ttlSec < 1) throw new UsageError('--ttl must be a positive integer');
  if (endpoints.length === 0) throw new UsageError('--endpoints is empty');
  return { positional, command, endpoints, ttlSec };
}

class UsageError extends Error {}

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

/** Runs one recipe verb; resolves with the exit code. */
export async function runRecipeCommand(
  verb: string,
  args: readonly string[],
  io: RecipeIo = defaultIo,
): Promise<number> {
  const usage = VERB_USAGE[verb] ?? RECIPE_USAGE;
  // Help is answered before a client exists: it never connects.
  if (wantsHelp(args)) {
    io.out(usage);
    return 0;
  }
  let parsed: Parsed;
  try {
    parsed = parse(args);
  } catch (e) {
    io.err(`concord ${verb}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const own = io.interrupt === undefined ? processInterrupt() : undefined;
  const interrupt = io.interrupt ?? own!.signal;
  await using client = new Client({ endpoints: parsed.endpoints, requestTimeoutMs: 5000 });
  try {
    switch (verb) {
      case 'lock':
        return await lockVerb(client, parsed, io, interrupt);
      case 'elect':
        return await electVerb(client, parsed, io, interrupt);
      case 'semaphore':
        return await semaphoreVerb(client, parsed, io);
      default:
        io.err(`concord: unknown recipe verb '${verb}'\n${RECIPE_USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`concord ${verb}: ${e.message}\n${usage}`);
      return 2;
    }
    if (interrupt.aborted) return 130;
    io.err(`concord ${verb}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    own?.dispose();
  }
}

async function lockVerb(client: Client, p: Parsed, io: RecipeIo, interrupt: AbortSignal): Promise<number> {
  const [name] = p.positional;
  const [cmd, ...cmdArgs] = p.command;
  if (name === undefined || cmd === undefined) throw new UsageError('need NAME and -- COMMAND');
  await using lock = await acquireLock(client, name, {
    ttlSec: p.ttlSec,
    signal: interrupt,
    owner: `pid ${process.pid}`,
  });
  io.err(`concord lock: holding ${name} (token ${lock.token})`);
  const child = spawn(cmd, cmdArgs, {
    stdio: 'inherit',
    env: { ...process.env, CONCORD_LOCK_TOKEN: String(lock.token), CONCORD_LOCK_NAME: name },
  });
  let lost = false;
  const stopChild = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  const onLost = (): void => {
    lost = true;
    io.err(`concord lock: lock ${name} may be lost; stopping the command`);
    stopChild();
  };
  lock.signal.addEventListener('abort', onLost, { once: true });
  interrupt.addEventListener('abort', stopChild, { once: true });
  const code = await new Promise<number>((resolve) => {
    child.once('error', (e) => {
      io.err(`concord lock: cannot run ${cmd}: ${e.message}`);
      resolve(127);
    });
    child.once('exit', (c, s) => resolve(c ?? (s === null ? 1 : 128)));
  });
  lock.signal.removeEventListener('abort', onLost);
  interrupt.removeEventListener('abort', stopChild);
  return lost ? 1 : code;
}

async function electVerb(client: Client, p: Parsed, io: RecipeIo, interrupt: AbortSignal): Promise<number> {
  const [name, value] = p.positional;
  if (name === undefined) throw new UsageError('need NAME');
  const election = new Election(client, name);
  if (value === undefined) {
    for await (const leader of election.observe({ signal: interrupt }))
      io.out(leader === undefined ? 'no leader' : `${leader.value} (term ${leader.revision})`);
    return 0;
  }
  await using leadership = await election.campaign(value, { ttlSec: p.ttlSec, signal: interrupt });
  io.out(`elected: ${name} = ${value} (term ${leadership.revision})`);
  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    leadership.signal.addEventListener('abort', done, { once: true });
    interrupt.addEventListener('abort', done, { once: true });
  });
  if (!interrupt.aborted) {
    io.out(`lost leadership of ${name}`);
    return 1;
  }
  io.out(`resigning ${name}`);
  return 0;
}

async function semaphoreVerb(client: Client, p: Parsed, io: RecipeIo): Promise<number> {
  const [sub, name, arg] = p.positional;
  if (sub === undefined || name === undefined) throw new UsageError('need a subcommand and NAME');
  const sem = new Semaphore(client, name);
  switch (sub) {
    case 'list': {
      const s = await sem.state();
      io.out(`limit ${s.limit}, ${s.holders.length} holder(s)`);
      for (const h of s.holders) io.out(h);
      return 0;
    }
    case 'set-limit': {
      const n = Number(arg);
      if (arg === undefined || !Number.isSafeInteger(n) || n < 0)
        throw new UsageError('set-limit needs N ≥ 0');
      const s = await sem.setLimit(n);
      io.out(`limit ${s.limit}, ${s.holders.length} holder(s)`);
      return 0;
    }
    case 'release': {
      if (arg === undefined) throw new UsageError('release needs HOLDER');
      const held = await sem.release(arg);
      io.out(held ? `released ${arg}` : `${arg} held no slot`);
      return held ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown semaphore subcommand ${sub}`);
  }
}
