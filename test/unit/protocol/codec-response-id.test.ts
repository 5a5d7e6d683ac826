import { expect } from 'chai';
import { decodeServerFrame, ProtocolError } from '../../../client/protocol/index.js';

describe('decodeServerFrame', () => {
  context('when a response result does not decode', () => {
    it('keeps the request id on the error, so the client can fail that request', () => {
      const frame = JSON.stringify({ type: 'response', id: 7, result: { kvs: 'not-a-list' } });
      const decoded = decodeServerFrame(frame, (id) => (id === 7 ? 'kv.range' : undefined));
      expect(decoded).to.be.instanceOf(ProtocolError);
      expect((decoded as ProtocolError).requestId).to.equal(7);
    });
  });
});
