/**
 * What the crash child writes, shared with the parent that checks it: entry `index` carries
 * `payloadFor(index)`, a deterministic function of the index alone, so the parent can tell a
 * genuine record from an invented or damaged one.
 */
import { SeededRandom } from '../../server/platform/random.js';

export const CRASH_CLUSTER = { clusterId: 'crash-test', memberId: 1 } as const;
export const CRASH_SEGMENT_BYTES = 64 * 1024;
export const CRASH_SNAPSHOT_EVERY = 400;

export function payloadFor(index: number): Uint8Array {
  const random = new SeededRandom(index);
  const out = new Uint8Array(8 + random.int(400));
  for (let i = 0; i < out.length; i++) out[i] = random.int(256);
  return out;
}

export function snapshotDataFor(index: number): Uint8Array {
  return new TextEncoder().encode(`state-machine@${index}`);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
