import { expect } from 'chai';
import { API_DEFAULTS, InvalidConfigError, resolveApiLimits } from '../../../server/api/options.js';
import { rechunk } from '../../../server/api/rechunk.js';

describe('resolveApiLimits', () => {
  it('fills in the protocol and server defaults', () => {
    const limits = resolveApiLimits();
    expect(limits).to.include({ maxFrameBytes: 8 * 1024 * 1024, maxInFlightRequests: 1024, ...API_DEFAULTS });
  });

  it('shrinks the default snapshot chunk to fit a smaller frame', () => {
    const limits = resolveApiLimits({ maxFrameBytes: 100_000, maxRequestBytes: 16_000 });
    expect(limits.snapshotChunkBytes).to.equal(Math.floor(((100_000 - 65_536) * 3) / 4));
  });

  for (const [overrides, field] of [
    [{ maxInFlightRequests: 0 }, 'maxInFlightRequests'],
    [{ pingIntervalMs: -1 }, 'pingIntervalMs'],
    [{ progressIntervalMs: 1.5 }, 'progressIntervalMs'],
    [{ maxOutgoingBufferBytes: 1024 }, 'maxOutgoingBufferBytes'],
    [{ pingIntervalMs: 1000, pingTimeoutMs: 10 }, 'pingTimeoutMs'],
    [{ maxFrameBytes: 1000 }, 'maxFrameBytes'],
    [{ snapshotChunkBytes: 8 * 1024 * 1024 }, 'snapshotChunkBytes'],
  ] as const) {
    it(`rejects ${JSON.stringify(overrides)} naming ${field}`, () => {
      expect(() => resolveApiLimits(overrides))
        .to.throw(InvalidConfigError)
        .with.property('field', field);
    });
  }
});

describe('rechunk', () => {
  async function collect(pieces: number[], chunk: number): Promise<number[]> {
    async function* source(): AsyncIterable<Uint8Array> {
      let n = 0;
      for (const len of pieces) yield new Uint8Array(len).map(() => n++ % 256);
    }
    const out: Uint8Array[] = [];
    for await (const c of rechunk(source(), chunk)) out.push(c.slice());
    const all = Buffer.concat(out);
    expect([...all].every((b, i) => b === i % 256)).to.equal(true);
    return out.map((c) => c.length);
  }

  it('cuts uneven pieces into full chunks and a shorter last one', async () => {
    expect(await collect([7, 3, 12, 1], 5)).to.deep.equal([5, 5, 5, 5, 3]);
    expect(await collect([10], 5)).to.deep.equal([5, 5]);
    expect(await collect([], 5)).to.deep.equal([]);
  });
});
