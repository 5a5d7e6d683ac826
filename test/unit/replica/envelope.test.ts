import { expect } from 'chai';
import { decodeEnvelope, encodeEnvelope, EnvelopeKind } from '../../../server/replica/envelope.js';

describe('envelope', () => {
  it('round-trips from a view inside a shared block (entries do not own an ArrayBuffer each)', () => {
    const first = encodeEnvelope(7, new Uint8Array([1, 2, 3]));
    const second = encodeEnvelope(2 ** 40 + 5, new Uint8Array([9]), EnvelopeKind.MemberAttributes);
    expect(second.buffer).to.equal(first.buffer);
    expect(second.byteOffset).to.be.greaterThan(0);
    const a = decodeEnvelope(first);
    const b = decodeEnvelope(second);
    expect([a.kind, a.requestId, [...a.command]]).to.deep.equal([EnvelopeKind.Command, 7, [1, 2, 3]]);
    expect([b.kind, b.requestId, [...b.command]]).to.deep.equal([
      EnvelopeKind.MemberAttributes,
      2 ** 40 + 5,
      [9],
    ]);
  });
});
