/**
 * The unary methods: one backend call per method, shared by the WebSocket sessions and the HTTP
 * gateway. Stream methods (watch.*, lease.keepAlive, maintenance.snapshot) are not here: each
 * transport runs them itself.
 */
import type { Method, MethodParams, MethodResult } from '../../client/protocol/index.js';
import { unreachable } from '../assert.js';
import { ErrorCode, ProtocolError } from '../../client/protocol/index.js';
import { isAuthMethod, type AuthCall } from './auth-call.js';
import type { CallOptions, ClientBackend } from './backend.js';

export type UnaryMethod = Exclude<
  Method,
  'lease.keepAlive' | 'watch.create' | 'watch.cancel' | 'watch.progress' | 'maintenance.snapshot'
>;

const UNARY: ReadonlySet<Method> = new Set<Method>([
  'kv.range',
  'kv.put',
  'kv.deleteRange',
  'kv.txn',
  'kv.compact',
  'lease.grant',
  'lease.revoke',
  'lease.timeToLive',
  'lease.leases',
  'cluster.memberList',
  'cluster.memberAdd',
  'cluster.memberRemove',
  'cluster.memberPromote',
  'maintenance.status',
  'maintenance.alarm',
  'auth.enable',
  'auth.disable',
  'auth.status',
  'auth.authenticate',
  'auth.userAdd',
  'auth.userGet',
  'auth.userList',
  'auth.userDelete',
  'auth.userChangePassword',
  'auth.userGrantRole',
  'auth.userRevokeRole',
  'auth.roleAdd',
  'auth.roleGet',
  'auth.roleList',
  'auth.roleDelete',
  'auth.roleGrantPermission',
  'auth.roleRevokePermission',
  'maintenance.hash',
  'maintenance.hashKV',
  'maintenance.defragment',
  'maintenance.moveLeader',
  'cluster.memberUpdate',
]);

export function isUnary(method: Method): method is UnaryMethod {
  return UNARY.has(method);
}

/** A unary call, typed loosely: params and result of `method` as the codecs define them. */
export type UnaryCall = {
  readonly [K in UnaryMethod]: { readonly method: K; readonly params: MethodParams<K> };
}[UnaryMethod];

function isAuthCall(call: UnaryCall): call is Extract<UnaryCall, AuthCall> {
  return isAuthMethod(call.method);
}

export function callUnary(
  backend: ClientBackend,
  call: UnaryCall,
  options: CallOptions,
): Promise<MethodResult<UnaryMethod>> {
  if (isAuthCall(call)) {
    const auth = backend.auth;
    if (auth === undefined)
      return Promise.reject(new ProtocolError(ErrorCode.Unimplemented, 'this member does not serve auth'));
    return auth.call(call, options);
  }
  switch (call.method) {
    case 'kv.range':
      return backend.range(call.params, options);
    case 'kv.put':
      return backend.put(call.params, options);
    case 'kv.deleteRange':
      return backend.deleteRange(call.params, options);
    case 'kv.txn':
      return backend.txn(call.params, options);
    case 'kv.compact':
      return backend.compact(call.params, options);
    case 'lease.grant':
      return backend.leaseGrant(call.params, options);
    case 'lease.revoke':
      return backend.leaseRevoke(call.params, options);
    case 'lease.timeToLive':
      return backend.leaseTimeToLive(call.params, options);
    case 'lease.leases':
      return backend.leaseLeases(options);
    case 'cluster.memberList':
      return backend.memberList(call.params, options);
    case 'cluster.memberAdd':
      return backend.memberAdd(call.params, options);
    case 'cluster.memberRemove':
      return backend.memberRemove(call.params, options);
    case 'cluster.memberPromote':
      return backend.memberPromote(call.params, options);
    case 'maintenance.status':
      return backend.status(options);
    case 'maintenance.alarm':
      return backend.alarm(call.params, options);
    case 'maintenance.hash':
      return backend.hash(options);
    case 'maintenance.hashKV':
      return backend.hashKV(call.params, options);
    case 'maintenance.defragment':
      return backend.defragment(options);
    case 'maintenance.moveLeader':
      return backend.moveLeader(call.params, options);
    case 'cluster.memberUpdate':
      return backend.memberUpdate(call.params, options);
    default:
      return unreachable(call);
  }
}
