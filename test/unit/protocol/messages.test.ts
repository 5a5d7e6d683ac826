import {
  createRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMessage,
  type JsonValue,
} from '@bufbuild/protobuf';
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeMessage, decodeProtoMessage, decodeWireMessage } from '../../../client/protocol/codec.js';
import { file_authpb_auth } from '../../../client/protocol/gen/authpb/auth_pb.js';
import { file_etcdserverpb_rpc } from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { file_mvccpb_kv } from '../../../client/protocol/gen/mvccpb/kv_pb.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import * as M from '../../../client/protocol/messages.js';
import {
  WATCH_CANCELED,
  WATCH_CREATED,
  WATCH_PROGRESS,
  WATCH_STREAM_RESPONSE,
} from '../../../client/protocol/methods.js';
import type { Codec } from '../../../client/protocol/codec-runtime.js';
import * as A from './arbitraries.js';

interface Case {
  readonly name: string;
  readonly codec: Codec<unknown, unknown>;
  readonly arb: fc.Arbitrary<unknown>;
}

function c<D, W>(name: string, codec: Codec<D, W>, arb: fc.Arbitrary<D>): Case {
  return { name, codec: codec as Codec<unknown, unknown>, arb: arb as fc.Arbitrary<unknown> };
}

/** Every message type of the protocol, requests and responses. */
const CASES: readonly Case[] = [
  c('ResponseHeader', M.RESPONSE_HEADER, A.header()),
  c('KeyValue', M.KEY_VALUE, A.keyValue()),
  c('RangeRequest', M.RANGE_REQUEST, A.rangeRequest()),
  c('RangeResponse', M.RANGE_RESPONSE, A.rangeResponse()),
  c('PutRequest', M.PUT_REQUEST, A.putRequest()),
  c('PutResponse', M.PUT_RESPONSE, A.putResponse()),
  c('DeleteRangeRequest', M.DELETE_RANGE_REQUEST, A.deleteRangeRequest()),
  c('DeleteRangeResponse', M.DELETE_RANGE_RESPONSE, A.deleteRangeResponse()),
  c('Compare', M.COMPARE, A.compare()),
  c('TxnRequest', M.TXN_REQUEST, A.txnRequest),
  c('TxnResponse', M.TXN_RESPONSE, A.txnResponse),
  c('CompactionRequest', M.COMPACTION_REQUEST, A.compactionRequest()),
  c('CompactionResponse', M.COMPACTION_RESPONSE, A.headerOnly()),
  c('WatchCreateRequest', M.WATCH_CREATE_REQUEST, A.watchCreateRequest()),
  c('WatchCancelRequest', M.WATCH_CANCEL_REQUEST, A.watchCancelRequest()),
  c('WatchRequest', M.WATCH_REQUEST, A.watchRequest()),
  c('Event', M.EVENT, A.watchEvent()),
  c('WatchResponse', M.WATCH_RESPONSE, A.watchResponse()),
  c('WatchResponse(created)', WATCH_CREATED, A.watchCreated()),
  c('WatchResponse(canceled)', WATCH_CANCELED, A.watchCanceled()),
  c('WatchResponse(progress)', WATCH_PROGRESS, A.watchProgress()),
  c('WatchResponse(events|progress)', WATCH_STREAM_RESPONSE, A.watchStreamResponse()),
  c('LeaseGrantRequest', M.LEASE_GRANT_REQUEST, A.leaseGrantRequest()),
  c('LeaseGrantResponse', M.LEASE_GRANT_RESPONSE, A.leaseGrantResponse()),
  c('LeaseRevokeRequest', M.LEASE_REVOKE_REQUEST, A.leaseIdRequest()),
  c('LeaseRevokeResponse', M.LEASE_REVOKE_RESPONSE, A.headerOnly()),
  c('LeaseKeepAliveRequest', M.LEASE_KEEP_ALIVE_REQUEST, A.leaseIdRequest()),
  c('LeaseKeepAliveResponse', M.LEASE_KEEP_ALIVE_RESPONSE, A.leaseKeepAliveResponse()),
  c('LeaseTimeToLiveRequest', M.LEASE_TIME_TO_LIVE_REQUEST, A.leaseTimeToLiveRequest()),
  c('LeaseTimeToLiveResponse', M.LEASE_TIME_TO_LIVE_RESPONSE, A.leaseTimeToLiveResponse()),
  c('LeaseLeasesRequest', M.LEASE_LEASES_REQUEST, A.empty()),
  c('LeaseLeasesResponse', M.LEASE_LEASES_RESPONSE, A.leaseLeasesResponse()),
  c('MemberListRequest', M.MEMBER_LIST_REQUEST, A.memberListRequest()),
  c('MemberListResponse', M.MEMBER_LIST_RESPONSE, A.memberListResponse()),
  c('StatusResponse', M.STATUS_RESPONSE, A.statusResponse()),
  c('SnapshotResponse', M.SNAPSHOT_RESPONSE, A.snapshotResponse()),
  c('AlarmRequest', M.ALARM_REQUEST, A.alarmRequest()),
  c('AlarmResponse', M.ALARM_RESPONSE, A.alarmResponse()),
];

const RUNS = { numRuns: 150 };

/** Fields of Concord's own in etcd's messages (docs/protocol.md §7), absent from the .proto: none. */
const CONCORD_ONLY_FIELDS: Readonly<Record<string, readonly string[]>> = {};

const registry = createRegistry(file_etcdserverpb_rpc, file_mvccpb_kv, file_authpb_auth);
/** The generated descriptor of a message of etcd's API, by its short name. */
function descriptorOf(name: string): DescMessage | undefined {
  return registry.getMessage(`etcdserverpb.${name}`) ?? registry.getMessage(`mvccpb.${name}`);
}

/** JSON text round trip: what actually travels. */
function throughJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('protocol messages', () => {
  for (const { name, codec, arb } of CASES) {
    describe(name, () => {
      it('gives back every domain value after toWire, JSON text and the validating decoder', () => {
        fc.assert(
          fc.property(arb, (domain) => {
            const decoded = decodeMessage(codec, throughJson(codec.toWire(domain)));
            expect(decoded).to.not.be.instanceOf(ProtocolError);
            expect(decoded).to.deep.equal(domain);
          }),
          RUNS,
        );
      });

      it('emits canonical wire JSON that the decoder leaves unchanged', () => {
        fc.assert(
          fc.property(arb, (domain) => {
            const wire = codec.toWire(domain);
            expect(decodeWireMessage(codec, throughJson(wire))).to.deep.equal(wire);
          }),
          RUNS,
        );
      });

      const desc = descriptorOf(name);
      if (desc !== undefined) {
        it('gives back every domain value after toProto, protobuf binary and the validating fromProto', () => {
          fc.assert(
            fc.property(arb, (domain) => {
              const bytes = toBinary(desc, codec.toProto(domain, desc));
              const decoded = decodeProtoMessage(codec, fromBinary(desc, bytes), desc);
              expect(decoded).to.not.be.instanceOf(ProtocolError);
              // Concord's own fields (absent from etcd's .proto) come back at their defaults.
              const wire = fromJson(desc, throughJson(codec.toWire(domain)) as JsonValue, {
                ignoreUnknownFields: true,
              });
              const expected = decodeMessage(codec, toJson(desc, wire, { useProtoFieldName: true }));
              expect(decoded).to.deep.equal(expected);
            }),
            RUNS,
          );
        });

        it('names only fields of the .proto, and encodes to the bytes the JSON path gives', () => {
          fc.assert(
            fc.property(arb, (domain) => {
              // Strict: a codec field the .proto lacks (a misspelt or drifted name) fails here.
              const wire = throughJson(codec.toWire(domain)) as Record<string, JsonValue>;
              for (const own of CONCORD_ONLY_FIELDS[name] ?? []) delete wire[own];
              const viaJson = fromJson(desc, wire);
              expect(toBinary(desc, codec.toProto(domain, desc))).to.deep.equal(toBinary(desc, viaJson));
            }),
            RUNS,
          );
        });
      }

      it('converts canonical wire values to domain and back unchanged', () => {
        fc.assert(
          fc.property(arb, (domain) => {
            const wire = codec.toWire(domain);
            expect(codec.toWire(codec.fromWire(wire))).to.deep.equal(wire);
          }),
          RUNS,
        );
      });
    });
  }

  describe('lenient input', () => {
    context('when a request uses lowerCamelCase names, JSON numbers and enum numbers', () => {
      it('decodes it like the canonical form', () => {
        const lenient = {
          key: 'Zm9v',
          rangeEnd: 'Zm9w',
          limit: 10,
          sortOrder: 2,
          sortTarget: 'MOD',
          keysOnly: true,
        };
        const canonical = {
          key: 'Zm9v',
          range_end: 'Zm9w',
          limit: '10',
          sort_order: 'DESCEND',
          sort_target: 'MOD',
          keys_only: true,
        };
        expect(decodeWireMessage(M.RANGE_REQUEST, lenient)).to.deep.equal(canonical);
      });
    });

    context('when bytes use the URL-safe alphabet or no padding', () => {
      it("refuses them as etcd's gateway does, naming the field and Go's byte offset", () => {
        // 0xfb 0xff → "+/8=" standard, "-_8" URL-safe unpadded.
        const urlSafe = decodeWireMessage(M.PUT_REQUEST, { key: '-_8' });
        expect(urlSafe).to.be.instanceOf(ProtocolError);
        expect((urlSafe as ProtocolError).message).to.equal('key: illegal base64 data at input byte 0');
        expect((urlSafe as ProtocolError).field).to.equal('key');
        const unpadded = decodeWireMessage(M.PUT_REQUEST, { key: 'Zm9v', value: 'Zg' });
        expect((unpadded as ProtocolError).message).to.equal('value: illegal base64 data at input byte 0');
      });

      it('re-encodes accepted non-canonical text (line breaks, trailing bits) as canonical', () => {
        expect(decodeWireMessage(M.PUT_REQUEST, { key: 'Zm9v\n', value: 'Zh==' })).to.deep.equal({
          key: 'Zm9v',
          value: 'Zg==',
        });
      });
    });

    context('when fields are null or at their default', () => {
      it('omits them from the canonical form', () => {
        const input = { key: 'Zm9v', range_end: null, limit: '0', serializable: false, sort_order: 'NONE' };
        expect(decodeWireMessage(M.RANGE_REQUEST, input)).to.deep.equal({ key: 'Zm9v' });
      });
    });

    context('when unknown fields are present', () => {
      it('ignores them, as the etcd gateway does', () => {
        expect(
          decodeWireMessage(M.PUT_REQUEST, { key: 'Zm9v', color: 'blue', nested: { deep: [1] } }),
        ).to.deep.equal({
          key: 'Zm9v',
        });
      });
    });

    context('when a compare leaves out the operand of its target', () => {
      it('compares against zero and writes the operand out in canonical form', () => {
        const wire = decodeWireMessage(M.COMPARE, { target: 'MOD', key: 'Zm9v' });
        expect(wire).to.deep.equal({ target: 'MOD', key: 'Zm9v', mod_revision: '0' });
        expect(decodeMessage(M.COMPARE, { target: 'MOD', key: 'Zm9v' })).to.deep.include({
          target: 'mod',
          value: 0,
        });
      });
    });

    context('when a watch response is a progress notification', () => {
      it('classifies an empty, non-created, non-canceled response as progress', () => {
        const decoded = decodeMessage(M.WATCH_RESPONSE, { header: { revision: '9' }, watch_id: '3' });
        expect(decoded).to.deep.equal({
          type: 'progress',
          header: { clusterId: 0, memberId: 0, revision: 9, raftTerm: 0 },
          watchId: 3,
        });
      });
    });
  });
});
