/** Helpers of the in-process micro-benchmarks (grpc-bridge, ws-bodies). */

/** CPU time (user + system) per call of `fn`, µs: on a loaded machine, wall time would count other processes. */
export function cpuMicrosPerCall(fn: () => unknown, iterations: number): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / iterations;
}
