/**
 * The space quota (etcd's quota applier). The store counts the bytes of every retained record
 * (key + value + a fixed overhead; see kv-types.ts) of the logical state, whatever physical
 * compaction has dropped yet (store-state.ts), so every member decides alike. A write that would push the count past the
 * quota is refused with NO_SPACE; while the NOSPACE alarm is raised every write that adds data (put,
 * a txn with puts, a lease grant) is refused, and reads, deletes and compaction still work.
 *
 * The alarm itself is not the store's: it is replicated state of the state machine
 * (server/apply/alarms.ts), raised by the member whose write the quota refused (as etcd's quota
 * check does), by a member whose heap is nearly full (member/heap-watchdog.ts) or by a client,
 * cleared by a client. The state machine tells the store whether it is
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

/**
 * V8 heap bytes a member needs to hold `quotaBytes` of counted state, measured with
 * `npm run bench -- memory` (docs/performance.md, "Memory per key and per lease"). Keys and values
 * now live inside the heap, as latin1 strings (docs/storage.md, "Memory representation"), so the
 * heap holds the whole record: a key of a 256-byte value costs ~1.33× its counted bytes (443 B of
 * heap for 334 counted), an extra revision of it ~1.39×, and 1.9× leaves the same room for GC
 * (×1.35) as the 2.5× chosen when the values sat outside the heap at 1.85×; plus a fixed base for
 * the rest of the member. Records with much smaller values cost more per counted byte (~2.3–2.5× at
 * 8-byte values, ~1.1× at 1 KiB); this is the estimate for the typical case, not a bound.
 *
 * The one coefficient of quota → heap: `concord serve` sizes its member's heap with it
 * (cli/heap-plan.ts), and a change in how records are held in memory changes it here only. Where
 * it falls short (small values, a heap the operator or the machine kept smaller), the member's
 * memory watchdog (member/heap-watchdog.ts) raises NOSPACE before the heap runs out.
 */
export const HEAP_BYTES_PER_QUOTA_BYTE = 1.9;
export const HEAP_BASE_BYTES = 512 * 1024 * 1024;

export function heapBytesForQuota(quotaBytes: number): number {
  return Math.ceil(quotaBytes * HEAP_BYTES_PER_QUOTA_BYTE + HEAP_BASE_BYTES);
}

/**
 * The warning `concord serve` prints at start when the operator's heap limit (`heapLimitBytes`,
 * from `--max-old-space-size`) is below what `quotaBytes` needs: the watchdog would raise NOSPACE
 * long before the quota is reached. The fix is named (`--max-old-space-size` in MiB) or a smaller
 * quota. Undefined when the heap suffices.
 */
export function heapLimitWarning(quotaBytes: number, heapLimitBytes: number): string | undefined {
  const need = heapBytesForQuota(quotaBytes);
  if (heapLimitBytes >= need) return undefined;
  const mib = (b: number): number => Math.ceil(b / (1024 * 1024));
  const fits = Math.max(0, Math.floor((heapLimitBytes - HEAP_BASE_BYTES) / HEAP_BYTES_PER_QUOTA_BYTE));
  const head =
    `--quota-backend-bytes ${quotaBytes} needs about ${mib(need)} MiB of V8 heap, this process has ` +
    `${mib(heapLimitBytes)} MiB: the heap would fill up before the quota (the NOSPACE alarm then comes ` +
    `from the memory watchdog). Start node with --max-old-space-size=${mib(need)} (e.g. NODE_OPTIONS)`;
  return fits > 0 ? `${head}, or use a quota of at most ${fits} bytes` : head;
}
