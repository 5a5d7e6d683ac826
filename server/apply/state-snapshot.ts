/**
 * The state machine's snapshot: everything replicated, in one versioned binary blob.
 *
 *   magic "CSMS", format version (u8 = 4), appliedIndex,
 *   leases by id: count, then id, ttlSec, remainingTtlSec of each,
 *   alarms: count, then member id and kind (1 + index in ALARM_KINDS) of each,
 *   auth state (users, roles, permissions, enabled, revision; see auth/codec.ts),
 *   mvcc snapshot (see mvcc/snapshot-codec.ts) up to the end.
 *
 * Version 4 added the auth state; a version 3 snapshot is read as one with auth off, no users and
 * no roles (what such a member had).
 *
 * Version 3 puts the small parts first and the mvcc snapshot last without a length, so that the
 * whole blob can be written as a stream while the mvcc part is being encoded (`StateSnapshotStream`).
 * Version 2 (mvcc snapshot length-prefixed, then leases, then alarms) is still read; version 1 is
 * refused, naming the versions read (there is no conversion).
 *
 * Attached keys are not stored: they are the live keys whose `lease` names the lease.
 */
import { ByteReader, ByteWriter, DecodeError, SnapshotDecodeError } from '../mvcc/index.js';
import { EMPTY_AUTH_STATE, readAuthState, writeAuthState } from '../auth/codec.js';
import type { AuthState } from '../auth/model.js';
import { ALARM_KINDS, type AlarmRecord } from './alarms.js';

const MAGIC = [0x43, 0x53, 0x4d, 0x53]; // "CSMS"
export const STATE_SNAPSHOT_VERSION = 4;
const READABLE_VERSIONS: readonly number[] = [2, 3, 4];

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
  readonly auth: AuthState;
}

/** Everything before the mvcc snapshot (version 3). */
export function encodeStateSnapshotHead(s: Omit<StateSnapshot, 'mvcc'>): Uint8Array {
  const w = new ByteWriter(64 + s.leases.length * 12 + s.alarms.length * 4);
  for (const b of MAGIC) w.u8(b);
  w.u8(STATE_SNAPSHOT_VERSION).uint(s.appliedIndex);
  w.uint(s.leases.length);
  for (const l of s.leases) w.uint(l.id).uint(l.ttlSec).uint(l.remainingTtlSec);
  w.uint(s.alarms.length);
  for (const a of s.alarms) w.uint(a.memberId).u8(1 + ALARM_KINDS.indexOf(a.alarm));
  writeAuthState(w, s.auth);
  return w.finish();
}

export function encodeStateSnapshot(s: StateSnapshot): Uint8Array {
  const head = encodeStateSnapshotHead(s);
  const out = new Uint8Array(head.length + s.mvcc.length);
  out.set(head, 0);
  out.set(s.mvcc, head.length);
  return out;
}

export function decodeStateSnapshot(bytes: unknown): StateSnapshot {
  if (!(bytes instanceof Uint8Array)) throw new SnapshotDecodeError('not a byte array');
  try {
    const r = new ByteReader(bytes);
    for (const b of MAGIC)
      if (r.u8() !== b) throw new SnapshotDecodeError('not a state machine snapshot (magic)');
    const version = r.u8();
    if (!READABLE_VERSIONS.includes(version)) {
      throw new SnapshotDecodeError(
        `state machine snapshot format version ${version} is not supported: this build reads version ${READABLE_VERSIONS.join(' or ')}`,
      );
    }
    const appliedIndex = r.uint();
    if (version === 2) {
      const mvcc = r.bytes();
      const leases = readLeases(r);
      const alarms = readAlarms(r);
      r.expectEnd();
      return { appliedIndex, mvcc, leases, alarms, auth: EMPTY_AUTH_STATE };
    }
    const leases = readLeases(r);
    const alarms = readAlarms(r);
    const auth = version >= 4 ? readAuthState(r) : EMPTY_AUTH_STATE;
    return { appliedIndex, mvcc: bytes.subarray(r.offset), leases, alarms, auth };
  } catch (err) {
    if (err instanceof DecodeError) throw new SnapshotDecodeError(err.message);
    throw err;
  }
}

function readLeases(r: ByteReader): LeaseRecord[] {
  const n = r.uint();
  const leases: LeaseRecord[] = [];
  let lastId = 0;
  for (let i = 0; i < n; i++) {
    const lease = { id: r.uint(), ttlSec: r.uint(), remainingTtlSec: r.uint() };
    if (lease.id <= lastId) throw new SnapshotDecodeError('leases out of order');
    lastId = lease.id;
    leases.push(lease);
  }
  return leases;
}

function readAlarms(r: ByteReader): AlarmRecord[] {
  const alarmCount = r.uint();
  const alarms: AlarmRecord[] = [];
  for (let i = 0; i < alarmCount; i++) {
    const memberId = r.uint();
    const alarm = ALARM_KINDS[r.u8() - 1];
    if (alarm === undefined) throw new SnapshotDecodeError('unknown alarm type');
    alarms.push({ memberId, alarm });
  }
  return alarms;
}
