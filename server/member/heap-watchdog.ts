/**
 * The memory watchdog: raises the NOSPACE alarm before the V8 heap runs out.
 *
 * The space quota counts bytes of keys and values, and the member's heap is sized from it at start
 * (cli/heap-plan.ts), but the heap also holds what the quota does not count (Raft log entries not
 * yet snapshotted, watchers, leases, requests in flight), the bytes-per-record estimate is only
 * typical, and an embedded member or an operator may run with a smaller heap. So every member
 * watches its own heap: when the old generation is more than `alarmFraction` of its limit, it
 * raises NOSPACE under its own id through Raft, exactly as a refused write does (backend.ts), and
 * every member then refuses writes that add data while reads, deletes and compaction still work.
 *
 * What is live is measured after a full GC: between two of them the heap also holds garbage,
 * which V8 lets grow close to the limit, so the heap in use right now would raise the alarm with
 * half the heap live. The estimate is "in use now, but no more than the last full GC left": both
 * bound the live bytes from above. A full GC always runs before V8 gives up, and it is frequent
 * near the limit, so the alarm comes in time; the margin above the threshold covers what is in
 * flight meanwhile.
 */
import type { AlarmSet, ApplyResult } from '../apply/index.js';
import type { MetricsRegistry } from '../api/metrics.js';
import type { Logger } from '../platform/logger.js';
import type { Replica } from '../replica/index.js';
import { registerGcMetrics } from './gc-metrics.js';
import { proposeCommand } from './propose.js';
import type { HeapProbe } from './v8-heap.js';

export interface HeapWatchdogPorts {
  readonly replica: Pick<Replica<ApplyResult>, 'propose' | 'onTick'>;
  readonly alarms: Pick<AlarmSet, 'has'>;
  readonly memberId: number;
  readonly logger: Logger;
  readonly heap: HeapProbe;
  /** Share of the old generation's limit (0–1) past which NOSPACE is raised; 0 disables. */
  readonly alarmFraction: number;
}

export class HeapWatchdog {
  private liveAfterFullGc: number | undefined;
  private raising = false;
  private failureLogged = false;
  private closed = false;
  private readonly unsubscribe: (() => void)[] = [];
  /** Old-generation bytes past which the alarm is raised (Infinity: disabled). */
  readonly thresholdBytes: number;

  constructor(private readonly ports: HeapWatchdogPorts) {
    const { heap, alarmFraction } = ports;
    this.thresholdBytes =
      alarmFraction > 0 ? Math.floor(heap.oldGenerationLimitBytes * Math.min(1, alarmFraction)) : Infinity;
    if (this.thresholdBytes === Infinity) return;
    this.unsubscribe.push(
      heap.onFullGc(() => {
        this.liveAfterFullGc = heap.oldGenerationUsedBytes();
        this.check();
      }),
      // The tick retries a raise that failed (no leader yet) and notices a disarmed alarm.
      ports.replica.onTick(() => this.check()),
    );
  }

  /** What the member logs at start: the heap's limits and where the alarm fires. */
  describe(): Record<string, number | string> {
    const { heap } = this.ports;
    return {
      heapLimitBytes: heap.heapLimitBytes,
      oldGenerationLimitBytes: heap.oldGenerationLimitBytes,
      alarmAtBytes: Number.isFinite(this.thresholdBytes) ? this.thresholdBytes : 'disabled',
    };
  }

  /** Old-generation bytes taken to be live (an upper bound; see the header). */
  liveBytes(): number {
    const now = this.ports.heap.oldGenerationUsedBytes();
    return this.liveAfterFullGc === undefined ? now : Math.min(now, this.liveAfterFullGc);
  }

  /** Raises NOSPACE if the heap is past the threshold and no NOSPACE alarm is raised yet. */
  check(): void {
    if (this.closed || this.raising || this.ports.alarms.has('noSpace')) return;
    // Cheap on most ticks: below the threshold after the last full GC means below it now.
    if (this.liveAfterFullGc !== undefined && this.liveAfterFullGc < this.thresholdBytes) return;
    const live = this.liveBytes();
    if (live < this.thresholdBytes) return;
    this.raise(live);
  }

  private raise(liveBytes: number): void {
    const { logger, memberId, heap } = this.ports;
    const fields = {
      liveBytes,
      thresholdBytes: this.thresholdBytes,
      oldGenerationLimitBytes: heap.oldGenerationLimitBytes,
    };
    this.raising = true;
    proposeCommand(this.ports.replica, { type: 'alarmActivate', memberId, alarm: 'noSpace' })
      .then((result) => {
        if (result.status !== 'ok') throw new Error(`the alarm's entry was ${result.status}`);
        this.failureLogged = false;
        logger.warn('heap nearly full: NOSPACE alarm raised', fields);
      })
      .catch((error: unknown) => {
        // Retried on the next tick; said once per run of failures.
        if (this.failureLogged) return;
        this.failureLogged = true;
        logger.warn('heap nearly full; raising the NOSPACE alarm failed', { ...fields, error });
      })
      .finally(() => {
        this.raising = false;
      });
  }

  /** The watchdog's gauges, and the member's GC pauses and heap size (gc-metrics.ts). */
  registerMetrics(registry: MetricsRegistry): void {
    if (!this.closed) this.unsubscribe.push(registerGcMetrics(registry));
    const { heap } = this.ports;
    const limit = registry.gauge(
      'concord_server_heap_limit_bytes',
      "This member's V8 heap limit (old and young generation).",
    );
    const live = registry.gauge(
      'concord_server_heap_live_bytes',
      'Old-generation heap bytes taken to be live (after the last full GC).',
    );
    const threshold = registry.gauge(
      'concord_server_heap_alarm_threshold_bytes',
      'Old-generation heap bytes past which this member raises NOSPACE (0: disabled).',
    );
    registry.addCollector(() => {
      limit.set(heap.heapLimitBytes);
      live.set(this.liveBytes());
      threshold.set(Number.isFinite(this.thresholdBytes) ? this.thresholdBytes : 0);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
