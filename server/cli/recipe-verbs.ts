/**
 * The runners of the recipe verbs (declared in recipe-verb-specs.ts), through the public recipes
 * (recipes/index.ts) over the SDK:
 *
 * - `lock NAME [-- COMMAND]`: etcdctl lock. With COMMAND: runs it holding the lock (fencing token
 *   in CONCORD_LOCK_TOKEN), SIGTERM to it if the lock may be lost, its exit status as ours. Without:
 *   prints the lock key and the token and holds the lock until SIGINT/SIGTERM.
 * - `elect NAME [PROPOSAL]`: etcdctl elect. Campaign and hold leadership until interrupted, then
 *   resign; or observe the leader changes.
 * - `semaphore list|set-limit|release`: the operator's view and levers of a semaphore record.
 *
 * Output in every format of the other verbs; `-w json` shapes are Concord's own (documented in
 * docs/cli.md), with a 0 or a false kept.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Client, ClientOptions } from '../../client/index.js';
import {
  acquireLock,
  Election,
  Semaphore,
  type LeaderInfo,
  type LockHandle,
  type SemaphoreState,
} from '../../recipes/index.js';
import type { Globals, Invocation, Runner } from './client-verbs.js';
import { ExitCode, UsageError } from './exit-codes.js';
import { jsonFieldLines } from './recipe-views.js';
import type { Json } from './render.js';

/** What the runners need of client-verbs.ts (passed in, so the modules do not import each other's values). */
export interface RecipeVerbHelpers {
  withClient<T>(g: Globals, run: (client: Client) => Promise<T>, extra?: Partial<ClientOptions>): Promise<T>;
  deadline(inv: Invocation): AbortSignal;
}

/**
 * A lock or a leadership is held for as long as the command runs: its client keeps the liveness
 * check (a frozen member is left for another) and the SDK's usual connection rounds, where the
 * short commands fail at the first unreachable round.
 */
const LONG_LIVED: Partial<ClientOptions> = { livenessIntervalMs: 5_000, connectRounds: 3 };

function ttlOf(inv: Invocation): number {
  const raw = String(inv.opts['ttl']);
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`--ttl: expected a positive number of seconds, got ${raw}`);
  return n;
}

/** One answer in the chosen format: `-w json` one line, `-w fields` one line per leaf, else `human`. */
function print(inv: Invocation, asJson: Json, human: () => readonly string[]): void {
  const f = inv.globals.format;
  if (f === 'json') inv.io.out(JSON.stringify(asJson));
  else if (f === 'fields') for (const l of jsonFieldLines(asJson)) inv.io.out(l);
  else for (const l of human()) inv.io.out(l);
}

/** Why a lock or leadership signal aborted, for the operator. */
function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  const cause = r instanceof Error && r.cause instanceof Error ? `: ${r.cause.message}` : '';
  return r instanceof Error ? `${r.message}${cause}` : String(r);
}

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

function lockJson(lock: LockHandle): Json {
  return { name: lock.name, key: lock.key, token: lock.token, lease: lock.session.leaseId };
}

export function recipeRunners(h: RecipeVerbHelpers): Readonly<Record<string, Runner>> {
  const lock: Runner = async (inv) => {
    const [name, ...command] = inv.args as [string, ...string[]];
    const ttlSec = ttlOf(inv);
    return h.withClient(
      inv.globals,
      async (client) => {
        let held: LockHandle;
        try {
          held = await acquireLock(client, name, {
            ttlSec,
            signal: inv.io.interrupt,
            owner: `concord lock (pid ${process.pid})`,
          });
        } catch (e) {
          // Interrupted while waiting in line: the waiter's key is gone, nothing was run.
          if (inv.io.interrupt.aborted) return ExitCode.Interrupted;
          throw e;
        }
        await using _release = held;
        // `return await`: the lock is released when this block ends, so only after the command.
        if (command.length === 0) return await holdLock(inv, held);
        // The answer goes to stderr: stdout is the command's.
        const f = inv.globals.format;
        if (f === 'json') inv.io.err(JSON.stringify(lockJson(held)));
        else if (f === 'fields') for (const l of jsonFieldLines(lockJson(held))) inv.io.err(l);
        else inv.io.err(`concord lock: holding ${name} (token ${held.token})`);
        return await runHolding(inv, held, command);
      },
      LONG_LIVED,
    );
  };

  const elect: Runner = async (inv) => {
    const [name, proposal] = inv.args as [string, string | undefined];
    const ttlSec = ttlOf(inv);
    const election = (client: Client): Election => new Election(client, name);
    if (proposal === undefined || inv.opts['listen'] === true)
      return h.withClient(inv.globals, (c) => observe(inv, election(c)), LONG_LIVED);
    return h.withClient(
      inv.globals,
      async (client) => {
        let leadership;
        try {
          leadership = await election(client).campaign(proposal, { ttlSec, signal: inv.io.interrupt });
        } catch (e) {
          if (inv.io.interrupt.aborted) return ExitCode.Interrupted;
          throw e;
        }
        await using held = leadership;
        const asJson: Json = {
          name,
          key: held.key,
          value: held.value,
          term: held.revision,
          lease: held.session.leaseId,
        };
        print(inv, asJson, () => [`elected: ${name} = ${held.value} (term ${held.revision})`]);
        await Promise.race([aborted(held.signal), aborted(inv.io.interrupt)]);
        if (!inv.io.interrupt.aborted) {
          inv.io.err(`concord elect: lost leadership of ${name} (${reasonOf(held.signal)})`);
          return ExitCode.Failure;
        }
        if (inv.globals.format === 'simple' || inv.globals.format === 'table')
          inv.io.out(`resigning ${name}`);
        return ExitCode.Ok;
      },
      LONG_LIVED,
    );
  };

  const semaphoreState = (name: string, s: SemaphoreState): Json => ({
    name,
    limit: s.limit,
    holders: [...s.holders],
    revision: s.revision,
  });
  const stateLines = (s: SemaphoreState): string[] => [
    `limit ${s.limit}, ${s.holders.length} holder(s)`,
    ...s.holders,
  ];

  const semaphoreList: Runner = async (inv) => {
    const [name] = inv.args as [string];
    const s = await h.withClient(inv.globals, (c) =>
      new Semaphore(c, name).state({ signal: h.deadline(inv) }),
    );
    print(inv, semaphoreState(name, s), () => stateLines(s));
    return ExitCode.Ok;
  };

  const semaphoreSetLimit: Runner = async (inv) => {
    const [name, raw] = inv.args as [string, string];
    const limit = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(limit))
      throw new UsageError(`set-limit: LIMIT must be a non-negative integer, got ${raw}`);
    const s = await h.withClient(inv.globals, (c) =>
      new Semaphore(c, name).setLimit(limit, { signal: h.deadline(inv) }),
    );
    print(inv, semaphoreState(name, s), () => stateLines(s));
    return ExitCode.Ok;
  };

  const semaphoreRelease: Runner = async (inv) => {
    const [name, holder] = inv.args as [string, string];
    const released = await h.withClient(inv.globals, (c) =>
      new Semaphore(c, name).release(holder, { signal: h.deadline(inv) }),
    );
    print(inv, { name, holder, released }, () => [
      released ? `released ${holder}` : `${holder} held no slot`,
    ]);
    return released ? ExitCode.Ok : ExitCode.Failure;
  };

  return {
    lock,
    elect,
    'semaphore list': semaphoreList,
    'semaphore set-limit': semaphoreSetLimit,
    'semaphore release': semaphoreRelease,
  };
}

/** `lock NAME` without a command: the key and the token, then held until interrupted or lost. */
async function holdLock(inv: Invocation, held: LockHandle): Promise<number> {
  // etcdctl prints the key alone; the token is what a script passes to the writes it fences.
  print(inv, lockJson(held), () => [held.key, `token ${held.token}`]);
  await Promise.race([aborted(held.signal), aborted(inv.io.interrupt)]);
  if (inv.io.interrupt.aborted) return ExitCode.Interrupted;
  inv.io.err(`concord lock: lock ${held.name} may be lost (${reasonOf(held.signal)})`);
  return ExitCode.Failure;
}

/** Runs the command holding the lock; SIGTERM to it if the lock may be lost or we are interrupted. */
async function runHolding(inv: Invocation, held: LockHandle, command: readonly string[]): Promise<number> {
  const [cmd, ...args] = command as [string, ...string[]];
  const child = spawn(cmd, args, {
    stdio: 'inherit',
    env: { ...process.env, CONCORD_LOCK_TOKEN: String(held.token), CONCORD_LOCK_NAME: held.name },
  });
  let lost = false;
  const stopChild = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  const onLost = (): void => {
    lost = true;
    inv.io.err(
      `concord lock: lock ${held.name} may be lost (${reasonOf(held.signal)}); stopping the command`,
    );
    stopChild();
  };
  held.signal.addEventListener('abort', onLost, { once: true });
  inv.io.interrupt.addEventListener('abort', stopChild, { once: true });
  try {
    const code = await new Promise<number>((resolve) => {
      child.once('error', (e) => {
        inv.io.err(`concord lock: cannot run ${cmd}: ${e.message}`);
        resolve(127);
      });
      child.once('exit', (c, s) => resolve(c ?? (s === null ? 1 : 128 + signalNumber(s))));
    });
    return lost ? ExitCode.Failure : code;
  } finally {
    held.signal.removeEventListener('abort', onLost);
    inv.io.interrupt.removeEventListener('abort', stopChild);
  }
}

/** A signal's number, for the shell's 128+N exit status of a command killed by it. */
function signalNumber(s: NodeJS.Signals): number {
  return (constants.signals as Readonly<Record<string, number>>)[s] ?? 0;
}

/** `elect NAME` without a proposal: the leader now, then each change, until interrupted. */
async function observe(inv: Invocation, election: Election): Promise<number> {
  const asJson = (l: LeaderInfo | undefined): Json =>
    l === undefined
      ? { name: election.name, leader: null }
      : {
          name: election.name,
          leader: { key: l.key, value: l.value, term: l.revision, lease: l.leaseId },
        };
  try {
    for await (const leader of election.observe({ signal: inv.io.interrupt }))
      print(inv, asJson(leader), () => [
        leader === undefined ? 'no leader' : `${leader.value} (term ${leader.revision})`,
      ]);
  } catch (e) {
    if (!inv.io.interrupt.aborted) throw e;
  }
  // Observing ends only when interrupted: that is its normal end (exit 0, as before commander).
  return ExitCode.Ok;
}
