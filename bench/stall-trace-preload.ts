/**
 * `node --import <dist>/bench/stall-trace-preload.js`: starts bench/stall-trace.ts in every thread
 * of the process (a member's worker included) with the threshold in CONCORD_BENCH_STALL_TRACE_MS.
 * `npm run bench -- scale --trace-stalls MS` adds it to each Concord member.
 */
import { startStallTrace, STALL_TRACE_ENV } from './stall-trace.js';

const thresholdMs = Number(process.env[STALL_TRACE_ENV] ?? '20');
if (Number.isFinite(thresholdMs) && thresholdMs >= 0) await startStallTrace({ thresholdMs });
