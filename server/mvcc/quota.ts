/**
 * The space quota and the NO_SPACE alarm (etcd's quota applier). The store counts the bytes of
 * every retained record (key + value + a fixed overhead; see kv-types.ts). A write that would
 * push the count past the quota is refused with NO_SPACE and raises the alarm; while the alarm is
 * up every write that adds data (put, a txn with puts, a lease grant) is refused, and reads,
 * deletes and compaction still work. Clearing the alarm succeeds only once compaction (after
 * deletes) has brought the count back under the quota.
 *
 * The alarm is replicated state: it is raised while applying an entry, so every member raises it
 * at the same index.
 */
import { NoSpaceError } from './errors.js';
import type { StoreState } from './store-state.js';

/** Default quota: 2 GiB of keys, values and history. */
export const DEFAULT_QUOTA_BYTES = 2 * 1024 * 1024 * 1024;

/** Refuses (and raises the alarm) when adding `costBytes` would exceed `quotaBytes`. */
export function checkQuota(state: StoreState, costBytes: number, quotaBytes: number): void {
  if (costBytes <= 0) return;
  if (state.noSpaceAlarm) throw new NoSpaceError();
  if (state.sizeBytes + costBytes > quotaBytes) {
    state.noSpaceAlarm = true;
    throw new NoSpaceError(
      `mvcc: database space exceeded (${state.sizeBytes} + ${costBytes} > ${quotaBytes} bytes)`,
    );
  }
}

/** Clears the alarm if there is room again; returns whether the alarm is now down. */
export function clearNoSpaceAlarm(state: StoreState, quotaBytes: number): boolean {
  if (state.sizeBytes < quotaBytes) state.noSpaceAlarm = false;
  return !state.noSpaceAlarm;
}
