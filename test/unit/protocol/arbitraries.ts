/**
 * fast-check generators of domain values for every protocol message. Values honour the domain
 * invariants (safe integers, non-empty keys in requests, put flags consistent) so that a round trip
 * through the wire must give them back unchanged.
 */
import fc from 'fast-check';
import type * as D from '../../../client/protocol/types.js';
import type * as AuthTypes from '../../../client/protocol/messages-auth.js';
import { Method, type MethodParams, type MethodResult } from '../../../client/protocol/methods.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** Mostly small numbers (so defaults and ordinary values show up), sometimes huge ones. */
export const nat = (): fc.Arbitrary<number> =>
  fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: MAX_SAFE }));
export const anyInt = (): fc.Arbitrary<number> =>
  fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.integer({ min: -MAX_SAFE, max: MAX_SAFE }));
export const ttl = (): fc.Arbitrary<number> => fc.integer({ min: -1, max: 10_000_000 });
export const bytes = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength: 12 });
export const key = (): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: 1, maxLength: 12 });
export const text = (): fc.Arbitrary<string> => fc.string({ maxLength: 12 });

export const header = (): fc.Arbitrary<D.ResponseHeader> =>
  fc.record({ clusterId: nat(), memberId: nat(), revision: nat(), raftTerm: nat() });

export const keyValue = (): fc.Arbitrary<D.KeyValue> =>
  fc.record({
    key: bytes(),
    createRevision: nat(),
    modRevision: nat(),
    version: nat(),
    value: bytes(),
    lease: nat(),
  });

export const rangeRequest = (): fc.Arbitrary<D.RangeRequest> =>
  fc.record({
    key: key(),
    rangeEnd: bytes(),
    limit: nat(),
    revision: nat(),
    sortOrder: fc.constantFrom('none', 'ascend', 'descend'),
    sortTarget: fc.constantFrom('key', 'version', 'create', 'mod', 'value'),
    serializable: fc.boolean(),
    keysOnly: fc.boolean(),
    countOnly: fc.boolean(),
    minModRevision: nat(),
    maxModRevision: nat(),
    minCreateRevision: nat(),
    maxCreateRevision: nat(),
  });

export const putRequest = (): fc.Arbitrary<D.PutRequest> =>
  fc
    .record({
      key: key(),
      value: bytes(),
      lease: nat(),
      prevKv: fc.boolean(),
      ignoreValue: fc.boolean(),
      ignoreLease: fc.boolean(),
    })
    .map((p) => ({
      ...p,
      value: p.ignoreValue ? new Uint8Array(0) : p.value,
      lease: p.ignoreLease ? 0 : p.lease,
    }));

export const deleteRangeRequest = (): fc.Arbitrary<D.DeleteRangeRequest> =>
  fc.record({ key: key(), rangeEnd: bytes(), prevKv: fc.boolean() });

export const compare = (): fc.Arbitrary<D.Compare> => {
  const base = {
    key: bytes(),
    rangeEnd: bytes(),
    result: fc.constantFrom('equal', 'greater', 'less', 'notEqual'),
  };
  return fc.oneof(
    fc.record({ ...base, target: fc.constant('value' as const), value: bytes() }),
    fc.record({ ...base, target: fc.constantFrom('version', 'create', 'mod', 'lease'), value: anyInt() }),
  );
};

const { txnRequest } = fc.letrec<{ txnRequest: D.TxnRequest; requestOp: D.RequestOp }>((tie) => ({
  txnRequest: fc.record({
    compare: fc.array(compare(), { maxLength: 3 }),
    success: fc.array(tie('requestOp'), { maxLength: 3 }),
    failure: fc.array(tie('requestOp'), { maxLength: 3 }),
  }),
  requestOp: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'txn-request', withCrossShrink: true },
    fc.record({ type: fc.constant('range' as const), request: rangeRequest() }),
    fc.record({ type: fc.constant('put' as const), request: putRequest() }),
    fc.record({ type: fc.constant('deleteRange' as const), request: deleteRangeRequest() }),
    fc.record({ type: fc.constant('txn' as const), request: tie('txnRequest') }),
  ),
}));
export { txnRequest };

export const rangeResponse = (): fc.Arbitrary<D.RangeResponse> =>
  fc.record({
    header: header(),
    kvs: fc.array(keyValue(), { maxLength: 3 }),
    more: fc.boolean(),
    count: nat(),
  });

export const putResponse = (): fc.Arbitrary<D.PutResponse> =>
  fc.record({ header: header(), prevKv: keyValue() }, { requiredKeys: ['header'] });

export const deleteRangeResponse = (): fc.Arbitrary<D.DeleteRangeResponse> =>
  fc.record({ header: header(), deleted: nat(), prevKvs: fc.array(keyValue(), { maxLength: 3 }) });

const { txnResponse } = fc.letrec<{ txnResponse: D.TxnResponse; responseOp: D.ResponseOp }>((tie) => ({
  txnResponse: fc.record({
    header: header(),
    succeeded: fc.boolean(),
    responses: fc.array(tie('responseOp'), { maxLength: 3 }),
  }),
  responseOp: fc.oneof(
    { maxDepth: 4, depthIdentifier: 'txn-response', withCrossShrink: true },
    fc.record({ type: fc.constant('range' as const), response: rangeResponse() }),
    fc.record({ type: fc.constant('put' as const), response: putResponse() }),
    fc.record({ type: fc.constant('deleteRange' as const), response: deleteRangeResponse() }),
    fc.record({ type: fc.constant('txn' as const), response: tie('txnResponse') }),
  ),
}));
export { txnResponse };

export const compactionRequest = (): fc.Arbitrary<D.CompactionRequest> =>
  fc.record({ revision: nat(), physical: fc.boolean() });
export const headerOnly = (): fc.Arbitrary<{ header: D.ResponseHeader }> => fc.record({ header: header() });
export const empty = (): fc.Arbitrary<D.EmptyRequest> => fc.constant({});

export const watchCreateRequest = (
  watchId: fc.Arbitrary<number> = nat(),
): fc.Arbitrary<D.WatchCreateRequest> =>
  fc.record({
    key: bytes(),
    rangeEnd: bytes(),
    startRevision: nat(),
    progressNotify: fc.boolean(),
    filters: fc.array(fc.constantFrom('noPut', 'noDelete'), { maxLength: 2 }),
    prevKv: fc.boolean(),
    watchId,
    fragment: fc.boolean(),
  });

export const watchCancelRequest = (): fc.Arbitrary<D.WatchCancelRequest> => fc.record({ watchId: nat() });

export const watchRequest = (): fc.Arbitrary<D.WatchRequest> =>
  fc.oneof(
    fc.record({ type: fc.constant('create' as const), request: watchCreateRequest() }),
    fc.record({ type: fc.constant('cancel' as const), request: watchCancelRequest() }),
    fc.constant({ type: 'progress' as const }),
  );

export const watchEvent = (): fc.Arbitrary<D.WatchEvent> =>
  fc.record(
    { type: fc.constantFrom('put', 'delete'), kv: keyValue(), prevKv: keyValue() },
    { requiredKeys: ['type', 'kv'] },
  );

const watchId = (): fc.Arbitrary<number> => fc.oneof(fc.constant(-1), nat());

export const watchCreated = (): fc.Arbitrary<D.WatchCreated> =>
  fc.record({ type: fc.constant('created' as const), header: header(), watchId: watchId() });
export const watchEvents = (): fc.Arbitrary<Extract<D.WatchResponse, { type: 'events' }>> =>
  fc.record({
    type: fc.constant('events' as const),
    header: header(),
    watchId: watchId(),
    events: fc.array(watchEvent(), { minLength: 1, maxLength: 3 }),
    fragment: fc.boolean(),
  });
export const watchProgress = (): fc.Arbitrary<D.WatchProgress> =>
  fc.record({ type: fc.constant('progress' as const), header: header(), watchId: watchId() });
export const watchCanceled = (): fc.Arbitrary<D.WatchCanceled> =>
  fc.record({
    type: fc.constant('canceled' as const),
    header: header(),
    watchId: watchId(),
    compactRevision: nat(),
    cancelReason: text(),
  });
export const watchResponse = (): fc.Arbitrary<D.WatchResponse> =>
  fc.oneof(watchCreated(), watchEvents(), watchProgress(), watchCanceled());
export const watchStreamResponse = (): fc.Arbitrary<D.WatchStreamResponse> =>
  fc.oneof(watchEvents(), watchProgress());

export const leaseGrantRequest = (): fc.Arbitrary<D.LeaseGrantRequest> =>
  fc.record({ ttlSec: nat(), id: nat() });
export const leaseGrantResponse = (): fc.Arbitrary<D.LeaseGrantResponse> =>
  fc.record({ header: header(), id: nat(), ttlSec: ttl(), error: text() });
export const leaseIdRequest = (): fc.Arbitrary<{ id: number }> => fc.record({ id: nat() });
export const leaseKeepAliveResponse = (): fc.Arbitrary<D.LeaseKeepAliveResponse> =>
  fc.record({ header: header(), id: nat(), ttlSec: ttl() });
export const leaseTimeToLiveRequest = (): fc.Arbitrary<D.LeaseTimeToLiveRequest> =>
  fc.record({ id: nat(), keys: fc.boolean() });
export const leaseTimeToLiveResponse = (): fc.Arbitrary<D.LeaseTimeToLiveResponse> =>
  fc.record({
    header: header(),
    id: nat(),
    ttlSec: ttl(),
    grantedTtlSec: ttl(),
    keys: fc.array(bytes(), { maxLength: 3 }),
  });
export const leaseLeasesResponse = (): fc.Arbitrary<D.LeaseLeasesResponse> =>
  fc.record({ header: header(), leases: fc.array(fc.record({ id: nat() }), { maxLength: 3 }) });

export const memberListRequest = (): fc.Arbitrary<D.MemberListRequest> =>
  fc.record({ linearizable: fc.boolean() });
export const member = (): fc.Arbitrary<D.Member> =>
  fc.record({
    id: nat(),
    name: text(),
    peerUrls: fc.array(text(), { maxLength: 2 }),
    clientUrls: fc.array(text(), { maxLength: 2 }),
    isLearner: fc.boolean(),
  });
export const memberListResponse = (): fc.Arbitrary<D.MemberListResponse> =>
  fc.record({ header: header(), members: fc.array(member(), { maxLength: 3 }) });

/** A valid peer URL: http(s)://host:port. */
export const peerUrl = (): fc.Arbitrary<string> =>
  fc
    .tuple(
      fc.constantFrom('http', 'https'),
      fc.domain(),
      fc.integer({ min: 1, max: 65535 }),
      fc.constantFrom('', '/'),
    )
    .map(([scheme, host, port, slash]) => `${scheme}://${host}:${port}${slash}`);
export const memberAddRequest = (): fc.Arbitrary<D.MemberAddRequest> =>
  fc.record({
    peerUrls: fc.uniqueArray(peerUrl(), { minLength: 1, maxLength: 3 }),
    isLearner: fc.boolean(),
  });
export const memberAddResponse = (): fc.Arbitrary<D.MemberAddResponse> =>
  fc.record({ header: header(), member: member(), members: fc.array(member(), { maxLength: 3 }) });
export const memberIdRequest = (): fc.Arbitrary<{ id: number }> =>
  fc.record({ id: fc.integer({ min: 1, max: MAX_SAFE }) });

export const statusResponse = (): fc.Arbitrary<D.StatusResponse> =>
  fc.record({
    header: header(),
    version: text(),
    dbSizeBytes: nat(),
    leader: nat(),
    raftIndex: nat(),
    raftTerm: nat(),
    raftAppliedIndex: nat(),
    errors: fc.array(text(), { maxLength: 2 }),
    dbSizeInUseBytes: nat(),
    isLearner: fc.boolean(),
    storageVersion: text(),
    dbSizeQuotaBytes: nat(),
    concordVersion: text(),
  });

export const snapshotResponse = (): fc.Arbitrary<D.SnapshotResponse> =>
  fc.record({
    header: header(),
    remainingBytes: nat(),
    blob: fc.uint8Array({ maxLength: 64 }),
    version: text(),
  });

const alarmType = (): fc.Arbitrary<D.AlarmType> => fc.constantFrom('none', 'noSpace', 'corrupt');
export const alarmRequest = (): fc.Arbitrary<D.AlarmRequest> =>
  fc.record({
    action: fc.constantFrom('get', 'activate', 'deactivate'),
    memberId: nat(),
    alarm: alarmType(),
  });
export const alarmResponse = (): fc.Arbitrary<D.AlarmResponse> =>
  fc.record({
    header: header(),
    alarms: fc.array(fc.record({ memberId: nat(), alarm: alarmType() }), { maxLength: 3 }),
  });

// ---- access control ----
const authName = (): fc.Arbitrary<string> => fc.string({ maxLength: 12 });
const permission = (): fc.Arbitrary<AuthTypes.Permission> =>
  fc.record({ permType: fc.constantFrom('read', 'write', 'readwrite'), key: bytes(), rangeEnd: bytes() });
const authHeader = (): fc.Arbitrary<AuthTypes.AuthHeaderResponse> => fc.record({ header: header() });
const names = (): fc.Arbitrary<string[]> => fc.array(authName(), { maxLength: 3 });
const AUTH_ARBITRARIES = {
  'auth.enable': { params: empty(), result: authHeader() },
  'auth.disable': { params: empty(), result: authHeader() },
  'auth.status': {
    params: empty(),
    result: fc.record({ header: header(), enabled: fc.boolean(), authRevision: nat() }),
  },
  'auth.authenticate': {
    params: fc.record({ name: authName(), password: authName() }),
    result: fc.record({ header: header(), token: authName(), ttlSec: fc.nat() }),
  },
  'auth.userAdd': {
    params: fc.record(
      {
        name: authName(),
        password: authName(),
        options: fc.record({ noPassword: fc.boolean() }),
        hashedPassword: authName(),
      },
      { requiredKeys: ['name', 'password', 'hashedPassword'] },
    ),
    result: authHeader(),
  },
  'auth.userGet': {
    params: fc.record({ name: authName() }),
    result: fc.record({ header: header(), roles: names() }),
  },
  'auth.userList': { params: empty(), result: fc.record({ header: header(), users: names() }) },
  'auth.userDelete': { params: fc.record({ name: authName() }), result: authHeader() },
  'auth.userChangePassword': {
    params: fc.record({ name: authName(), password: authName(), hashedPassword: authName() }),
    result: authHeader(),
  },
  'auth.userGrantRole': { params: fc.record({ user: authName(), role: authName() }), result: authHeader() },
  'auth.userRevokeRole': { params: fc.record({ name: authName(), role: authName() }), result: authHeader() },
  'auth.roleAdd': { params: fc.record({ name: authName() }), result: authHeader() },
  'auth.roleGet': {
    params: fc.record({ role: authName() }),
    result: fc.record({ header: header(), perm: fc.array(permission(), { maxLength: 3 }) }),
  },
  'auth.roleList': { params: empty(), result: fc.record({ header: header(), roles: names() }) },
  'auth.roleDelete': { params: fc.record({ role: authName() }), result: authHeader() },
  'auth.roleGrantPermission': {
    params: fc.record({ name: authName(), perm: permission() }, { requiredKeys: ['name'] }),
    result: authHeader(),
  },
  'auth.roleRevokePermission': {
    params: fc.record({ role: authName(), key: bytes(), rangeEnd: bytes() }),
    result: authHeader(),
  },
} as const;

/** Params and result generators for every method (watch.create params keep watchId 0). */
export const METHOD_ARBITRARIES: {
  readonly [K in Method]: { params: fc.Arbitrary<MethodParams<K>>; result: fc.Arbitrary<MethodResult<K>> };
} = {
  'kv.range': { params: rangeRequest(), result: rangeResponse() },
  'kv.put': { params: putRequest(), result: putResponse() },
  'kv.deleteRange': { params: deleteRangeRequest(), result: deleteRangeResponse() },
  'kv.txn': { params: txnRequest, result: txnResponse },
  'kv.compact': { params: compactionRequest(), result: headerOnly() },
  'lease.grant': { params: leaseGrantRequest(), result: leaseGrantResponse() },
  'lease.revoke': { params: leaseIdRequest(), result: headerOnly() },
  'lease.timeToLive': { params: leaseTimeToLiveRequest(), result: leaseTimeToLiveResponse() },
  'lease.leases': { params: empty(), result: leaseLeasesResponse() },
  'lease.keepAlive': { params: leaseIdRequest(), result: leaseKeepAliveResponse() },
  'watch.create': { params: watchCreateRequest(fc.constant(0)), result: watchCreated() },
  'watch.cancel': { params: watchCancelRequest(), result: watchCanceled() },
  'watch.progress': { params: empty(), result: watchProgress() },
  'cluster.memberList': { params: memberListRequest(), result: memberListResponse() },
  'cluster.memberAdd': { params: memberAddRequest(), result: memberAddResponse() },
  'cluster.memberRemove': { params: memberIdRequest(), result: memberListResponse() },
  'cluster.memberPromote': { params: memberIdRequest(), result: memberListResponse() },
  'maintenance.status': { params: empty(), result: statusResponse() },
  'maintenance.snapshot': { params: empty(), result: snapshotResponse() },
  'maintenance.alarm': { params: alarmRequest(), result: alarmResponse() },
  ...AUTH_ARBITRARIES,
  'maintenance.hash': {
    params: empty(),
    result: fc.record({ header: header(), hash: fc.integer({ min: 0, max: 0xffffffff }) }),
  },
  'maintenance.hashKV': {
    params: fc.record({ revision: nat() }),
    result: fc.record({
      header: header(),
      hash: fc.integer({ min: 0, max: 0xffffffff }),
      compactRevision: nat(),
      hashRevision: nat(),
    }),
  },
  'maintenance.defragment': { params: empty(), result: headerOnly() },
  'maintenance.moveLeader': { params: fc.record({ targetId: nat() }), result: headerOnly() },
  'cluster.memberUpdate': {
    params: fc.record({
      id: fc.integer({ min: 1, max: MAX_SAFE }),
      peerUrls: fc.uniqueArray(peerUrl(), { minLength: 1, maxLength: 3 }),
    }),
    result: memberListResponse(),
  },
};

export const ALL_METHODS: readonly Method[] = Object.values(Method);

export const errorBody = (): fc.Arbitrary<import('../../../client/protocol/errors.js').ErrorBody> =>
  fc.record({
    code: fc.constantFrom(
      'NOT_LEADER',
      'COMPACTED',
      'INVALID_ARGUMENT',
      'UNAVAILABLE',
      'TIMEOUT',
      'TOO_MANY_REQUESTS',
      'LEASE_NOT_FOUND',
    ),
    message: text(),
    details: fc.record(
      {
        field: text(),
        compactRevision: nat(),
        currentRevision: nat(),
        leaderId: nat(),
        leaderClientUrls: fc.array(text(), { maxLength: 2 }),
        retryAfterMs: nat(),
        limit: nat(),
      },
      { requiredKeys: [] },
    ),
  });
