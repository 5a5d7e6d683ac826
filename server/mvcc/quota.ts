/**
 * The space quota (etcd's quota applier). The store counts the bytes of every retained record
 * (key + value + a fixed overhead; see kv-types.ts) of the logical state, whatever physical
 * compaction has dropped yet (store-state.ts), so every member decides alike. A write that would push the count past the
 * quota is refused with NO_SPACE; while the NOSPACE alarm is raised every write that adds data (put,
 * a txn with puts, a lease grant) is refused, and reads, deletes and compaction still work.
 *
 * The alarm itself is not the store's: it is replicated state of the state machine
 * (server/apply/alarms.ts), raised by the member whose write the quota refused (as etcd's quota
 * check does) or by a client, cleared by a client. The state machine tells the store whether it is
 * raised (`MvccStore.noSpaceAlarm`), so refusals are decided at apply, the same on every member.
 */
import { NoSpaceError } from './errors.js';
import { sizeBytes, type StoreState } from './store-state.js';

/** Default quota: 2 GiB of keys, values and history. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/**
 * Refuses a write adding `costBytes` while the NOSPACE alarm is raised, or when it would take the
 * count past `quotaBytes`.
 */
export function checkQuota(
  state: StoreState,
  costBytes: number,
  quotaBytes: number,
  alarmRaised: boolean,
): void {
  if (costBytes <= 0) return;
  if (alarmRaised) throw new NoSpaceError('mvcc: database space exceeded (the NOSPACE alarm is raised)');
  const size = sizeBytes(state);
  if (size + costBytes > quotaBytes) {
    throw new NoSpaceError(`mvcc: database space exceeded (${size} + ${costBytes} > ${quotaBytes} bytes)`);
  }
}
