import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader, ByteWriter, DecodeError } from '../../../server/mvcc/index.js';

type Item = { kind: 'uint'; v: number } | { kind: 'bytes'; v: Uint8Array } | { kind: 'string'; v: string };

const itemArb: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('uint' as const), v: fc.maxSafeNat() }),
  fc.record({ kind: fc.constant('bytes' as const), v: fc.uint8Array({ maxLength: 100 }) }),
  fc.record({ kind: fc.constant('string' as const), v: fc.string() }),
);

describe('ByteWriter', () => {
  describe('#finish', () => {
    it('reads back what was written, across chunk boundaries', () => {
      fc.assert(
        fc.property(
          fc.array(itemArb, { maxLength: 50 }),
          fc.integer({ min: 1, max: 64 }),
          (items, initial) => {
            const w = new ByteWriter(initial);
            const big = new Uint8Array(1_500_000).map((_, i) => i % 251);
            w.bytes(big);
            for (const it of items) {
              if (it.kind === 'uint') w.uint(it.v);
              else if (it.kind === 'bytes') w.bytes(it.v);
              else w.string(it.v);
            }
            const r = new ByteReader(w.finish());
            expect(r.bytes()).to.deep.equal(big);
            for (const it of items) {
              if (it.kind === 'uint') expect(r.uint()).to.equal(it.v);
              else if (it.kind === 'bytes') expect([...r.bytes()]).to.deep.equal([...it.v]);
              else expect(r.string()).to.equal(it.v);
            }
            r.expectEnd();
          },
        ),
        { numRuns: 20 },
      );
    });
  });
});

describe('ByteReader', () => {
  it('throws DecodeError past the end, on overlong varints and on invalid UTF-8', () => {
    expect(() => new ByteReader(new Uint8Array([0x80])).uint()).to.throw(DecodeError);
    expect(() => new ByteReader(new Uint8Array(9).fill(0xff)).uint()).to.throw(DecodeError);
    expect(() => new ByteReader(new Uint8Array([5, 1, 2])).bytes()).to.throw(DecodeError);
    expect(() => new ByteReader(new Uint8Array([1, 0xff])).string()).to.throw(DecodeError);
  });
});
