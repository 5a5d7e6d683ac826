/**
 * The commands Raft carries to the state machine, and what applying one answers. Plain data, a
 * discriminated union on `type`. Everything replicated is decided before proposing: lease ids come
 * from the proposer (the replica's id generator), never from apply.
 *
 * Lease keep-alives are not commands: they only move the leader's local deadline
 * (`Lessor.renew`). The leader proposes `leaseCheckpoint` so that remaining TTLs survive a leader
 * change, and `leaseRevoke` when `Lessor.expired(nowMs)` names a lease.
 */
import { unreachable } from '../assert.js';
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  StateMachineError,
  TxnRequest,
  TxnResponse,
} from '../mvcc/index.js';
import type { LeaseCheckpoint } from '../lease/index.js';
import type { AlarmKind, AlarmRecord } from './alarms.js';
import type { AuthOp } from '../auth/model.js';

export type Command =
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  /** A read through the log (linearizable without ReadIndex; rarely needed). */
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'compact'; readonly revision: number }
  | { readonly type: 'leaseGrant'; readonly id: number; readonly ttlSec: number }
  | { readonly type: 'leaseRevoke'; readonly id: number }
  | { readonly type: 'leaseCheckpoint'; readonly checkpoints: readonly LeaseCheckpoint[] }
  /** Raises an alarm for a member (etcd's AlarmRequest ACTIVATE; see alarms.ts). */
  | { readonly type: 'alarmActivate'; readonly memberId: number; readonly alarm: AlarmKind }
  /** Clears the matching alarms: member id 0 matches every member, no `alarm` every type. */
  | { readonly type: 'alarmDeactivate'; readonly memberId: number; readonly alarm?: AlarmKind }
  /** A change to the auth store (server/auth): users, roles, permissions, enable/disable, tokens. */
  | { readonly type: 'auth'; readonly op: AuthOp }
  /**
   * A write admitted by the permission check at auth revision `authRevision` (auth on): applied
   * only if the auth store has not changed since, else refused with AUTH_OLD_REVISION (etcd's
   * rule), so a permission revoked between the check and the apply is never bypassed.
   */
  | { readonly type: 'authGuarded'; readonly authRevision: number; readonly command: Command };

export type CommandType = Command['type'];

export type CommandResponse =
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse }
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'compact'; readonly response: CompactResponse }
  | { readonly type: 'leaseGrant'; readonly id: number; readonly ttlSec: number }
  | { readonly type: 'leaseRevoke'; readonly revision: number }
  | { readonly type: 'leaseCheckpoint' }
  /** The alarm raised (already raised: the existing one). */
  | { readonly type: 'alarmActivate'; readonly alarms: readonly AlarmRecord[] }
  /** The alarms cleared (none matched: empty). */
  | { readonly type: 'alarmDeactivate'; readonly alarms: readonly AlarmRecord[] }
  /** The auth revision after the change. */
  | { readonly type: 'auth'; readonly revision: number };

/**
 * The outcome of `apply(index, command)`. `skipped`: nothing to do — the index was already applied
 * (a replay after a restart), or the entry was empty (Raft's no-op). `error`: the command was applied and refused the same way on every member (lease not
 * found, compacted, no space, …). `revision` is the store's revision afterwards.
 */
export type ApplyResult =
  | { readonly status: 'skipped'; readonly index: number }
  | {
      readonly status: 'ok';
      readonly index: number;
      readonly revision: number;
      readonly response: CommandResponse;
    }
  | {
      readonly status: 'error';
      readonly index: number;
      readonly revision: number;
      readonly error: StateMachineError;
    };

/** One stable line for logs and transcripts. */
export function describeCommand(c: Command): string {
  const key = (k: Uint8Array): string => JSON.stringify(new TextDecoder().decode(k));
  switch (c.type) {
    case 'put':
      return `put ${key(c.request.key)} ${c.request.value.length}B lease=${c.request.lease ?? 0}`;
    case 'deleteRange':
      return `deleteRange ${key(c.request.key)}..${c.request.rangeEnd === undefined ? '' : key(c.request.rangeEnd)}`;
    case 'txn':
      return `txn ${c.request.compare.length} compares, ${c.request.success.length}/${c.request.failure.length} ops`;
    case 'range':
      return `range ${key(c.request.key)}..${c.request.rangeEnd === undefined ? '' : key(c.request.rangeEnd)} @${c.request.revision ?? 0}`;
    case 'compact':
      return `compact @${c.revision}`;
    case 'leaseGrant':
      return `leaseGrant ${c.id} ttl=${c.ttlSec}s`;
    case 'leaseRevoke':
      return `leaseRevoke ${c.id}`;
    case 'leaseCheckpoint':
      return `leaseCheckpoint ${c.checkpoints.map((x) => `${x.id}:${x.remainingTtlSec}s`).join(' ')}`;
    case 'alarmActivate':
      return `alarmActivate ${c.alarm} member=${c.memberId}`;
    case 'alarmDeactivate':
      return `alarmDeactivate ${c.alarm ?? 'any'} member=${c.memberId === 0 ? 'any' : c.memberId}`;
    case 'auth':
      // Names only: never a password hash or a token in a log line.
      return `auth ${c.op.op}${'name' in c.op ? ` ${JSON.stringify(c.op.name)}` : ''}`;
    case 'authGuarded':
      return `${describeCommand(c.command)} (auth @${c.authRevision})`;
    default:
      return unreachable(c);
  }
}
