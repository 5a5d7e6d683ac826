/**
 * The auto-compaction policy, pure: the leader feeds it the time and the current revision, and it
 * answers with the revision to compact to (which the leader then proposes as a compact command),
 * after etcd's `--auto-compaction-mode`:
 *
 * - `revision`: keep the last `retainRevisions` revisions. Checked at most every `checkIntervalMs`;
 *   compacts to `current − retainRevisions` when that moved past the last compaction.
 * - `periodic`: keep `retainMs` of history. Samples (time, revision) every `retainMs / 10` (bounded
 *   ring) and compacts to the newest revision sampled at least `retainMs` ago.
 *
 * No clock is read: `nowMs` is whatever monotonic milliseconds the caller uses.
 */
import { InvalidConfigError } from './errors.js';

export type AutoCompactionOptions =
  | { readonly mode: 'revision'; readonly retainRevisions: number; readonly checkIntervalMs?: number }
  | { readonly mode: 'periodic'; readonly retainMs: number };

/** etcd checks revision retention every five minutes. */
export const DEFAULT_REVISION_CHECK_INTERVAL_MS = 5 * 60 * 1000;
const MAX_SAMPLES = 64;

interface Sample {
  readonly atMs: number;
  readonly revision: number;
}

export class AutoCompactionPolicy {
  private lastCompacted = 0;
  private lastCheckMs: number | undefined;
  private readonly samples: Sample[] = [];

  constructor(readonly options: AutoCompactionOptions) {
    if (options.mode === 'revision') {
      if (!Number.isSafeInteger(options.retainRevisions) || options.retainRevisions < 1) {
        throw new InvalidConfigError('auto-compaction: retainRevisions must be a positive integer');
      }
      const every = options.checkIntervalMs ?? DEFAULT_REVISION_CHECK_INTERVAL_MS;
      if (!(every >= 0)) throw new InvalidConfigError('auto-compaction: checkIntervalMs must be ≥ 0');
    } else if (!(Number.isFinite(options.retainMs) && options.retainMs > 0)) {
      throw new InvalidConfigError('auto-compaction: retainMs must be positive');
    }
  }

  /** Tells the policy a compaction to `revision` happened (by it or anyone else). */
  compacted(revision: number): void {
    this.lastCompacted = Math.max(this.lastCompacted, revision);
  }

  /** Returns the revision to compact to now, or undefined. */
  maybeCompact(nowMs: number, currentRevision: number): number | undefined {
    return this.options.mode === 'revision'
      ? this.byRevision(
          nowMs,
          currentRevision,
          this.options.retainRevisions,
          this.options.checkIntervalMs ?? DEFAULT_REVISION_CHECK_INTERVAL_MS,
        )
      : this.byTime(nowMs, currentRevision, this.options.retainMs);
  }

  private byRevision(nowMs: number, current: number, retain: number, everyMs: number): number | undefined {
    if (this.lastCheckMs !== undefined && nowMs - this.lastCheckMs < everyMs) return undefined;
    this.lastCheckMs = nowMs;
    const target = current - retain;
    return target > this.lastCompacted ? target : undefined;
  }

  private byTime(nowMs: number, current: number, retainMs: number): number | undefined {
    const last = this.samples[this.samples.length - 1];
    if (last === undefined || nowMs - last.atMs >= retainMs / 10) {
      this.samples.push({ atMs: nowMs, revision: current });
      if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    }
    let target: number | undefined;
    while (this.samples.length > 0 && nowMs - (this.samples[0] as Sample).atMs >= retainMs) {
      target = (this.samples.shift() as Sample).revision;
    }
    return target !== undefined && target > this.lastCompacted ? target : undefined;
  }
}
