/**
 * Every read returns the state of its keys at the revision it reports: replaying the canonical
 * history (watch events and acknowledged writes, history-canonical.ts) up to that revision must give
 * what the read returned. This judges serializable reads (served from a member's local state, maybe
 * stale, but never other than the state at their header revision), linearizable reads, the range in
 * a failed CAS and reads of the past.
 *
 * For a key whose history is complete up to the read's revision (watches covering it delivered every
 * revision from 1 without a gap), the read must match the replay exactly: a key present in one and
 * absent in the other is a violation. This is what catches a lease expiry that deletes keys without
 * a revision (the read at revision R no longer shows the key; the history says it is there at R).
 * Elsewhere only what is known is compared: a returned key's mod revision must name a put of the
 * same value, and no known change of the key may lie between that and the read's revision.
 */
import { describeRange, inRange, type ReadRecord, type SeenKv } from '../clients/record.js';
import { describe, type CanonicalHistory } from './history-canonical.js';
import { Invariant, Violation } from './violation.js';

export interface ReadStats {
  readonly reads: number;
  /** Key observations judged against a complete history (the exact check). */
  readonly exact: number;
  /** Key observations judged only against the known changes. */
  readonly partial: number;
}

export function checkReads(reads: readonly ReadRecord[], history: CanonicalHistory): ReadStats {
  let exact = 0;
  let partial = 0;
  for (const read of reads) {
    const returned = new Map(read.kvs.map((kv) => [kv.key, kv]));
    const keys = new Set(returned.keys());
    for (const key of history.keys()) if (inRange(key, read.key, read.rangeEnd)) keys.add(key);
    for (const key of keys) {
      const kv = returned.get(key);
      if (history.completeThrough(key) >= read.revision) {
        exact++;
        checkExact(read, key, kv, history);
      } else {
        partial++;
        if (kv !== undefined) checkKnown(read, kv, history);
      }
    }
  }
  return { reads: reads.length, exact, partial };
}

function fail(read: ReadRecord, what: string): never {
  throw new Violation(
    Invariant.ReadsMatchHistory,
    `${read.kind} read of ${describeRange(read.key, read.rangeEnd)} by client ${read.client} on member ` +
      `${read.member} at ${read.atMs.toFixed(1)}ms (revision ${read.revision}) ${what}`,
  );
}

function shown(kv: SeenKv): string {
  return `${kv.key}=${kv.value}@${kv.modRevision}${kv.lease !== 0 ? ` lease ${kv.lease}` : ''}`;
}

function checkExact(read: ReadRecord, key: string, kv: SeenKv | undefined, history: CanonicalHistory): void {
  const last = history.lastAtOrBefore(key, read.revision);
  const present = last !== undefined && last.type === 'put';
  if (kv === undefined) {
    if (present)
      fail(read, `did not return ${key}, which the history has at that revision: ${describe(last)}`);
    return;
  }
  if (!present)
    fail(
      read,
      `returned ${shown(kv)}, which the history does not have at that revision` +
        (last === undefined ? ' (never written before it)' : ` (last change: ${describe(last)})`),
    );
  if (last.revision !== kv.modRevision || last.value !== kv.value || last.lease !== kv.lease)
    fail(read, `returned ${shown(kv)}, the history has ${describe(last)} (from ${last.source})`);
}

function checkKnown(read: ReadRecord, kv: SeenKv, history: CanonicalHistory): void {
  if (kv.modRevision > read.revision) fail(read, `returned ${shown(kv)}, newer than the read's revision`);
  const at = history.at(kv.modRevision).get(kv.key);
  if (at !== undefined && (at.type !== 'put' || at.value !== kv.value))
    fail(
      read,
      `returned ${shown(kv)}, but at that revision the history has ${describe(at)} (from ${at.source})`,
    );
  const later = history.firstBetween(kv.key, kv.modRevision, read.revision);
  if (later !== undefined)
    fail(read, `returned ${shown(kv)}, stale: the history has ${describe(later)} (from ${later.source})`);
}
