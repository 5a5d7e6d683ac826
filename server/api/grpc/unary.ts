/**
 * etcd's unary methods served over the shared handlers (dispatch.ts): the request is mapped to the
 * domain type by the same codec the gateway uses (bridge.ts), the backend call is the gateway's, and
 * the result is mapped back. One table names which gRPC method is which Concord method.
 */
import { etcdAnswer } from '../etcd-answer.js';
import type { DescMethod } from '@bufbuild/protobuf';
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { ErrorCode, methodSpec, ProtocolError, type Codec } from '../../../client/protocol/index.js';
import { callUnary, type UnaryCall, type UnaryMethod } from '../dispatch.js';
import { toErrorBody } from '../errors.js';
import { AUTH_UNARY_METHODS, grpcCallOptions } from './auth-service.js';
import { toDomain, toMessage } from './bridge.js';
import { leaderRequirementFailed, type GrpcContext } from './context.js';
import type { AnyMessage } from './definitions.js';
import { statusOf } from './status.js';

/** gRPC method path → the Concord method serving it. */
export const UNARY_METHODS: Readonly<Record<string, UnaryMethod>> = {
  '/etcdserverpb.KV/Range': 'kv.range',
  '/etcdserverpb.KV/Put': 'kv.put',
  '/etcdserverpb.KV/DeleteRange': 'kv.deleteRange',
  '/etcdserverpb.KV/Txn': 'kv.txn',
  '/etcdserverpb.KV/Compact': 'kv.compact',
  '/etcdserverpb.Lease/LeaseGrant': 'lease.grant',
  '/etcdserverpb.Lease/LeaseRevoke': 'lease.revoke',
  '/etcdserverpb.Lease/LeaseTimeToLive': 'lease.timeToLive',
  '/etcdserverpb.Lease/LeaseLeases': 'lease.leases',
  '/etcdserverpb.Cluster/MemberList': 'cluster.memberList',
  '/etcdserverpb.Cluster/MemberAdd': 'cluster.memberAdd',
  '/etcdserverpb.Cluster/MemberRemove': 'cluster.memberRemove',
  '/etcdserverpb.Cluster/MemberPromote': 'cluster.memberPromote',
  '/etcdserverpb.Maintenance/Status': 'maintenance.status',
  '/etcdserverpb.Maintenance/Alarm': 'maintenance.alarm',
  ...AUTH_UNARY_METHODS,
  '/etcdserverpb.Maintenance/Hash': 'maintenance.hash',
  '/etcdserverpb.Maintenance/HashKV': 'maintenance.hashKV',
  '/etcdserverpb.Maintenance/Defragment': 'maintenance.defragment',
  '/etcdserverpb.Maintenance/MoveLeader': 'maintenance.moveLeader',
  '/etcdserverpb.Cluster/MemberUpdate': 'cluster.memberUpdate',
};

/**
 * Aborts `signal`'s controller when the client cancels the call or goes away. grpc-js reports
 * 'cancelled' for every call whose stream closes, answered or not; `settled` tells the calls that
 * were answered already, which then cost no error object (a stack trace per put showed up in
 * profiles).
 */
export function abortOnCancel(
  call: { on(event: 'cancelled', fn: () => void): unknown },
  settled: () => boolean = () => false,
): AbortController {
  const abort = new AbortController();
  call.on('cancelled', () => {
    if (settled()) return;
    abort.abort(new ProtocolError(ErrorCode.Unavailable, 'the client cancelled the call'));
  });
  return abort;
}

export function unaryHandler(
  ctx: GrpcContext,
  desc: DescMethod,
  method: UnaryMethod,
): (call: ServerUnaryCall<AnyMessage, AnyMessage>, callback: sendUnaryData<AnyMessage>) => void {
  const spec = methodSpec(method);
  const params = spec.params as Codec<unknown, unknown>;
  const result = spec.result as Codec<unknown, unknown>;
  return (call, callback) => {
    const noLeader = leaderRequirementFailed(ctx, call.metadata);
    if (noLeader !== undefined) {
      ctx.metrics.observe('grpc', method, ErrorCode.Unavailable);
      callback(noLeader);
      return;
    }
    let settled = false;
    const abort = abortOnCancel(call, () => settled);
    const onInternal = (e: unknown): void =>
      ctx.logger.error('grpc request failed unexpectedly', { method: desc.name, error: e });
    let request: unknown;
    try {
      request = toDomain(desc.input, call.request, params, ctx.limits);
    } catch (err) {
      settled = true;
      ctx.metrics.observe('grpc', method, toErrorBody(err).code);
      callback(statusOf(err, onInternal));
      return;
    }
    callUnary(
      ctx.backend,
      { method, params: request } as UnaryCall,
      grpcCallOptions(call, abort.signal),
    ).then(
      (value) => {
        settled = true;
        ctx.metrics.observe('grpc', method, 'OK');
        callback(null, toMessage(desc.output, etcdAnswer(method, value), result));
      },
      (err: unknown) => {
        settled = true;
        ctx.metrics.observe('grpc', method, toErrorBody(err).code);
        callback(statusOf(err, onInternal));
      },
    );
  };
}
