/**
 * Segment file names: `<seq>-<firstIndex>.wal`, both as 16 hex digits, so that lexical order is
 * numeric order. `seq` counts segments from 0 without gaps (a gap means a lost file);
 * `firstIndex` is the index the next entry was expected to have when the segment was cut
 * (last live index + 1). Every live entry of segment k is below firstIndex(k + 1), which is what
 * lets a snapshot at index S release segment k once firstIndex(k + 1) ≤ S + 1.
 */
export interface SegmentName {
  readonly seq: number;
  readonly firstIndex: number;
}

const PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function formatSegmentName(name: SegmentName): string {
  return `${hex16(name.seq)}-${hex16(name.firstIndex)}.wal`;
}

export function maybeParseSegmentName(file: string): SegmentName | undefined {
  const m = PATTERN.exec(file);
  if (m === null) return undefined;
  const seq = Number.parseInt(m[1] as string, 16);
  const firstIndex = Number.parseInt(m[2] as string, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return undefined;
  return { seq, firstIndex };
}

export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}
