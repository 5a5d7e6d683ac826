import { expect } from 'chai';
import fc from 'fast-check';
import {
  compareBytes,
  keyFromString,
  keyToString,
  prefixEnd,
  rangesOverlap,
  toKeyRange,
} from '../../../server/mvcc/index.js';
import { dec, enc } from './helpers.js';

describe('key-bytes', () => {
  describe('#keyToString', () => {
    it('orders binary strings exactly like the bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), (a, b) => {
          const sa = keyToString(a);
          const sb = keyToString(b);
          expect(Math.sign(sa < sb ? -1 : sa > sb ? 1 : 0)).to.equal(Math.sign(compareBytes(a, b)));
          expect([...keyFromString(sa)]).to.deep.equal([...a]);
        }),
      );
    });

    it('round-trips keys longer than one conversion chunk', () => {
      const big = new Uint8Array(20000).map((_, i) => i % 251);
      expect([...keyFromString(keyToString(big))]).to.deep.equal([...big]);
    });
  });

  describe('#prefixEnd', () => {
    it('increments the last byte below 0xff and drops what follows', () => {
      expect(dec(prefixEnd(enc('abc')))).to.equal('abd');
      expect(dec(prefixEnd(enc('a\xff\xff')))).to.equal('b');
    });
    it('returns "\\0" (every key ≥ prefix) when every byte is 0xff or the prefix is empty', () => {
      expect([...prefixEnd(enc('\xff\xff'))]).to.deep.equal([0]);
      expect([...prefixEnd(new Uint8Array(0))]).to.deep.equal([0]);
    });
  });

  describe('#rangesOverlap', () => {
    it('tells overlapping from disjoint and empty ranges', () => {
      expect(rangesOverlap(toKeyRange(enc('a'), enc('c')), toKeyRange(enc('b'), undefined))).to.equal(true);
      expect(rangesOverlap(toKeyRange(enc('a'), enc('c')), toKeyRange(enc('c'), undefined))).to.equal(false);
      expect(
        rangesOverlap(toKeyRange(enc('a'), enc('c')), toKeyRange(enc('b'), new Uint8Array([0]))),
      ).to.equal(true);
      expect(rangesOverlap(toKeyRange(enc('c'), enc('a')), toKeyRange(enc('a'), enc('z')))).to.equal(false);
    });
  });
});
