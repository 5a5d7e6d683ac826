/**
 * The state machine's snapshot: everything replicated, in one versioned binary blob.
 *
 *   magic "CSMS", format version (u8 = 2), appliedIndex,
 *   mvcc snapshot (length-prefixed, see mvcc/snapshot-codec.ts),
 *   leases by id: id, ttlSec, remainingTtlSec,
 *   alarms (version 2): count, then member id and kind (1 + index in ALARM_KINDS) of each.
 *
 * Version 2 holds an mvcc snapshot of version 2 (revisions numbered as etcd's: a new store at 1);
 * a version-1 snapshot is refused, naming both versions (there is no conversion).
 *
 * Attached keys are not stored: they are the live keys whose `lease` names the lease.
 */
import { ByteReader, ByteWriter, DecodeError, SnapshotDecodeError } from '../mvcc/index.js';
import { ALARM_KINDS, type AlarmRecord } from './alarms.js';

const MAGIC = [0x43, 0x53, 0x4d, 0x53]; // "CSMS"
export const STATE_SNAPSHOT_VERSION = 2;

export interface LeaseRecord {
  readonly id: number;
  readonly ttlSec: number;
  readonly remainingTtlSec: number;
}

export interface StateSnapshot {
  readonly appliedIndex: number;
  readonly mvcc: Uint8Array;
  readonly leases: readonly LeaseRecord[];
  readonly alarms: readonly AlarmRecord[];
}

export function encodeStateSnapshot(s: StateSnapshot): Uint8Array {
  const w = new ByteWriter(s.mvcc.length + 64 + s.leases.length * 12);
  for (const b of MAGIC) w.u8(b);
  w.u8(STATE_SNAPSHOT_VERSION).uint(s.appliedIndex).bytes(s.mvcc);
  w.uint(s.leases.length);
  for (const l of s.leases) w.uint(l.id).uint(l.ttlSec).uint(l.remainingTtlSec);
  w.uint(s.alarms.length);
  for (const a of s.alarms) w.uint(a.memberId).u8(1 + ALARM_KINDS.indexOf(a.alarm));
  return w.finish();
}

export function decodeStateSnapshot(bytes: unknown): StateSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotDecodeError('not a byte array');
  try {
    const r = new ByteReader(bytes);
    for (const b of MAGIC)
      if (r.u8() !== b) throw new SnapshotDecodeError('not a state machine snapshot (magic)');
    const version = r.u8();
    if (version !== STATE_SNAPSHOT_VERSION) {
      throw new SnapshotDecodeError(
        `state machine snapshot format version ${version} is not supported: this build reads version ${STATE_SNAPSHOT_VERSION} only`,
      );
    }
    const appliedIndex = r.uint();
    const mvcc = r.bytes();
    const n = r.uint();
    const leases: LeaseRecord[] = [];
    let lastId = 0;
    for (let i = 0; i < n; i++) {
      const lease = { id: r.uint(), ttlSec: r.uint(), remainingTtlSec: r.uint() };
      if (lease.id <= lastId) throw new SnapshotDecodeError('leases out of order');
      lastId = lease.id;
      leases.push(lease);
    }
    const alarmCount = r.uint();
    const alarms: AlarmRecord[] = [];
    for (let i = 0; i < alarmCount; i++) {
      const memberId = r.uint();
      const alarm = ALARM_KINDS[r.u8() - 1];
      if (alarm === undefined) throw new SnapshotDecodeError('unknown alarm type');
      alarms.push({ memberId, alarm });
    }
    r.expectEnd();
    return { appliedIndex, mvcc, leases, alarms };
  } catch (err) {
    if (err instanceof DecodeError) throw new SnapshotDecodeError(err.message);
    throw err;
  }
}
