/**
 * etcd's corruption checks, over HashKV (maintenance-backend.ts): members that applied the same
 * entries hold the same key-values, so their HashKV at one revision (from one compaction point)
 * must agree; when it does not, a member's state went wrong (a bug, a bit flip, a bad restore).
 *
 * - The initial check (`--experimental-initial-corrupt-check`, as etcd's flag): at start, once this
 *   member has caught up with the leader, it compares its HashKV with every peer's at its own
 *   current revision, and refuses to go on (the member stops, startMember rejects) on a mismatch.
 * - The periodic check (`--corrupt-check-time`, as etcd's): every interval the leader compares its
 *   HashKV with its peers'; members whose hash differs from the majority's get the CORRUPT alarm,
 *   raised through Raft (replicated: every member then refuses writes, and status, /health and
 *   `alarm list` show it) until an operator disarms it.
 *
 * Peers are asked through their client ports (`POST /v3/maintenance/hashkv`, the network's
 * forwarder), the URLs they published. A peer that cannot answer, has compacted past the revision
 * or sits at another compaction point is skipped, as etcd skips it: nothing is concluded from it.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type { ApplyResult, StateMachine } from '../apply/index.js';
import { ServerError } from '../errors.js';
import type { Logger } from '../platform/logger.js';
import type { Timers, TimerHandle } from '../platform/timers.js';
import type { Replica } from '../replica/index.js';
import type { BackendNetwork } from './backend-core.js';
import { hash32 } from './backend-helpers.js';
import { proposeCommand } from './propose.js';

export interface CorruptionCheckPorts {
  readonly memberId: number;
  readonly logger: Logger;
  readonly replica: Pick<
    Replica<ApplyResult>,
    'isLeader' | 'memberList' | 'linearizableRead' | 'propose' | 'isRunning'
  >;
  readonly machine: StateMachine;
  readonly network: Pick<BackendNetwork, 'forwardToLeader'>;
  readonly timers: Timers;
  /** How long the initial check waits for a leader and a ReadIndex (a restarting member's election). */
  readonly catchUpTimeoutMs: number;
}

/** Between two attempts of the initial check's ReadIndex while no leader is known. */
const CATCH_UP_RETRY_MS = 100;

/** One comparison's outcome. */
export interface HashComparison {
  readonly revision: number;
  readonly compactRevision: number;
  readonly hash: number;
  /** The peers whose hash was compared (same revision and compaction point). */
  readonly compared: readonly { readonly memberId: number; readonly hash: number }[];
  /** Peers that could not be compared, with why. */
  readonly skipped: readonly { readonly memberId: number; readonly reason: string }[];
}

/** The initial check found this member's key-values differ from a peer's: it does not serve. */
export class InitialCorruptionError extends ServerError {
  override readonly name = 'InitialCorruptionError';
  constructor(message: string) {
    super(ErrorCode.Corrupt, message, false);
  }
}

export class CorruptionChecker {
  private timer: TimerHandle | undefined;
  private running = false;
  private closed = false;

  constructor(private readonly ports: CorruptionCheckPorts) {}

  /** This member's HashKV at its current revision against every peer's at the same revision. */
  async compare(signal?: AbortSignal): Promise<HashComparison> {
    const { machine, replica, network, memberId } = this.ports;
    const store = machine.store;
    const revision = store.currentRevision;
    const compactRevision = store.compactRevision;
    const hash = hash32(store.hash(revision));
    const compared: { memberId: number; hash: number }[] = [];
    const skipped: { memberId: number; reason: string }[] = [];
    const peers = replica.memberList().filter((m) => m.id !== memberId);
    await Promise.all(
      peers.map(async (peer) => {
        if (peer.clientUrls.length === 0) {
          skipped.push({ memberId: peer.id, reason: 'no client URLs published' });
          return;
        }
        try {
          const r = await network.forwardToLeader(
            'maintenance.hashKV',
            { revision },
            peer.clientUrls,
            signal,
          );
          if (r.compactRevision !== compactRevision) {
            skipped.push({
              memberId: peer.id,
              reason: `compaction point ${r.compactRevision}, here ${compactRevision}`,
            });
          } else compared.push({ memberId: peer.id, hash: r.hash });
        } catch (err) {
          skipped.push({ memberId: peer.id, reason: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    return { revision, compactRevision, hash, compared, skipped };
  }

  /**
   * The initial check: waits (a ReadIndex, bounded by the request timeout) until this member has
   * applied what the cluster committed, then compares. Throws InitialCorruptionError on a mismatch;
   * without a leader or peers to compare with it logs why and lets the member go on, as etcd does.
   */
  async initialCheck(signal?: AbortSignal): Promise<HashComparison | undefined> {
    const { logger } = this.ports;
    try {
      await this.catchUp(signal);
    } catch (err) {
      logger.warn('initial corruption check skipped: could not catch up with the leader', { error: err });
      return undefined;
    }
    const result = await this.compare(signal);
    for (const s of result.skipped)
      logger.warn('initial corruption check: peer not compared', { peer: s.memberId, reason: s.reason });
    const different = result.compared.filter((c) => c.hash !== result.hash);
    if (different.length > 0) {
      const ids = different.map((d) => d.memberId).join(', ');
      throw new InitialCorruptionError(
        `initial corruption check: this member's key-values (hash ${result.hash} at revision ` +
          `${result.revision}) differ from member(s) ${ids}; refusing to serve`,
      );
    }
    logger.info('initial corruption check passed', {
      revision: result.revision,
      hash: result.hash,
      peers: result.compared.length,
    });
    return result;
  }

  /**
   * A ReadIndex, retried while it fails for want of a leader (a member that just restarted waits
   * for an election), until `catchUpTimeoutMs`.
   */
  private async catchUp(signal?: AbortSignal): Promise<void> {
    const { replica, timers, catchUpTimeoutMs } = this.ports;
    const attempts = Math.max(1, Math.ceil(catchUpTimeoutMs / CATCH_UP_RETRY_MS));
    for (let i = 1; ; i++) {
      try {
        await replica.linearizableRead(signal === undefined ? {} : { signal });
        return;
      } catch (err) {
        const retryable = (err as { retryable?: unknown }).retryable === true;
        if (!retryable || i >= attempts || signal?.aborted === true) throw err;
      }
      await new Promise<void>((resolve) => timers.setTimeout(resolve, CATCH_UP_RETRY_MS));
    }
  }

  /**
   * One periodic round, on the leader only: compares, and raises CORRUPT (through Raft) for every
   * member whose hash is not the majority's (between two members that disagree, for the peer, as
   * etcd's leader does). Returns the members alarmed.
   */
  async checkOnce(): Promise<number[]> {
    const { replica, logger, memberId } = this.ports;
    if (!replica.isLeader()) return [];
    const result = await this.compare();
    const all = [{ memberId, hash: result.hash }, ...result.compared];
    const votes = new Map<number, number>();
    for (const m of all) votes.set(m.hash, (votes.get(m.hash) ?? 0) + 1);
    let majority = result.hash;
    for (const [hash, n] of votes) if (n > (votes.get(majority) ?? 0)) majority = hash;
    const corrupt = all.filter((m) => m.hash !== majority).map((m) => m.memberId);
    for (const id of corrupt) {
      logger.error('corruption check: key-values differ; raising CORRUPT', {
        member: id,
        revision: result.revision,
        compactRevision: result.compactRevision,
        hashes: Object.fromEntries(all.map((m) => [String(m.memberId), m.hash])),
      });
      await proposeCommand(replica, { type: 'alarmActivate', memberId: id, alarm: 'corrupt' });
    }
    return corrupt;
  }

  /** Runs `checkOnce` every `intervalMs` (never two at once) until `close()`. */
  startPeriodic(intervalMs: number): void {
    const { timers, logger, replica } = this.ports;
    const schedule = (): void => {
      if (this.closed) return;
      this.timer = timers.setTimeout(() => {
        if (this.running || !replica.isRunning()) return schedule();
        this.running = true;
        this.checkOnce()
          .catch((err: unknown) => logger.warn('corruption check failed', { error: err }))
          .finally(() => {
            this.running = false;
            schedule();
          });
      }, intervalMs);
    };
    schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) this.ports.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
