/**
 * etcd's MemberAdd / MemberRemove / MemberPromote messages (api/etcdserverpb/rpc.proto): field
 * names and order as etcd's gateway writes them, request validation, methods and gateway routes.
 * (Random round trips of the same messages run with every method in codec.test.ts.)
 */
import { expect } from 'chai';
import { decodeClientFrame, decodeMessage } from '../../../client/protocol/codec.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import { gatewayRoute } from '../../../client/protocol/gateway.js';
import * as M from '../../../client/protocol/messages.js';
import { METHODS } from '../../../client/protocol/methods.js';

const HEADER = '{"cluster_id":"83693579166427","member_id":"38068136527285","raft_term":"2"}';

function decoded<T>(result: T | ProtocolError): T {
  if (result instanceof ProtocolError) throw new Error(`unexpected ${result.code}: ${result.message}`);
  return result;
}

function failure(result: unknown): ProtocolError {
  expect(result).to.be.instanceOf(ProtocolError);
  return result as ProtocolError;
}

const request = (method: string, params: unknown): string =>
  JSON.stringify({ type: 'request', id: 3, method, params });

describe('membership messages', () => {
  describe('METHODS', () => {
    it('serves the three methods on etcd gateway paths, none idempotent nor streaming', () => {
      const expected = {
        'cluster.memberAdd': '/v3/cluster/member/add',
        'cluster.memberRemove': '/v3/cluster/member/remove',
        'cluster.memberPromote': '/v3/cluster/member/promote',
      } as const;
      for (const [method, path] of Object.entries(expected)) {
        const spec = METHODS[method as keyof typeof expected];
        expect(spec.gatewayPath, method).to.equal(path);
        expect(spec.idempotent, method).to.equal(false);
        expect(spec.stream, method).to.equal(undefined);
        expect(gatewayRoute(path)).to.deep.equal({ kind: 'method', method });
        expect(gatewayRoute(path.replace('/v3/', '/v3beta/'))).to.deep.equal({ kind: 'method', method });
      }
      expect(gatewayRoute('/v3/cluster/member/update')).to.deep.equal({
        kind: 'method',
        method: 'cluster.memberUpdate',
      });
    });
  });

  describe('MemberAddRequest', () => {
    it("decodes the body of etcd's curl example with peerURLs and isLearner", () => {
      const add = decoded(
        decodeMessage(M.MEMBER_ADD_REQUEST, { peerURLs: ['http://10.0.0.4:2380'], isLearner: true }),
      );
      expect(add).to.deep.equal({ peerUrls: ['http://10.0.0.4:2380'], isLearner: true });
    });

    it('defaults isLearner to false and encodes it by omission', () => {
      const add = decoded(decodeMessage(M.MEMBER_ADD_REQUEST, { peerURLs: ['https://h:1', 'https://h:2/'] }));
      expect(add.isLearner).to.equal(false);
      expect(JSON.stringify(M.MEMBER_ADD_REQUEST.toWire(add))).to.equal(
        '{"peerURLs":["https://h:1","https://h:2/"]}',
      );
    });

    const bad: [string, unknown, string][] = [
      ['no peer URLs', {}, 'params.peerURLs'],
      ['an empty list', { peerURLs: [] }, 'params.peerURLs'],
      ['a URL without a scheme', { peerURLs: ['10.0.0.4:2380'] }, 'params.peerURLs[0]'],
      ['a URL with a path', { peerURLs: ['http://10.0.0.4:2380', 'http://h:1/x'] }, 'params.peerURLs[1]'],
      ['a unix URL', { peerURLs: ['unix://sock'] }, 'params.peerURLs[0]'],
      ['the same URL twice', { peerURLs: ['http://h:1', 'http://h:1'] }, 'params.peerURLs'],
      [
        'more than MAX_MEMBER_PEER_URLS URLs',
        { peerURLs: Array.from({ length: M.MAX_MEMBER_PEER_URLS + 1 }, (_, i) => `http://h:${i + 1}`) },
        'params.peerURLs',
      ],
      ['a URL that is not a string', { peerURLs: [7] }, 'params.peerURLs[0]'],
    ];
    for (const [name, params, field] of bad) {
      context(`when given ${name}`, () => {
        it(`returns INVALID_ARGUMENT naming ${field}`, () => {
          const err = failure(decodeClientFrame(request('cluster.memberAdd', params)));
          expect(err.code, err.message).to.equal('INVALID_ARGUMENT');
          expect(err.field, err.message).to.equal(field);
          expect(err.requestId).to.equal(3);
        });
      });
    }

    it('accepts exactly MAX_MEMBER_PEER_URLS URLs', () => {
      const peerURLs = Array.from({ length: M.MAX_MEMBER_PEER_URLS }, (_, i) => `http://h:${i + 1}`);
      expect(decodeClientFrame(request('cluster.memberAdd', { peerURLs }))).to.not.be.instanceOf(
        ProtocolError,
      );
    });
  });

  describe('MemberRemoveRequest and MemberPromoteRequest', () => {
    for (const method of ['cluster.memberRemove', 'cluster.memberPromote']) {
      context(`when ${method} has no ID (or 0)`, () => {
        it('returns INVALID_ARGUMENT naming params.ID', () => {
          for (const params of [{}, { ID: '0' }, { ID: 0 }]) {
            const err = failure(decodeClientFrame(request(method, params)));
            expect(err.code).to.equal('INVALID_ARGUMENT');
            expect(err.field).to.equal('params.ID');
          }
        });
      });
      context(`when ${method} has a negative or fractional ID`, () => {
        it('returns INVALID_ARGUMENT naming params.ID', () => {
          for (const params of [{ ID: '-4' }, { ID: 1.5 }]) {
            const err = failure(decodeClientFrame(request(method, params)));
            expect(err.field).to.equal('params.ID');
          }
        });
      });
    }

    it('decodes the ID as a string or a number', () => {
      expect(decoded(decodeMessage(M.MEMBER_REMOVE_REQUEST, { ID: '215079750008985' }))).to.deep.equal({
        id: 215079750008985,
      });
      expect(decoded(decodeMessage(M.MEMBER_PROMOTE_REQUEST, { ID: 42 }))).to.deep.equal({ id: 42 });
    });
  });

  describe('responses', () => {
    const learner = '{"ID":"215079750008985","peerURLs":["http://127.0.0.4:2380"],"isLearner":true}';
    const voter =
      '{"ID":"38068136527285","name":"m1","peerURLs":["http://127.0.0.1:2380"],"clientURLs":["http://127.0.0.1:2379"]}';

    it('writes MemberAddResponse as header, member, members in proto order, defaults omitted', () => {
      const text = `{"header":${HEADER},"member":${learner},"members":[${voter},${learner}]}`;
      const r = decoded(decodeMessage(M.MEMBER_ADD_RESPONSE, JSON.parse(text)));
      expect(r.member).to.deep.equal({
        id: 215079750008985,
        name: '',
        peerUrls: ['http://127.0.0.4:2380'],
        clientUrls: [],
        isLearner: true,
      });
      expect(JSON.stringify(M.MEMBER_ADD_RESPONSE.toWire(r))).to.equal(text);
    });

    it('requires the member of a MemberAddResponse', () => {
      const err = failure(decodeMessage(M.MEMBER_ADD_RESPONSE, JSON.parse(`{"header":${HEADER}}`)));
      expect(err.field).to.equal('member');
    });

    it('writes MemberRemoveResponse and MemberPromoteResponse as header and members', () => {
      const text = `{"header":${HEADER},"members":[${voter}]}`;
      for (const codec of [M.MEMBER_REMOVE_RESPONSE, M.MEMBER_PROMOTE_RESPONSE]) {
        const r = decoded(decodeMessage(codec, JSON.parse(text)));
        expect(r.members).to.have.length(1);
        expect(JSON.stringify(codec.toWire(r))).to.equal(text);
      }
    });
  });
});
