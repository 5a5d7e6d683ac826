import { expect } from 'chai';
import fc from 'fast-check';
import { PeerProtocolError, PeerProtocolErrorCode } from '../../../server/transport/errors.js';
import { ByteReader, ByteWriter } from '../../../server/transport/wire.js';

function varint(n: number): number[] {
  const w = new ByteWriter(1);
  w.uvarint(n);
  return [...w.finish()];
}

describe('ByteWriter / ByteReader', () => {
  describe('#uvarint', () => {
    it('encodes boundaries in the expected number of bytes', () => {
      expect(varint(0)).to.deep.equal([0]);
      expect(varint(127)).to.deep.equal([127]);
      expect(varint(128)).to.deep.equal([0x80, 1]);
      expect(varint(300)).to.deep.equal([0xac, 0x02]);
      expect(varint(Number.MAX_SAFE_INTEGER)).to.have.length(8);
    });

    it('round-trips every safe integer (property)', () => {
      fc.assert(
        fc.property(fc.maxSafeNat(), (n) => {
          expect(new ByteReader(new Uint8Array(varint(n))).uvarint('n')).to.equal(n);
        }),
      );
    });

    it('refuses a 9-byte varint', () => {
      const r = new ByteReader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]));
      expect(() => r.uvarint('n'))
        .to.throw(PeerProtocolError)
        .with.property('code', PeerProtocolErrorCode.BadValue);
    });
  });

  describe('#bytes', () => {
    it('returns a copy, not a view of the input', () => {
      const input = Buffer.from([2, 7, 8]);
      const out = new ByteReader(input).bytes('b');
      input[1] = 0;
      expect([...out]).to.deep.equal([7, 8]);
      expect(Buffer.isBuffer(out)).to.equal(false);
    });

    it('refuses a length over the limit', () => {
      expect(() => new ByteReader(new Uint8Array([5, 1, 2, 3, 4, 5])).bytes('b', 4))
        .to.throw(PeerProtocolError)
        .with.property('code', PeerProtocolErrorCode.TooLarge);
    });
  });

  describe('#string', () => {
    it('keeps a leading byte order mark (canonical round trip)', () => {
      const w = new ByteWriter();
      w.string('\uFEFFx');
      expect(new ByteReader(w.finish()).string('s', 100)).to.equal('\uFEFFx');
    });
  });
});
