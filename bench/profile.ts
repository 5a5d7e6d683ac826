/**
 * Summary of a V8 .cpuprofile (what `node --cpu-prof` writes): self time per function and per
 * file, heaviest first.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

export interface Cost {
  readonly name: string;
  readonly selfMs: number;
  readonly percent: number;
}

function shortUrl(url: string): string {
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const n = url.lastIndexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 1);
  return url.replace(/^file:\/\//, '');
}

/** Self time by function ("name file:line") and by file, the `top` heaviest of each. */
export function summarizeProfile(
  p: CpuProfile,
  top = 25,
): { totalMs: number; functions: Cost[]; files: Cost[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    // V8 attributes a sample's time to the next delta.
    const us = deltas[i + 1] ?? 0;
    if (node === undefined) continue;
    totalUs += us;
    const cf = node.callFrame;
    const f = cf.url === '' ? '(native)' : shortUrl(cf.url);
    const name = `${cf.functionName === '' ? '(anonymous)' : cf.functionName} ${f}${cf.url === '' ? '' : `:${cf.lineNumber + 1}`}`;
    fn.set(name, (fn.get(name) ?? 0) + us);
    file.set(f, (file.get(f) ?? 0) + us);
  }
  const rank = (m: Map<string, number>): Cost[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: totalUs > 0 ? (100 * us) / totalUs : 0 }));
  return { totalMs: totalUs / 1000, functions: rank(fn), files: rank(file) };
}
