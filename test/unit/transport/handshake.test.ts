import { expect } from 'chai';
import { checkHandshake, CloseCode, handshakeHeaders } from '../../../server/transport/handshake.js';

const self = { clusterId: 'prod', memberId: 2 };

describe('handshake', () => {
  describe('#checkHandshake', () => {
    it('accepts the headers a peer of the same cluster sends', () => {
      expect(checkHandshake(handshakeHeaders('prod', 1, 2), self)).to.deep.equal({ ok: true, from: 1 });
    });

    const cases: [string, Record<string, string>, number][] = [
      ['another cluster', handshakeHeaders('staging', 1, 2), CloseCode.ClusterIdMismatch],
      ['another target member', handshakeHeaders('prod', 1, 3), CloseCode.WrongTarget],
      [
        'a missing version',
        { ...handshakeHeaders('prod', 1, 2), 'x-concord-peer-version': '' },
        CloseCode.UnsupportedVersion,
      ],
      [
        'a future version',
        { ...handshakeHeaders('prod', 1, 2), 'x-concord-peer-version': '3' },
        CloseCode.UnsupportedVersion,
      ],
      [
        'a non-numeric sender',
        { ...handshakeHeaders('prod', 1, 2), 'x-concord-from': '1e3' },
        CloseCode.PeerRejected,
      ],
      ['sender 0', handshakeHeaders('prod', 0, 2), CloseCode.PeerRejected],
      ['itself as sender', handshakeHeaders('prod', 2, 2), CloseCode.PeerRejected],
    ];
    for (const [name, headers, code] of cases) {
      it(`refuses ${name}`, () => {
        const r = checkHandshake(headers, self);
        expect(r.ok).to.equal(false);
        if (!r.ok) {
          expect(r.code).to.equal(code);
          expect(Buffer.byteLength(r.reason)).to.be.at.most(123); // fits a WebSocket close frame
        }
      });
    }

    it('names the failed check but neither its cluster id nor its member id', () => {
      for (const headers of [handshakeHeaders('staging', 1, 2), handshakeHeaders('prod', 1, 3)]) {
        const r = checkHandshake(headers, self);
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.reason).to.be.oneOf(['cluster id mismatch', 'wrong target member']);
      }
    });

    it('accepts only the ids of current members when it knows them', () => {
      const members = new Set([1, 3]);
      const known = { ...self, isMember: (id: number) => members.has(id) };
      expect(checkHandshake(handshakeHeaders('prod', 3, 2), known)).to.deep.equal({ ok: true, from: 3 });
      const r = checkHandshake(handshakeHeaders('prod', 7, 2), known);
      expect(r).to.deep.equal({
        ok: false,
        code: CloseCode.PeerRejected,
        reason: 'sender is not a member of this cluster',
      });
    });
  });
});
