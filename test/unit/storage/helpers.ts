/** Builders shared by the storage tests. */
import type { Entry, HardState } from '../../../server/raft/types.js';
import type { SeededRandom } from '../../../server/platform/random.js';

export function entry(index: number, term: number, data: Uint8Array | string = `e${index}t${term}`): Entry {
  return {
    index,
    term,
    type: 'normal',
    data: typeof data === 'string' ? new TextEncoder().encode(data) : data,
  };
}

export function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, term));
  return out;
}

export function hs(term: number, vote: number, commit: number): HardState {
  return { term, vote, commit };
}

export function randomBytes(random: SeededRandom, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = random.int(256);
  return out;
}

export class CollectingLogger {
  readonly warnings: string[] = [];
  warn(message: string): void {
    this.warnings.push(message);
  }
}
