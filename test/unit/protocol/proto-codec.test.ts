/**
 * The generated codecs' protobuf converters (fromProto, client/protocol/gen) refuse what the JSON
 * decoder refuses, with the same code and message: the gRPC door and the JSON doors validate alike.
 */
import { create, type DescMessage, type JsonValue, fromJson } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { decodeMessage, decodeProtoMessage } from '../../../client/protocol/codec.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import {
  MemberAddRequestSchema,
  PutRequestSchema,
  RangeRequestSchema,
  TxnRequestSchema,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { DEFAULT_LIMITS } from '../../../client/protocol/limits.js';
import * as M from '../../../client/protocol/messages.js';
import type { Codec } from '../../../client/protocol/codec-runtime.js';
import type { ProtoMessage } from '../../../client/protocol/codec-runtime.js';

interface Refusal {
  readonly name: string;
  readonly codec: Codec<unknown, unknown>;
  readonly desc: DescMessage;
  /** Gateway JSON that proto3 JSON can carry, so the same request reaches both decoders. */
  readonly json: JsonValue;
}

const K = 'Zm9v'; // "foo"
const put = { request_put: { key: K } };
const nested = (depth: number): JsonValue =>
  depth === 0 ? { request_put: { key: K } } : { request_txn: { success: [nested(depth - 1)] } };

function r(name: string, codec: unknown, desc: DescMessage, json: JsonValue): Refusal {
  return { name, codec: codec as Codec<unknown, unknown>, desc, json };
}

const REFUSALS: readonly Refusal[] = [
  r('a put without a key', M.PUT_REQUEST, PutRequestSchema, { value: K }),
  r('a value with ignore_value', M.PUT_REQUEST, PutRequestSchema, { key: K, value: K, ignore_value: true }),
  r('a lease with ignore_lease', M.PUT_REQUEST, PutRequestSchema, { key: K, lease: '5', ignore_lease: true }),
  r('a negative lease', M.PUT_REQUEST, PutRequestSchema, { key: K, lease: '-5' }),
  r('a revision beyond 2^53', M.RANGE_REQUEST, RangeRequestSchema, { key: K, revision: '9007199254740993' }),
  r('an unknown sort order', M.RANGE_REQUEST, RangeRequestSchema, { key: K, sort_order: 7 }),
  r('an empty RequestOp', M.TXN_REQUEST, TxnRequestSchema, { success: [{}] }),
  r('a compare operand of another target', M.TXN_REQUEST, TxnRequestSchema, {
    compare: [{ key: K, target: 'VALUE', version: '3' }],
  }),
  r('too many txn operations', M.TXN_REQUEST, TxnRequestSchema, {
    success: Array.from({ length: DEFAULT_LIMITS.maxTxnOps + 1 }, () => put),
  }),
  r('txns nested too deep', M.TXN_REQUEST, TxnRequestSchema, {
    success: [nested(DEFAULT_LIMITS.maxTxnDepth)],
  }),
  r('a member without peer URLs', M.MEMBER_ADD_REQUEST, MemberAddRequestSchema, {}),
  r('a bad peer URL', M.MEMBER_ADD_REQUEST, MemberAddRequestSchema, { peerURLs: ['ftp://x'] }),
];

describe('client/protocol proto-codec', () => {
  for (const c of REFUSALS) {
    it(`refuses ${c.name} as the JSON decoder does`, () => {
      const viaJson = decodeMessage(c.codec, c.json);
      expect(viaJson, 'JSON decoder').to.be.instanceOf(ProtocolError);
      const message = fromJson(c.desc, c.json) as unknown as ProtoMessage;
      const viaProto = decodeProtoMessage(c.codec, message, c.desc);
      expect(viaProto, 'protobuf decoder').to.be.instanceOf(ProtocolError);
      const [j, p] = [viaJson as ProtocolError, viaProto as ProtocolError];
      expect({ code: p.code, message: p.message }).to.deep.equal({ code: j.code, message: j.message });
    });
  }

  it('accepts what the JSON decoder accepts, giving the same domain value', () => {
    const json = {
      compare: [{ key: K, target: 'MOD', result: 'LESS', mod_revision: '0' }],
      success: [put, nested(2)],
      failure: [{ request_range: { key: K, range_end: 'AA==', limit: '3', sort_order: 'DESCEND' } }],
    };
    const viaProto = decodeProtoMessage(
      M.TXN_REQUEST,
      fromJson(TxnRequestSchema, json) as unknown as ProtoMessage,
      TxnRequestSchema,
    );
    expect(viaProto).to.deep.equal(decodeMessage(M.TXN_REQUEST, json));
  });

  it('copies bytes out of the received buffer', () => {
    const buffer = new Uint8Array([1, 2, 3, 4]);
    const message = create(PutRequestSchema, { key: buffer.subarray(1, 3) });
    const decoded = decodeProtoMessage(M.PUT_REQUEST, message as unknown as ProtoMessage, PutRequestSchema);
    if (decoded instanceof ProtocolError) throw decoded;
    expect(decoded.key).to.deep.equal(new Uint8Array([2, 3]));
    expect(decoded.key.buffer).to.not.equal(buffer.buffer);
  });
});
