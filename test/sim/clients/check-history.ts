/** Every client checker (test/sim/checkers/) run on one recorded history. */
import { Outcome } from '../../check/history.js';
import { CanonicalHistory } from '../checkers/history-canonical.js';
import { checkRegistersLinearizable, type LinearizableStats } from '../checkers/history-linearizable.js';
import { checkReads, type ReadStats } from '../checkers/history-reads.js';
import { checkLeaseKeysGone, type LeaseStats } from '../checkers/lease-revocation.js';
import { checkWatches, type WatchStats } from '../checkers/watch-delivery.js';
import type { ClientHistory } from './record.js';

export interface SimClientsStats {
  readonly operations: number;
  readonly indeterminate: number;
  readonly writes: number;
  readonly linearizable: LinearizableStats;
  readonly reads: ReadStats;
  readonly watches: WatchStats;
  readonly leases: LeaseStats;
  /** Failed calls by error code (an unexpected code here is worth a look). */
  readonly refused?: Readonly<Record<string, number>>;
}

/** Runs every client checker on a recorded history; throws the first Violation. */
export function checkClientHistory(h: ClientHistory): SimClientsStats {
  const canonical = CanonicalHistory.build(h.watches, h.writes);
  const compactedAt = new Set(h.compactions.map((c) => c.revision));
  const watches = checkWatches(h.watches, canonical, compactedAt);
  const reads = checkReads(h.reads, canonical);
  const leases = checkLeaseKeysGone(h.reads, h.leasesGone);
  const linearizable = checkRegistersLinearizable(h.registers);
  return {
    operations: h.registers.length,
    indeterminate: h.registers.filter((op) => op.outcome === Outcome.Indeterminate).length,
    writes: h.writes.length,
    linearizable,
    reads,
    watches,
    leases,
  };
}
