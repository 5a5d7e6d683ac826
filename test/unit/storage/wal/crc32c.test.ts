import { expect } from 'chai';
import { SeededRandom } from '../../../../server/platform/random.js';
import { crc32c } from '../../../../server/storage/wal/crc32c.js';
import { randomBytes } from '../helpers.js';

/** Bit-at-a-time reference, independent of the table-driven implementation. */
function reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('crc32c', () => {
  it('computes the standard check value for "123456789"', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).to.equal(0xe3069283);
  });

  it('matches a bitwise reference on random inputs of every length up to 80', () => {
    const random = new SeededRandom(1);
    for (let n = 0; n <= 80; n++) {
      const data = randomBytes(random, n);
      expect(crc32c(data), `length ${n}`).to.equal(reference(data));
    }
  });

  it('chains: crc(b, crc(a)) equals crc(a ‖ b)', () => {
    const random = new SeededRandom(2);
    const a = randomBytes(random, 37);
    const b = randomBytes(random, 91);
    const ab = new Uint8Array(128);
    ab.set(a);
    ab.set(b, 37);
    expect(crc32c(b, crc32c(a))).to.equal(crc32c(ab));
  });

  it('computes over a sub-range', () => {
    const data = Uint8Array.of(9, 9, 1, 2, 3, 9);
    expect(crc32c(data, 0, 2, 5)).to.equal(crc32c(Uint8Array.of(1, 2, 3)));
  });
});
