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

    it('names the expected cluster in the reason', () => {
      const r = checkHandshake(handshakeHeaders('staging', 1, 2), self);
      expect(r.ok ? '' : r.reason).to.equal('cluster id mismatch: this member is in cluster prod');
    });
  });
});
