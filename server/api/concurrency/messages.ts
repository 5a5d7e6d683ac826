/**
 * Between the generated v3lock / v3election messages and the domain values of lock.ts and
 * election.ts: a direct mapping, shared by the gRPC door and the JSON gateway.
 */
import { create } from '@bufbuild/protobuf';
import {
  ErrorCode,
  ProtocolError,
  type KeyValue,
  type ResponseHeader,
} from '../../../client/protocol/index.js';
import {
  ResponseHeaderSchema,
  type ResponseHeader as ResponseHeaderMessage,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import {
  KeyValueSchema,
  type KeyValue as KeyValueMessage,
} from '../../../client/protocol/gen/mvccpb/kv_pb.js';
import {
  LeaderKeySchema,
  type LeaderKey as LeaderKeyMessage,
} from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import type { LeaderKey } from './election.js';

export function headerMessage(h: ResponseHeader): ResponseHeaderMessage {
  return create(ResponseHeaderSchema, {
    clusterId: BigInt(h.clusterId),
    memberId: BigInt(h.memberId),
    revision: BigInt(h.revision),
    raftTerm: BigInt(h.raftTerm),
  });
}

export function keyValueMessage(kv: KeyValue): KeyValueMessage {
  return create(KeyValueSchema, {
    key: kv.key,
    createRevision: BigInt(kv.createRevision),
    modRevision: BigInt(kv.modRevision),
    version: BigInt(kv.version),
    value: kv.value,
    lease: BigInt(kv.lease),
  });
}

export function leaderKeyMessage(k: LeaderKey): LeaderKeyMessage {
  return create(LeaderKeySchema, { name: k.name, key: k.key, rev: BigInt(k.rev), lease: BigInt(k.lease) });
}

/** A 64-bit field as the number the backend takes; a value beyond 2^53 cannot name anything here. */
export function int64Field(value: bigint, field: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new ProtocolError(ErrorCode.InvalidArgument, `${field}: ${value} is out of range`, { field });
  }
  return n;
}

/** The `leader` field of Proclaim and Resign (etcd refuses a request without it). */
export function leaderKeyOf(message: LeaderKeyMessage | undefined): LeaderKey {
  if (message === undefined) {
    throw new ProtocolError(ErrorCode.InvalidArgument, '"leader" field must be provided', {
      field: 'leader',
    });
  }
  return {
    name: message.name,
    key: message.key,
    rev: int64Field(message.rev, 'leader.rev'),
    lease: int64Field(message.lease, 'leader.lease'),
  };
}
