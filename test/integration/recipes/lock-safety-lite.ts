/**
 * A small lock-safety check over a recorded run (the full checker lives in test/check/ once it
 * lands). Inputs are what workers observed, all on one process clock:
 *
 * - holds: when `acquireLock` resolved (startMs) and when the worker stopped acting as holder
 *   (endMs: release started, or the lock's signal fired — whichever came first), with the token;
 * - writes: fenced writes to a guarded register, with the revision they were accepted at.
 *
 * Violations:
 * 1. two holds with the same token;
 * 2. a hold that starts before the previous holder (by token) ended, unless the fence caught it —
 *    i.e. the earlier holder had no write accepted after the later holder's first accepted write;
 * 3. accepted writes whose tokens do not strictly increase with the revision (the register let a
 *    stale holder through).
 */
export interface Hold {
  readonly worker: string;
  readonly token: number;
  readonly startMs: number;
  readonly endMs: number;
}

export interface FencedWrite {
  readonly token: number;
  /** Revision at which the register accepted it; undefined if rejected by the fence. */
  readonly acceptedAt: number | undefined;
}

export function checkLockSafety(holds: readonly Hold[], writes: readonly FencedWrite[]): string[] {
  const problems: string[] = [];
  const byToken = [...holds].sort((a, b) => a.token - b.token);
  for (let i = 1; i < byToken.length; i++) {
    const prev = byToken[i - 1]!;
    const cur = byToken[i]!;
    if (prev.token === cur.token) {
      problems.push(`token ${cur.token} held twice (${prev.worker}, ${cur.worker})`);
      continue;
    }
    if (cur.startMs < prev.endMs) {
      const curFirst = Math.min(
        ...writes
          .filter((w) => w.token === cur.token && w.acceptedAt !== undefined)
          .map((w) => w.acceptedAt!),
      );
      const prevLate = writes.some(
        (w) => w.token === prev.token && w.acceptedAt !== undefined && w.acceptedAt > curFirst,
      );
      if (prevLate || !Number.isFinite(curFirst))
        problems.push(
          `holds overlap: ${prev.worker} (token ${prev.token}) until ${prev.endMs}, ${cur.worker} (token ${cur.token}) from ${cur.startMs}`,
        );
    }
  }
  const accepted = writes
    .filter((w) => w.acceptedAt !== undefined)
    .sort((a, b) => a.acceptedAt! - b.acceptedAt!);
  for (let i = 1; i < accepted.length; i++) {
    if (accepted[i]!.token <= accepted[i - 1]!.token)
      problems.push(
        `register accepted token ${accepted[i]!.token} at ${accepted[i]!.acceptedAt} after token ${accepted[i - 1]!.token}`,
      );
  }
  return problems;
}
