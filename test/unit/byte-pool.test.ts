import { expect } from 'chai';
import { BytePool } from '../../server/byte-pool.js';

describe('BytePool', () => {
  it('carves zeroed, disjoint, 8-byte aligned arrays from one block until it is full', () => {
    const pool = new BytePool(64);
    const a = pool.alloc(10);
    const b = pool.alloc(20);
    expect(a.buffer).to.equal(b.buffer);
    expect([a.byteOffset, b.byteOffset]).to.deep.equal([0, 16]);
    a.fill(1);
    expect([...b]).to.deep.equal(new Array(20).fill(0));
    const c = pool.alloc(30); // 16 + 24 + 30 > 64: a new block
    expect(c.buffer).not.to.equal(a.buffer);
    expect([c.byteOffset, c.length]).to.deep.equal([0, 30]);
  });

  it('gives an array over half a block its own buffer, leaving the block as it was', () => {
    const pool = new BytePool(64);
    const a = pool.alloc(8);
    const big = pool.alloc(33);
    expect(big.buffer).not.to.equal(a.buffer);
    expect(big.byteLength).to.equal(big.buffer.byteLength);
    expect(pool.alloc(8).buffer).to.equal(a.buffer);
  });

  it('copies bytes into the shared block', () => {
    const pool = new BytePool(64);
    const first = pool.alloc(4);
    const src = new Uint8Array([5, 6, 7]);
    const copy = pool.copyOf(src);
    src[0] = 0;
    expect([...copy]).to.deep.equal([5, 6, 7]);
    expect(copy.buffer).to.equal(first.buffer);
  });

  it('hands out empty arrays', () => {
    expect(new BytePool(64).alloc(0).length).to.equal(0);
  });

  it('rejects a block size that is not an integer of at least 16', () => {
    for (const n of [0, 15, 16.5]) expect(() => new BytePool(n)).to.throw(RangeError);
  });
});
