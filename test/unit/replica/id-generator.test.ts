import { expect } from 'chai';
import type { Clock } from '../../../server/platform/clock.js';
import { IdGenerator } from '../../../server/replica/id-generator.js';

const clockAt = (ms: number): Clock => ({ nowMs: () => ms });

describe('IdGenerator', () => {
  it('gives safe integer ids from a clock with a fractional part', () => {
    // Found by the simulator: its virtual clock has fractions, and a restarted member's proposals
    // all failed with "bad request id" until the seed was rounded.
    const ids = new IdGenerator(3, clockAt(Date.UTC(2026, 0, 1) + 1234.567));
    for (let i = 0; i < 3; i++) expect(Number.isSafeInteger(ids.next())).to.equal(true);
  });

  it('does not reuse ids across a restart one millisecond later', () => {
    const t = Date.UTC(2026, 0, 1);
    const before = new IdGenerator(3, clockAt(t));
    const issued = new Set(Array.from({ length: 64 }, () => before.next()));
    const after = new IdGenerator(3, clockAt(t + 1));
    expect(issued.has(after.next())).to.equal(false);
  });

  it('keeps the member id in the high bits, so members never collide', () => {
    const t = Date.UTC(2026, 0, 1);
    expect(new IdGenerator(1, clockAt(t)).next()).to.not.equal(new IdGenerator(2, clockAt(t)).next());
  });
});
