/** The console's history diff (recipes/inspect-diff.ts): a line diff checked against its own definition. */
import { expect } from 'chai';
import fc from 'fast-check';
import { diffLines, type DiffLine } from '../../recipes/inspect-diff.js';

const side = (d: readonly DiffLine[], keep: 'removed' | 'added'): string =>
  d
    .filter((l) => l.op === 'same' || l.op === keep)
    .map((l) => l.text)
    .join('\n');

describe('history diff (recipes/inspect-diff.ts)', () => {
  it('marks the changed lines of two JSON documents', () => {
    const d = diffLines(
      '{\n  "host": "a",\n  "port": 1\n}',
      '{\n  "host": "c",\n  "port": 1,\n  "tls": true\n}',
    );
    expect(d.map((l) => `${l.op[0]}${l.text}`)).to.deep.equal([
      's{',
      'r  "host": "a",',
      'r  "port": 1',
      'a  "host": "c",',
      'a  "port": 1,',
      'a  "tls": true',
      's}',
    ]);
  });

  it('gives back both sides exactly, with no more changes than the line counts differ by the LCS', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd', ''), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (x, y) => {
        const a = x.join('\n');
        const b = y.join('\n');
        const d = diffLines(a, b);
        expect(side(d, 'removed')).to.equal(a);
        expect(side(d, 'added')).to.equal(b);
        // minimal: the kept lines are a longest common subsequence
        expect(d.filter((l) => l.op === 'same').length).to.equal(lcsLength(a.split('\n'), b.split('\n')));
      }),
    );
  });

  it('falls back to removed-then-added for a middle too large for the table, still exact', () => {
    const a = Array.from({ length: 3000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 3000 }, (_, i) => `b${i}`).join('\n');
    const d = diffLines(`head\n${a}\ntail`, `head\n${b}\ntail`);
    expect(d[0]).to.deep.equal({ op: 'same', text: 'head' });
    expect(d.at(-1)).to.deep.equal({ op: 'same', text: 'tail' });
    expect(side(d, 'removed')).to.equal(`head\n${a}\ntail`);
    expect(side(d, 'added')).to.equal(`head\n${b}\ntail`);
  });
});

function lcsLength(a: readonly string[], b: readonly string[]): number {
  let prev = new Array<number>(b.length + 1).fill(0);
  for (const x of a) {
    const row = [0];
    for (let j = 0; j < b.length; j++) row.push(x === b[j] ? prev[j]! + 1 : Math.max(prev[j + 1]!, row[j]!));
    prev = row;
  }
  return prev[b.length]!;
}
