/**
 * Which session a recipe handle uses: the caller's (shared, left open) or one of its own (created
 * with `ttlSec`, closed — lease revoked — when the handle is released).
 */
import type { KvClient, Session } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { sig } from './internal.js';

export interface SessionChoice {
  /** Use this session (its lease carries the recipe's keys); the handle does not close it. */
  readonly session?: Session;
  /** TTL of the session the handle creates when none is given. Default 60 s (etcd's). */
  readonly ttlSec?: number;
}

export const DEFAULT_RECIPE_TTL_SEC = 60;

export interface ScopedSession {
  readonly session: Session;
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
    if (choice.session.isLost) throw invalidArgument('the session is already lost');
    return { session: choice.session, release: async () => undefined };
  }
  const ttlSec = choice.ttlSec ?? DEFAULT_RECIPE_TTL_SEC;
  if (!Number.isSafeInteger(ttlSec) || ttlSec < 1) throw invalidArgument('ttlSec must be a positive integer');
  const session = await kv.session({ ttlSec, ...sig(signal) });
  return {
    session,
    release: async () => {
      try {
        await session.close();
      } catch {
        // The lease then expires on its own after ttlSec.
      }
    },
  };
}
