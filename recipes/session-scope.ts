/**
 * Which session a recipe handle uses: the caller's (shared, left open) or one of its own (created
 * with `ttlSec` and `safetyMarginMs`, closed — lease revoked — when the handle is released).
 */
import type { KvClient, Session } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { sig } from './internal.js';

export interface SessionChoice {
  /** Use this session (its lease carries the recipe's keys); the handle does not close it. */
  readonly session?: Session;
  /** TTL of the session the handle creates when none is given. Default 60 s (etcd's). */
  readonly ttlSec?: number;
  /**
   * For the session the handle creates: how long before its lease may expire on the cluster the
   * handle's `signal` fires when renewals stop succeeding (ms). Default TTL/3; see
   * docs/recipes.md "Sessions" for the guarantee.
   */
  readonly safetyMarginMs?: number;
}

export const DEFAULT_RECIPE_TTL_SEC = 60;

export interface ScopedSession {
  readonly session: Session;
  /** True if the handle created the session (so it may replace it), false for the caller's. */
  readonly owned: boolean;
  /** Closes the session if the handle created it. */
  readonly release: () => Promise<void>;
}

export async function scopedSession(
  kv: KvClient,
  choice: SessionChoice,
  signal: AbortSignal | undefined,
): Promise<ScopedSession> {
  if (choice.session !== undefined) {
    if (choice.ttlSec !== undefined) throw invalidArgument('give either session or ttlSec, not both');
    if (choice.safetyMarginMs !== undefined)
      throw invalidArgument('give either session or safetyMarginMs, not both (the session has its own)');
    if (choice.session.isLost) throw invalidArgument('the session is already lost');
    return { session: choice.session, owned: false, release: async () => undefined };
  }
  const ttlSec = choice.ttlSec ?? DEFAULT_RECIPE_TTL_SEC;
  if (!Number.isSafeInteger(ttlSec) || ttlSec < 1) throw invalidArgument('ttlSec must be a positive integer');
  const margin = choice.safetyMarginMs === undefined ? {} : { safetyMarginMs: choice.safetyMarginMs };
  const session = await kv.session({ ttlSec, ...margin, ...sig(signal) });
  return {
    session,
    owned: true,
    release: async () => {
      try {
        await session.close();
      } catch {
        // The lease then expires on its own after ttlSec.
      }
    },
  };
}
