/**
 * Golden examples taken from etcd's own gateway documentation (Documentation/dev-guide/
 * api_grpc_gateway.md, the curl examples for /v3/kv/put, /v3/kv/range, /v3/kv/txn and /v3/watch):
 * the request bodies must decode to the intended domain values, and responses Concord produces must
 * be byte-identical to etcd's, field order and omitted defaults included. etcd's example ids
 * (cluster_id 12585971608760269493) exceed 2^53 and are replaced by small ones, which is all that
 * differs: Concord refuses such ids by design (see the validation tests).
 */
import { expect } from 'chai';
import { decodeMessage, decodeWireMessage } from '../../../client/protocol/codec.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import {
  gatewayError,
  gatewayRoute,
  gatewayStreamResult,
  watchCanceledFromEnd,
} from '../../../client/protocol/gateway.js';
import * as M from '../../../client/protocol/messages.js';
import type { Codec } from '../../../client/protocol/codec-runtime.js';
import type * as D from '../../../client/protocol/types.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const HEADER = '{"cluster_id":"1258597160876","member_id":"1384756712124","revision":"2","raft_term":"3"}';

function decoded<T>(result: T | ProtocolError): T {
  if (result instanceof ProtocolError) throw new Error(`unexpected ${result.code}: ${result.message}`);
  return result;
}

/** Decodes etcd's JSON text and re-encodes it: the text must come back unchanged. */
function expectSameText<DT, W>(codec: Codec<DT, W>, text: string): DT {
  const domain = decoded(decodeMessage(codec, JSON.parse(text) as unknown));
  expect(JSON.stringify(codec.toWire(domain))).to.equal(text);
  return domain;
}

describe('protocol golden examples (etcd gateway docs)', () => {
  describe('POST /v3/kv/put', () => {
    it('decodes {"key": "Zm9v", "value": "YmFy"} to foo=bar', () => {
      const put = decoded(decodeMessage(M.PUT_REQUEST, { key: 'Zm9v', value: 'YmFy' }));
      expect(put).to.deep.equal({
        key: utf8('foo'),
        value: utf8('bar'),
        lease: 0,
        prevKv: false,
        ignoreValue: false,
        ignoreLease: false,
      });
    });

    it('answers with a header-only body like etcd', () => {
      expectSameText(M.PUT_RESPONSE, `{"header":${HEADER}}`);
    });
  });

  describe('POST /v3/kv/range', () => {
    it("re-encodes etcd's range response byte for byte", () => {
      const text = `{"header":${HEADER},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}`;
      const range = expectSameText(M.RANGE_RESPONSE, text);
      expect(range.kvs[0]).to.deep.equal({
        key: utf8('foo'),
        createRevision: 2,
        modRevision: 2,
        version: 1,
        value: utf8('bar'),
        lease: 0,
      });
    });

    it('decodes a prefix range with range_end', () => {
      const range = decoded(decodeMessage(M.RANGE_REQUEST, { key: 'Zm9v', range_end: 'Zm9w' }));
      expect(range.key).to.deep.equal(utf8('foo'));
      expect(range.rangeEnd).to.deep.equal(utf8('fop'));
      expect(range.sortOrder).to.equal('none');
    });

    it("refuses etcd's own 64-bit cluster id, which is beyond 2^53", () => {
      const etcdHeader = {
        cluster_id: '12585971608760269493',
        member_id: '13847567121247652255',
        revision: '2',
      };
      const result = decodeMessage(M.PUT_RESPONSE, { header: etcdHeader });
      expect(result).to.be.instanceOf(ProtocolError);
      expect((result as ProtocolError).field).to.equal('header.cluster_id');
    });
  });

  describe('POST /v3/kv/txn', () => {
    it('decodes the CREATE compare example, written with lowerCamelCase names', () => {
      const body =
        '{"compare":[{"target":"CREATE","key":"Zm9v","createRevision":"2"}],"success":[{"requestPut":{"key":"Zm9v","value":"YmFy"}}]}';
      const txn = decoded(decodeMessage(M.TXN_REQUEST, JSON.parse(body) as unknown));
      expect(txn.compare).to.deep.equal([
        { key: utf8('foo'), rangeEnd: new Uint8Array(0), result: 'equal', target: 'create', value: 2 },
      ]);
      expect(txn.success).to.have.length(1);
      expect(txn.success[0]).to.deep.include({ type: 'put' });
      expect(txn.failure).to.deep.equal([]);
      expect(JSON.stringify(M.TXN_REQUEST.toWire(txn))).to.equal(
        '{"compare":[{"target":"CREATE","key":"Zm9v","create_revision":"2"}],"success":[{"request_put":{"key":"Zm9v","value":"YmFy"}}]}',
      );
    });

    it("re-encodes etcd's txn response with a nested put response", () => {
      expectSameText(
        M.TXN_RESPONSE,
        `{"header":${HEADER},"succeeded":true,"responses":[{"response_put":{"header":{"revision":"3"}}}]}`,
      );
    });

    it('decodes the VERSION compare example and re-encodes its response', () => {
      const body =
        '{"compare":[{"version":"4","result":"EQUAL","target":"VERSION","key":"Zm9v"}],"success":[{"requestRange":{"key":"Zm9v"}}]}';
      const txn = decoded(decodeMessage(M.TXN_REQUEST, JSON.parse(body) as unknown));
      expect(txn.compare[0]).to.deep.include({ target: 'version', result: 'equal', value: 4 });
      expect(txn.success[0]?.type).to.equal('range');
      const response = expectSameText(
        M.TXN_RESPONSE,
        `{"header":${HEADER},"succeeded":true,"responses":[{"response_range":{"header":{"revision":"6"},"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"6","version":"4","value":"YmF6"}],"count":"1"}}]}`,
      );
      const op = response.responses[0] as Extract<D.ResponseOp, { type: 'range' }>;
      expect(op.response.kvs[0]?.value).to.deep.equal(utf8('baz'));
    });
  });

  describe('POST /v3/watch', () => {
    it('decodes {"create_request": {"key":"Zm9v"}}', () => {
      const request = decoded(decodeMessage(M.WATCH_REQUEST, { create_request: { key: 'Zm9v' } }));
      expect(request.type).to.equal('create');
    });

    it("streams etcd's created and event lines byte for byte", () => {
      const created = `{"result":{"header":${HEADER},"created":true}}\n`;
      const event = `{"result":{"header":${HEADER},"events":[{"kv":{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}}]}}\n`;
      for (const line of [created, event]) {
        const { result } = JSON.parse(line) as { result: unknown };
        const wire = decoded(decodeWireMessage(M.WATCH_RESPONSE, result));
        expect(gatewayStreamResult(wire)).to.equal(line);
      }
      const decodedEvent = decoded(
        decodeMessage(M.WATCH_RESPONSE, (JSON.parse(event) as { result: unknown }).result),
      );
      expect(decodedEvent).to.deep.include({ type: 'events', watchId: 0 });
    });

    it("turns an end frame with COMPACTED into etcd's canceled response", () => {
      const header = { clusterId: 1, memberId: 2, revision: 50, raftTerm: 3 };
      const canceled = watchCanceledFromEnd(7, header, {
        code: 'COMPACTED',
        message: 'mvcc: required revision has been compacted',
        details: { compactRevision: 42 },
      });
      expect(JSON.stringify(M.WATCH_RESPONSE.toWire(canceled))).to.equal(
        '{"header":{"cluster_id":"1","member_id":"2","revision":"50","raft_term":"3"},"watch_id":"7","canceled":true,"compact_revision":"42","cancel_reason":"mvcc: required revision has been compacted"}',
      );
    });
  });

  describe('POST /v3/lease/grant', () => {
    it('accepts a JSON-number TTL and writes int64s as strings', () => {
      expect(decodeWireMessage(M.LEASE_GRANT_REQUEST, { TTL: 30, ID: 0 })).to.deep.equal({ TTL: '30' });
      expectSameText(M.LEASE_GRANT_RESPONSE, `{"header":${HEADER},"ID":"7587848878029","TTL":"30"}`);
    });
  });

  describe('gateway routing and errors', () => {
    it('routes etcd paths, the lease aliases and the /v3beta prefix', () => {
      expect(gatewayRoute('/v3/kv/deleterange')).to.deep.equal({ kind: 'method', method: 'kv.deleteRange' });
      expect(gatewayRoute('/v3/kv/lease/timetolive')).to.deep.equal({
        kind: 'method',
        method: 'lease.timeToLive',
      });
      expect(gatewayRoute('/v3beta/kv/range')).to.deep.equal({ kind: 'method', method: 'kv.range' });
      expect(gatewayRoute('/v3/watch')).to.deep.equal({ kind: 'watch' });
      expect(gatewayRoute('/v3/kv/nothing')).to.equal(undefined);
    });

    it("answers errors in etcd's gateway shape with gRPC code and HTTP status", () => {
      const { httpStatus, json } = gatewayError({
        code: 'COMPACTED',
        message: 'etcdserver: mvcc: required revision has been compacted',
        details: { compactRevision: 9 },
      });
      expect(httpStatus).to.equal(400);
      expect(json).to.deep.equal({
        error: 'etcdserver: mvcc: required revision has been compacted',
        code: 11,
        message: 'etcdserver: mvcc: required revision has been compacted',
        details: [
          {
            '@type': 'type.googleapis.com/concord.v1.ErrorInfo',
            code: 'COMPACTED',
            message: 'etcdserver: mvcc: required revision has been compacted',
            details: { compact_revision: 9 },
          },
        ],
      });
    });
  });
});
