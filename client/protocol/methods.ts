/**
 * The methods of the client protocol: for each, its params and result codecs, whether it opens a
 * stream, whether a blind retry is safe, and the etcd JSON gateway path that carries the same
 * bodies over HTTP.
 */
import * as M from './messages.js';
import type * as A from './messages-auth.js';
import type { Codec } from './codec-runtime.js';
import type * as D from './types.js';
import type * as W from './wire.js';

export const Method = {
  KvRange: 'kv.range',
  KvPut: 'kv.put',
  KvDeleteRange: 'kv.deleteRange',
  KvTxn: 'kv.txn',
  KvCompact: 'kv.compact',
  LeaseGrant: 'lease.grant',
  LeaseRevoke: 'lease.revoke',
  LeaseTimeToLive: 'lease.timeToLive',
  LeaseLeases: 'lease.leases',
  LeaseKeepAlive: 'lease.keepAlive',
  WatchCreate: 'watch.create',
  WatchCancel: 'watch.cancel',
  WatchProgress: 'watch.progress',
  ClusterMemberList: 'cluster.memberList',
  ClusterMemberAdd: 'cluster.memberAdd',
  ClusterMemberRemove: 'cluster.memberRemove',
  ClusterMemberPromote: 'cluster.memberPromote',
  MaintenanceStatus: 'maintenance.status',
  MaintenanceSnapshot: 'maintenance.snapshot',
  MaintenanceAlarm: 'maintenance.alarm',
  // ---- access control (docs/auth.md) ----
  AuthEnable: 'auth.enable',
  AuthDisable: 'auth.disable',
  AuthStatus: 'auth.status',
  AuthAuthenticate: 'auth.authenticate',
  AuthUserAdd: 'auth.userAdd',
  AuthUserGet: 'auth.userGet',
  AuthUserList: 'auth.userList',
  AuthUserDelete: 'auth.userDelete',
  AuthUserChangePassword: 'auth.userChangePassword',
  AuthUserGrantRole: 'auth.userGrantRole',
  AuthUserRevokeRole: 'auth.userRevokeRole',
  AuthRoleAdd: 'auth.roleAdd',
  AuthRoleGet: 'auth.roleGet',
  AuthRoleList: 'auth.roleList',
  AuthRoleDelete: 'auth.roleDelete',
  AuthRoleGrantPermission: 'auth.roleGrantPermission',
  AuthRoleRevokePermission: 'auth.roleRevokePermission',
  // Maintenance and membership operations (etcd's Hash, HashKV, Defragment, MoveLeader, MemberUpdate).
  MaintenanceHash: 'maintenance.hash',
  MaintenanceHashKV: 'maintenance.hashKV',
  MaintenanceDefragment: 'maintenance.defragment',
  MaintenanceMoveLeader: 'maintenance.moveLeader',
  ClusterMemberUpdate: 'cluster.memberUpdate',
} as const;
export type Method = (typeof Method)[keyof typeof Method];

interface Sig<P, R, WP, WR> {
  readonly params: P;
  readonly result: R;
  readonly wireParams: WP;
  readonly wireResult: WR;
}

/** Params and result types of every method, in domain and in wire form. */
export interface MethodTypes {
  'kv.range': Sig<D.RangeRequest, D.RangeResponse, W.WireRangeRequest, W.WireRangeResponse>;
  'kv.put': Sig<D.PutRequest, D.PutResponse, W.WirePutRequest, W.WirePutResponse>;
  'kv.deleteRange': Sig<
    D.DeleteRangeRequest,
    D.DeleteRangeResponse,
    W.WireDeleteRangeRequest,
    W.WireDeleteRangeResponse
  >;
  'kv.txn': Sig<D.TxnRequest, D.TxnResponse, W.WireTxnRequest, W.WireTxnResponse>;
  'kv.compact': Sig<
    D.CompactionRequest,
    D.CompactionResponse,
    W.WireCompactionRequest,
    W.WireCompactionResponse
  >;
  'lease.grant': Sig<
    D.LeaseGrantRequest,
    D.LeaseGrantResponse,
    W.WireLeaseGrantRequest,
    W.WireLeaseGrantResponse
  >;
  'lease.revoke': Sig<
    D.LeaseRevokeRequest,
    D.LeaseRevokeResponse,
    W.WireLeaseRevokeRequest,
    W.WireLeaseRevokeResponse
  >;
  'lease.timeToLive': Sig<
    D.LeaseTimeToLiveRequest,
    D.LeaseTimeToLiveResponse,
    W.WireLeaseTimeToLiveRequest,
    W.WireLeaseTimeToLiveResponse
  >;
  'lease.leases': Sig<D.EmptyRequest, D.LeaseLeasesResponse, W.WireEmpty, W.WireLeaseLeasesResponse>;
  'lease.keepAlive': Sig<
    D.LeaseKeepAliveRequest,
    D.LeaseKeepAliveResponse,
    W.WireLeaseKeepAliveRequest,
    W.WireLeaseKeepAliveResponse
  >;
  'watch.create': Sig<D.WatchCreateRequest, D.WatchCreated, W.WireWatchCreateRequest, W.WireWatchResponse>;
  'watch.cancel': Sig<D.WatchCancelRequest, D.WatchCanceled, W.WireWatchCancelRequest, W.WireWatchResponse>;
  'watch.progress': Sig<D.EmptyRequest, D.WatchProgress, W.WireEmpty, W.WireWatchResponse>;
  'cluster.memberList': Sig<
    D.MemberListRequest,
    D.MemberListResponse,
    W.WireMemberListRequest,
    W.WireMemberListResponse
  >;
  'cluster.memberAdd': Sig<
    D.MemberAddRequest,
    D.MemberAddResponse,
    W.WireMemberAddRequest,
    W.WireMemberAddResponse
  >;
  'cluster.memberRemove': Sig<
    D.MemberRemoveRequest,
    D.MemberRemoveResponse,
    W.WireMemberRemoveRequest,
    W.WireMemberRemoveResponse
  >;
  'cluster.memberPromote': Sig<
    D.MemberPromoteRequest,
    D.MemberPromoteResponse,
    W.WireMemberPromoteRequest,
    W.WireMemberPromoteResponse
  >;
  'maintenance.status': Sig<D.EmptyRequest, D.StatusResponse, W.WireEmpty, W.WireStatusResponse>;
  'maintenance.snapshot': Sig<D.EmptyRequest, D.SnapshotResponse, W.WireEmpty, W.WireSnapshotResponse>;
  'maintenance.alarm': Sig<D.AlarmRequest, D.AlarmResponse, W.WireAlarmRequest, W.WireAlarmResponse>;
  // Maintenance and membership operations.
  'maintenance.hash': Sig<D.EmptyRequest, D.HashResponse, W.WireEmpty, W.WireHashResponse>;
  'maintenance.hashKV': Sig<D.HashKVRequest, D.HashKVResponse, W.WireHashKVRequest, W.WireHashKVResponse>;
  'maintenance.defragment': Sig<D.EmptyRequest, D.DefragmentResponse, W.WireEmpty, W.WireDefragmentResponse>;
  'maintenance.moveLeader': Sig<
    D.MoveLeaderRequest,
    D.MoveLeaderResponse,
    W.WireMoveLeaderRequest,
    W.WireMoveLeaderResponse
  >;
  'cluster.memberUpdate': Sig<
    D.MemberUpdateRequest,
    D.MemberUpdateResponse,
    W.WireMemberUpdateRequest,
    W.WireMemberUpdateResponse
  >;
  // ---- access control ----
  'auth.enable': AuthChange<D.EmptyRequest, W.WireEmpty>;
  'auth.disable': AuthChange<D.EmptyRequest, W.WireEmpty>;
  'auth.status': Sig<D.EmptyRequest, A.AuthStatusResponse, W.WireEmpty, A.WireAuthStatusResponse>;
  'auth.authenticate': Sig<
    A.AuthenticateRequest,
    A.AuthenticateResponse,
    A.WireAuthenticateRequest,
    A.WireAuthenticateResponse
  >;
  'auth.userAdd': AuthChange<A.AuthUserAddRequest, A.WireAuthUserAddRequest>;
  'auth.userGet': Sig<
    A.AuthUserNameRequest,
    A.AuthUserGetResponse,
    A.WireAuthUserNameRequest,
    A.WireAuthUserGetResponse
  >;
  'auth.userList': Sig<D.EmptyRequest, A.AuthUserListResponse, W.WireEmpty, A.WireAuthUserListResponse>;
  'auth.userDelete': AuthChange<A.AuthUserNameRequest, A.WireAuthUserNameRequest>;
  'auth.userChangePassword': AuthChange<A.AuthUserChangePasswordRequest, A.WireAuthUserChangePasswordRequest>;
  'auth.userGrantRole': AuthChange<A.AuthUserGrantRoleRequest, A.WireAuthUserGrantRoleRequest>;
  'auth.userRevokeRole': AuthChange<A.AuthUserRevokeRoleRequest, A.WireAuthUserRevokeRoleRequest>;
  'auth.roleAdd': AuthChange<A.AuthRoleAddRequest, A.WireAuthRoleAddRequest>;
  'auth.roleGet': Sig<
    A.AuthRoleNameRequest,
    A.AuthRoleGetResponse,
    A.WireAuthRoleNameRequest,
    A.WireAuthRoleGetResponse
  >;
  'auth.roleList': Sig<D.EmptyRequest, A.AuthRoleListResponse, W.WireEmpty, A.WireAuthRoleListResponse>;
  'auth.roleDelete': AuthChange<A.AuthRoleNameRequest, A.WireAuthRoleNameRequest>;
  'auth.roleGrantPermission': AuthChange<
    A.AuthRoleGrantPermissionRequest,
    A.WireAuthRoleGrantPermissionRequest
  >;
  'auth.roleRevokePermission': AuthChange<
    A.AuthRoleRevokePermissionRequest,
    A.WireAuthRoleRevokePermissionRequest
  >;
}

/** An auth change: answered with the header alone. */
type AuthChange<P, WP> = Sig<P, A.AuthHeaderResponse, WP, A.WireAuthHeaderResponse>;

export type MethodParams<K extends Method> = MethodTypes[K]['params'];
export type MethodResult<K extends Method> = MethodTypes[K]['result'];

/** The kind of stream a method opens; its frames carry this name as their `type`. */
export type StreamKind = 'watch' | 'keepalive' | 'snapshot';

export interface MethodSpec<K extends Method> {
  readonly method: K;
  readonly params: Codec<MethodParams<K>, MethodTypes[K]['wireParams']>;
  readonly result: Codec<MethodResult<K>, MethodTypes[K]['wireResult']>;
  /** Set when a successful response opens a stream identified by the request id. */
  readonly stream: StreamKind | undefined;
  /** Whether sending the same request twice is harmless (the SDK may retry it blindly). */
  readonly idempotent: boolean;
  /** The etcd JSON gateway path (POST) with the same request and response bodies. */
  readonly gatewayPath: string;
}

function spec<K extends Method>(
  method: K,
  params: Codec<MethodParams<K>, MethodTypes[K]['wireParams']>,
  result: Codec<MethodResult<K>, MethodTypes[K]['wireResult']>,
  options: { stream?: StreamKind; idempotent: boolean; gatewayPath: string },
): MethodSpec<K> {
  return {
    method,
    params,
    result,
    stream: options.stream,
    idempotent: options.idempotent,
    gatewayPath: options.gatewayPath,
  };
}

export const WATCH_CREATED = M.watchResponseOf('WatchResponse(created)', ['created']);
export const WATCH_CANCELED = M.watchResponseOf('WatchResponse(canceled)', ['canceled']);
export const WATCH_PROGRESS = M.watchResponseOf('WatchResponse(progress)', ['progress']);
/** What a `watch` stream frame carries on the WebSocket. */
export const WATCH_STREAM_RESPONSE = M.watchResponseOf('WatchResponse(events|progress)', [
  'events',
  'progress',
]);

export const METHODS: { readonly [K in Method]: MethodSpec<K> } = {
  'kv.range': spec('kv.range', M.RANGE_REQUEST, M.RANGE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/kv/range',
  }),
  'kv.put': spec('kv.put', M.PUT_REQUEST, M.PUT_RESPONSE, { idempotent: false, gatewayPath: '/v3/kv/put' }),
  'kv.deleteRange': spec('kv.deleteRange', M.DELETE_RANGE_REQUEST, M.DELETE_RANGE_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/kv/deleterange',
  }),
  'kv.txn': spec('kv.txn', M.TXN_REQUEST, M.TXN_RESPONSE, { idempotent: false, gatewayPath: '/v3/kv/txn' }),
  'kv.compact': spec('kv.compact', M.COMPACTION_REQUEST, M.COMPACTION_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/kv/compaction',
  }),
  'lease.grant': spec('lease.grant', M.LEASE_GRANT_REQUEST, M.LEASE_GRANT_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/lease/grant',
  }),
  'lease.revoke': spec('lease.revoke', M.LEASE_REVOKE_REQUEST, M.LEASE_REVOKE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/lease/revoke',
  }),
  'lease.timeToLive': spec('lease.timeToLive', M.LEASE_TIME_TO_LIVE_REQUEST, M.LEASE_TIME_TO_LIVE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/lease/timetolive',
  }),
  'lease.leases': spec('lease.leases', M.LEASE_LEASES_REQUEST, M.LEASE_LEASES_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/lease/leases',
  }),
  'lease.keepAlive': spec('lease.keepAlive', M.LEASE_KEEP_ALIVE_REQUEST, M.LEASE_KEEP_ALIVE_RESPONSE, {
    stream: 'keepalive',
    idempotent: true,
    gatewayPath: '/v3/lease/keepalive',
  }),
  'watch.create': spec('watch.create', M.WATCH_CREATE_REQUEST, WATCH_CREATED, {
    stream: 'watch',
    idempotent: true,
    gatewayPath: '/v3/watch',
  }),
  'watch.cancel': spec('watch.cancel', M.WATCH_CANCEL_REQUEST, WATCH_CANCELED, {
    idempotent: true,
    gatewayPath: '/v3/watch',
  }),
  'watch.progress': spec('watch.progress', M.WATCH_PROGRESS_REQUEST, WATCH_PROGRESS, {
    idempotent: true,
    gatewayPath: '/v3/watch',
  }),
  'cluster.memberList': spec('cluster.memberList', M.MEMBER_LIST_REQUEST, M.MEMBER_LIST_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/cluster/member/list',
  }),
  'cluster.memberAdd': spec('cluster.memberAdd', M.MEMBER_ADD_REQUEST, M.MEMBER_ADD_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/cluster/member/add',
  }),
  'cluster.memberRemove': spec('cluster.memberRemove', M.MEMBER_REMOVE_REQUEST, M.MEMBER_REMOVE_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/cluster/member/remove',
  }),
  'cluster.memberPromote': spec(
    'cluster.memberPromote',
    M.MEMBER_PROMOTE_REQUEST,
    M.MEMBER_PROMOTE_RESPONSE,
    {
      idempotent: false,
      gatewayPath: '/v3/cluster/member/promote',
    },
  ),
  'maintenance.status': spec('maintenance.status', M.STATUS_REQUEST, M.STATUS_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/maintenance/status',
  }),
  'maintenance.snapshot': spec('maintenance.snapshot', M.SNAPSHOT_REQUEST, M.SNAPSHOT_RESPONSE, {
    stream: 'snapshot',
    idempotent: true,
    gatewayPath: '/v3/maintenance/snapshot',
  }),
  'maintenance.alarm': spec('maintenance.alarm', M.ALARM_REQUEST, M.ALARM_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/maintenance/alarm',
  }),
  // Maintenance and membership operations.
  'maintenance.hash': spec('maintenance.hash', M.HASH_REQUEST, M.HASH_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/maintenance/hash',
  }),
  'maintenance.hashKV': spec('maintenance.hashKV', M.HASH_KV_REQUEST, M.HASH_KV_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/maintenance/hashkv',
  }),
  'maintenance.defragment': spec('maintenance.defragment', M.DEFRAGMENT_REQUEST, M.DEFRAGMENT_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/maintenance/defragment',
  }),
  'maintenance.moveLeader': spec('maintenance.moveLeader', M.MOVE_LEADER_REQUEST, M.MOVE_LEADER_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/maintenance/transfer-leadership',
  }),
  'cluster.memberUpdate': spec('cluster.memberUpdate', M.MEMBER_UPDATE_REQUEST, M.MEMBER_UPDATE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/cluster/member/update',
  }),
  // ---- access control: etcd's Auth service and its gateway paths ----
  'auth.enable': spec('auth.enable', M.AUTH_ENABLE_REQUEST, M.AUTH_ENABLE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/enable',
  }),
  'auth.disable': spec('auth.disable', M.AUTH_DISABLE_REQUEST, M.AUTH_DISABLE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/disable',
  }),
  'auth.status': spec('auth.status', M.AUTH_STATUS_REQUEST, M.AUTH_STATUS_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/status',
  }),
  'auth.authenticate': spec('auth.authenticate', M.AUTHENTICATE_REQUEST, M.AUTHENTICATE_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/authenticate',
  }),
  'auth.userAdd': spec('auth.userAdd', M.AUTH_USER_ADD_REQUEST, M.AUTH_USER_ADD_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/auth/user/add',
  }),
  'auth.userGet': spec('auth.userGet', M.AUTH_USER_GET_REQUEST, M.AUTH_USER_GET_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/user/get',
  }),
  'auth.userList': spec('auth.userList', M.AUTH_USER_LIST_REQUEST, M.AUTH_USER_LIST_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/user/list',
  }),
  'auth.userDelete': spec('auth.userDelete', M.AUTH_USER_DELETE_REQUEST, M.AUTH_USER_DELETE_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/auth/user/delete',
  }),
  'auth.userChangePassword': spec(
    'auth.userChangePassword',
    M.AUTH_USER_CHANGE_PASSWORD_REQUEST,
    M.AUTH_USER_CHANGE_PASSWORD_RESPONSE,
    { idempotent: true, gatewayPath: '/v3/auth/user/changepw' },
  ),
  'auth.userGrantRole': spec(
    'auth.userGrantRole',
    M.AUTH_USER_GRANT_ROLE_REQUEST,
    M.AUTH_USER_GRANT_ROLE_RESPONSE,
    {
      idempotent: true,
      gatewayPath: '/v3/auth/user/grant',
    },
  ),
  'auth.userRevokeRole': spec(
    'auth.userRevokeRole',
    M.AUTH_USER_REVOKE_ROLE_REQUEST,
    M.AUTH_USER_REVOKE_ROLE_RESPONSE,
    {
      idempotent: false,
      gatewayPath: '/v3/auth/user/revoke',
    },
  ),
  'auth.roleAdd': spec('auth.roleAdd', M.AUTH_ROLE_ADD_REQUEST, M.AUTH_ROLE_ADD_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/auth/role/add',
  }),
  'auth.roleGet': spec('auth.roleGet', M.AUTH_ROLE_GET_REQUEST, M.AUTH_ROLE_GET_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/role/get',
  }),
  'auth.roleList': spec('auth.roleList', M.AUTH_ROLE_LIST_REQUEST, M.AUTH_ROLE_LIST_RESPONSE, {
    idempotent: true,
    gatewayPath: '/v3/auth/role/list',
  }),
  'auth.roleDelete': spec('auth.roleDelete', M.AUTH_ROLE_DELETE_REQUEST, M.AUTH_ROLE_DELETE_RESPONSE, {
    idempotent: false,
    gatewayPath: '/v3/auth/role/delete',
  }),
  'auth.roleGrantPermission': spec(
    'auth.roleGrantPermission',
    M.AUTH_ROLE_GRANT_PERMISSION_REQUEST,
    M.AUTH_ROLE_GRANT_PERMISSION_RESPONSE,
    { idempotent: true, gatewayPath: '/v3/auth/role/grant' },
  ),
  'auth.roleRevokePermission': spec(
    'auth.roleRevokePermission',
    M.AUTH_ROLE_REVOKE_PERMISSION_REQUEST,
    M.AUTH_ROLE_REVOKE_PERMISSION_RESPONSE,
    { idempotent: false, gatewayPath: '/v3/auth/role/revoke' },
  ),
};

const METHOD_NAMES: ReadonlySet<string> = new Set(Object.values(Method));

export function isMethod(name: unknown): name is Method {
  return typeof name === 'string' && METHOD_NAMES.has(name);
}

/** The spec of a method, typed loosely for code that handles methods generically. */
export function methodSpec(method: Method): MethodSpec<Method> {
  return METHODS[method] as unknown as MethodSpec<Method>;
}
