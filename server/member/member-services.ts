/**
 * The services a member runs beside its replica, wired to it through ports only (no transport,
 * storage or Node platform), so that a real member and the simulator run the same wiring:
 *
 * - the watch pump, driven after every applied batch and on every tick (idle progress);
 * - the lease driver: the leader proposes revokes of expired leases and TTL checkpoints on ticks,
 *   and promotes or demotes the lessor when leadership changes;
 * - auto-compaction: on ticks, the leader asks the policy whether to compact and proposes it;
 * - physical compaction, on every member: a compaction applies logically in constant time, and a
 *   tick that finds compacted history still held starts dropping it, one bounded batch per
 *   deferred turn (MvccStore.dropCompactedBatch), so requests and Raft run between batches.
 *
 * Time is the `Clock` port, deferral the given `defer` (a real member: `setImmediate`; the
 * simulator: a zero-delay timer of its virtual time).
 */
import type { ApplyResult, StateMachine } from '../apply/index.js';
import { AutoCompactionPolicy, type AutoCompactionOptions } from '../mvcc/index.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Replica } from '../replica/index.js';
import type { AutoCompaction } from './config.js';
import { LeaseDriver } from './lease-driver.js';
import { proposeCommand } from './propose.js';
import { WatchPump, type Defer, type WatchEnding } from './watch-pump.js';

/** What the services need of the replica. */
export type ServicesReplica = Pick<
  Replica<ApplyResult>,
  'propose' | 'isLeader' | 'onApplied' | 'onTick' | 'onLeaderChange'
>;

export interface MemberServicesPorts {
  readonly replica: ServicesReplica;
  /** The apply layer's state machine (its watchable store, lessor and MVCC store). */
  readonly machine: StateMachine;
  readonly clock: Clock;
  /** Defers a watch pump round until queued work had its turn. */
  readonly defer: Defer;
  readonly logger: Logger;
  readonly memberId: number;
  /** A new leader's grace for every lease (etcd: the election timeout). */
  readonly electionTimeoutMs: number;
  /** Undefined: no auto-compaction. */
  readonly autoCompaction: AutoCompactionOptions | undefined;
}

export interface MemberServices {
  readonly pump: WatchPump;
  readonly leases: LeaseDriver;
  /**
   * Stops listening to the replica and closes the pump: its watchers are canceled, and told so
   * with `ending` when given (WatchPump.close). Idempotent.
   */
  close(ending?: Omit<WatchEnding, 'revision'>): void;
}

/** Wires the services to the replica's applied, tick and leader-change events. */
export function startMemberServices(ports: MemberServicesPorts): MemberServices {
  const { replica, machine, clock, logger } = ports;
  const pump = new WatchPump(machine.watchable, ports.defer);
  const leases = new LeaseDriver({
    lessor: machine.lessor,
    clock,
    logger,
    propose: (command) => proposeCommand(replica, command),
    promoteGraceMs: ports.electionTimeoutMs,
  });
  const compaction =
    ports.autoCompaction !== undefined ? new AutoCompactionPolicy(ports.autoCompaction) : undefined;
  let compacting = false;
  let closed = false;
  let dropping = false;
  const dropBatch = (): void => {
    // Re-read each turn: a snapshot restore may have replaced the store's state meanwhile.
    if (!closed && machine.store.dropCompactedBatch()) ports.defer(dropBatch);
    else dropping = false;
  };
  const unsubscribe = [
    replica.onApplied(() => pump.onApplied()),
    replica.onLeaderChange((leader) => leases.onLeaderChange(leader === ports.memberId)),
    replica.onTick(() => {
      const now = clock.nowMs();
      leases.onTick();
      pump.onTick(now);
      if (!dropping && machine.store.compactionPending) {
        dropping = true;
        ports.defer(dropBatch);
      }
      if (compaction === undefined || !replica.isLeader() || compacting) return;
      const target = compaction.maybeCompact(now, machine.store.currentRevision);
      if (target === undefined) return;
      compacting = true;
      proposeCommand(replica, { type: 'compact', revision: target })
        .then(() => compaction.compacted(target))
        .catch((err: unknown) => logger.warn('auto-compaction failed', { revision: target, error: err }))
        .finally(() => {
          compacting = false;
        });
    }),
  ];
  // Wired to a replica that already leads (services started after the replica): promote now.
  leases.onLeaderChange(replica.isLeader());
  return {
    pump,
    leases,
    close: (ending) => {
      if (closed) return;
      closed = true;
      for (const off of unsubscribe) off();
      pump.close(ending && { ...ending, revision: machine.store.currentRevision });
    },
  };
}

/** The policy options of the `--auto-compaction-*` flags; undefined when retention is 0. */
export function autoCompactionOptions(setting: AutoCompaction): AutoCompactionOptions | undefined {
  if (setting.retention <= 0) return undefined;
  return setting.mode === 'revision'
    ? { mode: 'revision', retainRevisions: setting.retention }
    : { mode: 'periodic', retainMs: setting.retention };
}
