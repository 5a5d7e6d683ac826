import { expect } from 'chai';
import { ProtocolError } from '../../../client/protocol/index.js';
import { NotLeaderError } from '../../../server/api/backend.js';
import { etcdMessage, toErrorBody } from '../../../server/api/errors.js';
import { ServerError, timeout } from '../../../server/errors.js';
import { LeaseNotFoundError, NotPrimaryError } from '../../../server/lease/index.js';
import { CompactedError, FutureRevisionError, RequestTooLargeError } from '../../../server/mvcc/index.js';

describe('toErrorBody', () => {
  context("when the error is one of the state machine's", () => {
    it('keeps the code and reads compact_revision, current_revision and limit', () => {
      expect(toErrorBody(new CompactedError(9))).to.deep.include({
        code: 'COMPACTED',
        details: { compactRevision: 9 },
      });
      expect(toErrorBody(new FutureRevisionError(12, 10))).to.deep.include({
        code: 'FUTURE_REVISION',
        details: { currentRevision: 10 },
      });
      expect(toErrorBody(new RequestTooLargeError(10, 5))).to.deep.include({
        code: 'REQUEST_TOO_LARGE',
        details: { limit: 5 },
      });
      expect(toErrorBody(new LeaseNotFoundError(7)).code).to.equal('LEASE_NOT_FOUND');
      expect(toErrorBody(new NotPrimaryError()).code).to.equal('NOT_LEADER');
    });
  });

  context('when the error is NotLeaderError', () => {
    it('carries the leader id and its client URLs', () => {
      expect(toErrorBody(new NotLeaderError(5, ['https://m5:2379']))).to.deep.include({
        code: 'NOT_LEADER',
        details: { leaderId: 5, leaderClientUrls: ['https://m5:2379'] },
      });
    });
  });

  context('when the error is a ServerError or ProtocolError', () => {
    it('keeps its code and details', () => {
      expect(toErrorBody(timeout('lost leader')).code).to.equal('TIMEOUT');
      expect(toErrorBody(new ServerError('UNAVAILABLE', 'no leader', true))).to.deep.equal({
        code: 'UNAVAILABLE',
        message: 'no leader',
        details: {},
      });
      expect(
        toErrorBody(new ProtocolError('INVALID_ARGUMENT', 'bad', { field: 'params.key' })).details,
      ).to.deep.equal({
        field: 'params.key',
      });
    });
  });

  context('when the error has no known code', () => {
    it('answers INTERNAL without leaking the message and reports it once', () => {
      const seen: unknown[] = [];
      const boom = new Error('secret stack detail');
      expect(toErrorBody(boom, (e) => seen.push(e))).to.deep.equal({
        code: 'INTERNAL',
        message: 'internal error',
        details: {},
      });
      expect(toErrorBody('a string', (e) => seen.push(e)).code).to.equal('INTERNAL');
      expect(toErrorBody({ code: 'EPIPE' }, (e) => seen.push(e)).code).to.equal('INTERNAL');
      expect(seen).to.have.length(3);
    });

    it('answers UNAVAILABLE for an aborted call', () => {
      const ac = new AbortController();
      ac.abort();
      expect(toErrorBody(ac.signal.reason).code).to.equal('UNAVAILABLE');
    });
  });
});

describe('etcdMessage', () => {
  it("uses etcd's text where etcd has the error, Concord's otherwise", () => {
    expect(etcdMessage({ code: 'COMPACTED', message: 'x', details: {} })).to.equal(
      'etcdserver: mvcc: required revision has been compacted',
    );
    expect(
      etcdMessage({ code: 'INVALID_ARGUMENT', message: 'key: key is not provided', details: {} }),
    ).to.equal('etcdserver: key is not provided');
    expect(etcdMessage({ code: 'SLOW_WATCHER', message: 'too slow', details: {} })).to.equal('too slow');
  });
});
