/**
 * The safety margin of a keep-alive's lost signal.
 *
 * The SDK estimates that the cluster may expire a lease at *send time of the last acknowledged
 * renewal + TTL* (the leader renewed it when the renewal arrived, which is later). A signal fired
 * exactly then would leave a holder no time to stop before another contender may take over, so the
 * signal fires `safetyMarginMs` before that estimate.
 *
 * What the margin buys, stated once for the docs and the recipes: if the holder's timers fire at
 * most TIMER_ALLOWANCE_MS late and its clock and the leader's run at rates within DRIFT_ALLOWANCE
 * of each other, the cluster cannot expire the lease (so no other contender can take a lock,
 * slot or leadership tied to it) sooner than `safetyMarginMs − allowance(TTL)` after the signal,
 * where `allowance(TTL) = TIMER_ALLOWANCE_MS + DRIFT_ALLOWANCE × TTL`. A margin is therefore never
 * smaller than that allowance (it would promise nothing), and at most half the TTL (so a lease is
 * usable for at least half its TTL after each renewal, and renewals have room to succeed before it).
 */
import { InvalidArgumentError } from './errors.js';

/** How late a timer of a process that is not paused is assumed to fire, at most. */
export const TIMER_ALLOWANCE_MS = 100;
/** How much faster the leader's clock may run than the client's (1 ms per second). */
export const DRIFT_ALLOWANCE = 0.001;

/** The part of a margin eaten by timer lateness and clock drift: the smallest allowed margin. */
export function marginAllowanceMs(ttlSec: number): number {
  return TIMER_ALLOWANCE_MS + Math.ceil(DRIFT_ALLOWANCE * ttlSec * 1000);
}

/** The default margin: a third of the TTL (never below the allowance). */
export function defaultSafetyMarginMs(ttlSec: number): number {
  return Math.max(Math.round((ttlSec * 1000) / 3), marginAllowanceMs(ttlSec));
}

/** The largest allowed margin: half the TTL. */
export function maxSafetyMarginMs(ttlSec: number): number {
  return Math.floor((ttlSec * 1000) / 2);
}

/** Throws InvalidArgumentError unless `marginMs` is absent or a finite number ≥ 0 (before the TTL is known). */
export function validateSafetyMarginShape(marginMs: number | undefined): void {
  if (marginMs === undefined) return;
  if (typeof marginMs !== 'number' || !Number.isFinite(marginMs) || marginMs < 0)
    throw new InvalidArgumentError(
      `safetyMarginMs must be a finite number of milliseconds, got ${String(marginMs)}`,
      { details: { field: 'safetyMarginMs' } },
    );
}

/** Throws InvalidArgumentError unless `marginMs` is absent or in [allowance, TTL/2] for `ttlSec`. */
export function validateSafetyMargin(marginMs: number | undefined, ttlSec: number): void {
  validateSafetyMarginShape(marginMs);
  if (marginMs === undefined) return;
  const min = marginAllowanceMs(ttlSec);
  const max = maxSafetyMarginMs(ttlSec);
  if (marginMs < min || marginMs > max)
    throw new InvalidArgumentError(
      `safetyMarginMs must be between ${min} ms (timer and clock-drift allowance) and ${max} ms ` +
        `(half the TTL) for a ${ttlSec} s TTL, got ${marginMs}`,
      { details: { field: 'safetyMarginMs' } },
    );
}

/**
 * The margin in force for a TTL: the default, or the chosen one kept within [allowance, TTL/2]
 * (a chosen margin is validated; this only matters when the cluster granted a longer TTL than the
 * one it was checked against, whose allowance is a few milliseconds larger).
 */
export function effectiveSafetyMarginMs(marginMs: number | undefined, ttlSec: number): number {
  if (marginMs === undefined) return defaultSafetyMarginMs(ttlSec);
  return Math.min(Math.max(marginMs, marginAllowanceMs(ttlSec)), maxSafetyMarginMs(ttlSec));
}

/**
 * The renewal period: a third of the TTL (etcd's), shortened when a large margin leaves less room,
 * so the next renewal is sent at most halfway between a renewal and the lost signal it postpones
 * (leaving time for it, or a retry, to be answered).
 */
export function renewIntervalMs(ttlSec: number, marginMs: number): number {
  const ttlMs = ttlSec * 1000;
  return Math.min(ttlMs / 3, (ttlMs - marginMs) / 2);
}
