/**
 * The member's garbage collections and heap as Prometheus metrics: how long each GC paused the
 * member's thread (the isolate the member runs in: `concord serve`'s worker, or the embedding
 * process), by kind, and the heap's size. A put that waits behind a GC pause is late by that
 * pause, so these are what a latency tail is compared with (docs/performance.md, "p99 and memory
 * as the data grows"; `npm run bench -- scale` reads them from the leader per chunk).
 *
 * Node reports every GC as a `gc` performance entry after it ran; its duration is the pause of
 * this thread (concurrent marking and sweeping on helper threads is not in it, the incremental
 * steps and the final atomic pause are).
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { exponentialBuckets, type MetricsRegistry } from '../api/metrics.js';

/** A GC's kind as the metrics label it (Node's `detail.kind` flags). */
export function gcKindLabel(kind: number | undefined): string {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return 'minor';
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return 'major';
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return 'incremental';
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return 'weak';
    default:
      return 'other';
  }
}

/** Pause buckets: 0.5 ms to ~2 s, doubling (what a put's latency tail is made of). */
export const GC_PAUSE_BUCKETS_SECONDS = exponentialBuckets(0.0005, 2, 13);

/** Registers the GC and heap metrics; returns how to stop observing. */
export function registerGcMetrics(registry: MetricsRegistry): () => void {
  const pauses = registry.histogram(
    'concord_server_gc_pause_seconds',
    "Pauses of the member's thread by the V8 garbage collector.",
    GC_PAUSE_BUCKETS_SECONDS,
  );
  const byKind = registry.counter(
    'concord_server_gc_pause_seconds_total',
    "Time the member's thread spent paused by the V8 garbage collector, by kind of GC.",
  );
  const used = registry.gauge('concord_server_heap_used_bytes', 'V8 heap in use (live and garbage).');
  const committed = registry.gauge(
    'concord_server_heap_committed_bytes',
    'V8 heap memory reserved from the operating system.',
  );
  const external = registry.gauge(
    'concord_server_heap_external_bytes',
    'Memory held outside the V8 heap by its objects (ArrayBuffers).',
  );
  // By space: what the young generation holds against the old, which the totals hide (a busy
  // member keeps its grown semi-spaces committed: docs/operations.md, "Memory").
  const spaceUsed = registry.gauge('concord_server_heap_space_used_bytes', 'V8 heap in use, by heap space.');
  const spaceCommitted = registry.gauge(
    'concord_server_heap_space_committed_bytes',
    'V8 heap memory reserved from the operating system, by heap space.',
  );
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const seconds = entry.duration / 1000;
      pauses.observe(seconds);
      byKind.inc(seconds, { kind: gcKindLabel((entry as { detail?: { kind?: number } }).detail?.kind) });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  registry.addCollector(() => {
    const s = getHeapStatistics();
    used.set(s.used_heap_size);
    committed.set(s.total_heap_size);
    external.set(s.external_memory);
    for (const space of getHeapSpaceStatistics()) {
      spaceUsed.set(space.space_used_size, { space: space.space_name });
      spaceCommitted.set(space.space_size, { space: space.space_name });
    }
  });
  return () => observer.disconnect();
}
