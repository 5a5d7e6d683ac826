/**
 * The lock workload: a few workers, each with its own SDK client, take one lock through the
 * recipes (`acquireLock`), write to a guarded resource with their fencing token a few times, and
 * release it; the log of holds and of the writes the resource accepted goes to the lock-safety
 * checker.
 *
 * The guarded resource lives in this process (it stands for an external store): it accepts a
 * write only if its token is at least the highest it has accepted, as a fencing-aware store
 * must. A hold ends `lost` when the handle's signal fired (at the time it fired), `released`
 * otherwise (at the time release was invoked, a conservative end).
 */
import { Client } from '../../client/index.js';
import type { GuardedWrite, LockHold } from '../check/lock-safety.js';

/**
 * The part of `recipes/index.ts` this workload uses. The recipes are loaded at run time because
 * they were written on another branch in parallel with this suite: where `dist/recipes/` is not
 * built, the lock workload is reported as unavailable instead of failing the build.
 */
export interface LockRecipes {
  acquireLock(
    kv: Client,
    name: string,
    options: { readonly ttlSec?: number; readonly timeoutMs?: number; readonly owner?: string },
  ): Promise<{ readonly token: number; readonly signal: AbortSignal; release(): Promise<void> }>;
}

export async function loadLockRecipes(): Promise<LockRecipes | undefined> {
  const specifier = '../../recipes/index.js';
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw err;
  }
  const acquire = (mod as { acquireLock?: unknown }).acquireLock;
  return typeof acquire === 'function' ? (mod as LockRecipes) : undefined;
}

export const LOCK_NAME = 'fault-lock';

export class GuardedResource {
  readonly accepted: GuardedWrite[] = [];
  rejected = 0;
  private highest = -Infinity;

  write(holder: string, token: number): boolean {
    if (token < this.highest) {
      this.rejected++;
      return false;
    }
    this.highest = token;
    this.accepted.push({ lock: LOCK_NAME, holder, token });
    return true;
  }
}

export interface LockWorkloadOptions {
  readonly workers: number;
  readonly endpoints: readonly string[];
  readonly ttlSec: number;
  readonly requestTimeoutMs: number;
  /** Writes per hold, spaced by `workMs`. */
  readonly writesPerHold: number;
  readonly workMs: number;
}

export const LOCK_WORKLOAD_DEFAULTS = { workers: 3, ttlSec: 3, writesPerHold: 3, workMs: 20 } as const;

export class LockWorkload {
  readonly holds: LockHold[] = [];
  readonly resource = new GuardedResource();
  acquireErrors = 0;
  private stopping = false;
  private running: Promise<void>[] = [];
  private readonly clients: Client[] = [];

  constructor(
    private readonly recipes: LockRecipes,
    private readonly options: LockWorkloadOptions,
  ) {}

  start(): void {
    this.running = Array.from({ length: this.options.workers }, (_, w) => this.worker(w));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.running);
    for (const c of this.clients) await c.close();
  }

  private async worker(w: number): Promise<void> {
    const holder = `locker-${w}`;
    const client = new Client({
      endpoints: this.options.endpoints,
      requestTimeoutMs: this.options.requestTimeoutMs,
    });
    this.clients.push(client);
    while (!this.stopping) {
      let handle;
      try {
        handle = await this.recipes.acquireLock(client, LOCK_NAME, {
          ttlSec: this.options.ttlSec,
          timeoutMs: 10_000,
          owner: holder,
        });
      } catch {
        this.acquireErrors++;
        // Pacing only (a failed acquire under faults should not spin): the loop ends on stop().
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const acquiredMs = performance.now();
      let lostMs: number | undefined;
      const onLost = (): void => {
        lostMs = performance.now();
      };
      handle.signal.addEventListener('abort', onLost, { once: true });
      try {
        for (let i = 0; i < this.options.writesPerHold && !handle.signal.aborted; i++) {
          this.resource.write(holder, handle.token);
          await new Promise((resolve) => setTimeout(resolve, this.options.workMs));
        }
      } finally {
        handle.signal.removeEventListener('abort', onLost);
        const releaseMs = performance.now();
        const ended = lostMs !== undefined ? 'lost' : 'released';
        this.holds.push({
          lock: LOCK_NAME,
          holder,
          acquiredMs,
          endMs: lostMs ?? releaseMs,
          ended,
          token: handle.token,
        });
        await handle.release().catch(() => undefined);
      }
    }
  }
}
