/**
 * A line diff of two values of a key (the console's history diff): common lines kept, the rest
 * marked removed (only in the older) or added (only in the newer). Longest common subsequence
 * over the lines left after trimming the common head and tail; when that middle is too large for
 * the quadratic table, the middle is shown as wholly removed then added (still correct, less
 * precise), so a huge value never stalls the page.
 */

export interface DiffLine {
  readonly op: 'same' | 'removed' | 'added';
  readonly text: string;
}

/** Largest LCS table (cells) computed; 4M cells of 4 bytes is 16 MB, a few tens of ms. */
const MAX_CELLS = 4_000_000;

export function diffLines(older: string, newer: string): readonly DiffLine[] {
  const a = older.split('\n');
  const b = newer.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const same = (t: string): DiffLine => ({ op: 'same', text: t });
  return [...a.slice(0, head).map(same), ...diffMiddle(midA, midB), ...a.slice(a.length - tail).map(same)];
}

function diffMiddle(a: readonly string[], b: readonly string[]): DiffLine[] {
  const removed = (t: string): DiffLine => ({ op: 'removed', text: t });
  const added = (t: string): DiffLine => ({ op: 'added', text: t });
  if (a.length === 0 || b.length === 0 || (a.length + 1) * (b.length + 1) > MAX_CELLS)
    return [...a.map(removed), ...b.map(added)];
  // lcs[i][j]: length of the LCS of a[i..] and b[j..], in one flat table
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i]! });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!) out.push(removed(a[i++]!));
    else out.push(added(b[j++]!));
  }
  while (i < a.length) out.push(removed(a[i++]!));
  while (j < b.length) out.push(added(b[j++]!));
  return out;
}
