/** Codecs of etcd's lease, cluster and maintenance messages. */
import { invalid } from './errors.js';
import { HEADER } from './messages-kv.js';
import { field, INT_ANY, INT_NON_NEGATIVE, joinPath, messageCodec, T, type Codec } from './schema.js';
import type * as D from './types.js';
import type * as W from './wire.js';

const ANY = INT_ANY;
const COUNT = INT_NON_NEGATIVE;
const ID = INT_NON_NEGATIVE;
const rep = { repeated: true } as const;

// ---- Lease ----------------------------------------------------------------------------------

export const LEASE_GRANT_REQUEST: Codec<D.LeaseGrantRequest, W.WireLeaseGrantRequest> = messageCodec(
  'LeaseGrantRequest',
  [field('TTL', 'ttlSec', T.int(0)), field('ID', 'id', ID)],
);

export const LEASE_GRANT_RESPONSE: Codec<D.LeaseGrantResponse, W.WireLeaseGrantResponse> = messageCodec(
  'LeaseGrantResponse',
  [HEADER, field('ID', 'id', ID), field('TTL', 'ttlSec', ANY), field('error', 'error', T.string)],
);

export const LEASE_REVOKE_REQUEST: Codec<D.LeaseRevokeRequest, W.WireLeaseRevokeRequest> = messageCodec(
  'LeaseRevokeRequest',
  [field('ID', 'id', ID)],
);

export const LEASE_REVOKE_RESPONSE: Codec<D.LeaseRevokeResponse, W.WireLeaseRevokeResponse> = messageCodec(
  'LeaseRevokeResponse',
  [HEADER],
);

export const LEASE_KEEP_ALIVE_REQUEST: Codec<D.LeaseKeepAliveRequest, W.WireLeaseKeepAliveRequest> =
  messageCodec('LeaseKeepAliveRequest', [field('ID', 'id', ID)]);

export const LEASE_KEEP_ALIVE_RESPONSE: Codec<D.LeaseKeepAliveResponse, W.WireLeaseKeepAliveResponse> =
  messageCodec('LeaseKeepAliveResponse', [HEADER, field('ID', 'id', ID), field('TTL', 'ttlSec', ANY)]);

export const LEASE_TIME_TO_LIVE_REQUEST: Codec<D.LeaseTimeToLiveRequest, W.WireLeaseTimeToLiveRequest> =
  messageCodec('LeaseTimeToLiveRequest', [field('ID', 'id', ID), field('keys', 'keys', T.bool)]);

export const LEASE_TIME_TO_LIVE_RESPONSE: Codec<D.LeaseTimeToLiveResponse, W.WireLeaseTimeToLiveResponse> =
  messageCodec('LeaseTimeToLiveResponse', [
    HEADER,
    field('ID', 'id', ID),
    field('TTL', 'ttlSec', ANY),
    field('grantedTTL', 'grantedTtlSec', ANY),
    field('keys', 'keys', T.bytes, rep),
  ]);

export const LEASE_STATUS: Codec<D.LeaseStatus, W.WireLeaseStatus> = messageCodec('LeaseStatus', [
  field('ID', 'id', ID),
]);

export const LEASE_LEASES_RESPONSE: Codec<D.LeaseLeasesResponse, W.WireLeaseLeasesResponse> = messageCodec(
  'LeaseLeasesResponse',
  [
    HEADER,
    field(
      'leases',
      'leases',
      T.message(() => LEASE_STATUS),
      rep,
    ),
  ],
);

// ---- Cluster and maintenance ----------------------------------------------------------------

export const MEMBER_LIST_REQUEST: Codec<D.MemberListRequest, W.WireMemberListRequest> = messageCodec(
  'MemberListRequest',
  [field('linearizable', 'linearizable', T.bool)],
);

export const MEMBER: Codec<D.Member, W.WireMember> = messageCodec('Member', [
  field('ID', 'id', ID),
  field('name', 'name', T.string),
  field('peerURLs', 'peerUrls', T.string, rep),
  field('clientURLs', 'clientUrls', T.string, rep),
  field('isLearner', 'isLearner', T.bool),
]);

export const MEMBER_LIST_RESPONSE: Codec<D.MemberListResponse, W.WireMemberListResponse> = messageCodec(
  'MemberListResponse',
  [
    HEADER,
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ],
);

/** Most peer URLs one member may advertise (a limit of Concord's; etcd has none). */
export const MAX_MEMBER_PEER_URLS = 16;
/** Longest peer URL accepted, in characters. */
export const MAX_PEER_URL_LENGTH = 1024;
/** scheme://host[:port] with an optional trailing slash: what a peer URL may be (etcd's rule). */
const PEER_URL = /^https?:\/\/[^\s/?#@]+\/?$/;

function checkPeerUrls(wire: { readonly peerURLs?: readonly string[] }, path: string): void {
  const urls = wire.peerURLs ?? [];
  const at = joinPath(path, 'peerURLs');
  if (urls.length === 0) throw invalid(at, 'member peer URLs are not provided');
  if (urls.length > MAX_MEMBER_PEER_URLS) throw invalid(at, `more than ${MAX_MEMBER_PEER_URLS} peer URLs`);
  urls.forEach((url, i) => {
    if (url.length > MAX_PEER_URL_LENGTH || !PEER_URL.test(url))
      throw invalid(`${at}[${i}]`, 'given member URLs are invalid (want http(s)://host:port)');
  });
  if (new Set(urls).size !== urls.length) throw invalid(at, 'a peer URL is given twice');
}

function requireMemberId(wire: { readonly ID?: string }, path: string): void {
  if (wire.ID === undefined) throw invalid(joinPath(path, 'ID'), 'member ID is not provided');
}

export const MEMBER_ADD_REQUEST: Codec<D.MemberAddRequest, W.WireMemberAddRequest> = messageCodec(
  'MemberAddRequest',
  [field('peerURLs', 'peerUrls', T.string, rep), field('isLearner', 'isLearner', T.bool)],
  checkPeerUrls,
);

export const MEMBER_ADD_RESPONSE: Codec<D.MemberAddResponse, W.WireMemberAddResponse> = messageCodec(
  'MemberAddResponse',
  [
    HEADER,
    field(
      'member',
      'member',
      T.message(() => MEMBER),
      { presence: 'required' },
    ),
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ],
);

export const MEMBER_REMOVE_REQUEST: Codec<D.MemberRemoveRequest, W.WireMemberRemoveRequest> = messageCodec(
  'MemberRemoveRequest',
  [field('ID', 'id', ID)],
  requireMemberId,
);

export const MEMBER_REMOVE_RESPONSE: Codec<D.MemberRemoveResponse, W.WireMemberRemoveResponse> = messageCodec(
  'MemberRemoveResponse',
  [
    HEADER,
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ],
);

export const MEMBER_PROMOTE_REQUEST: Codec<D.MemberPromoteRequest, W.WireMemberPromoteRequest> = messageCodec(
  'MemberPromoteRequest',
  [field('ID', 'id', ID)],
  requireMemberId,
);

export const MEMBER_PROMOTE_RESPONSE: Codec<D.MemberPromoteResponse, W.WireMemberPromoteResponse> =
  messageCodec('MemberPromoteResponse', [
    HEADER,
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ]);

export const STATUS_RESPONSE: Codec<D.StatusResponse, W.WireStatusResponse> = messageCodec('StatusResponse', [
  HEADER,
  field('version', 'version', T.string),
  field('dbSize', 'dbSizeBytes', COUNT),
  field('leader', 'leader', ID),
  field('raftIndex', 'raftIndex', COUNT),
  field('raftTerm', 'raftTerm', COUNT),
  field('raftAppliedIndex', 'raftAppliedIndex', COUNT),
  field('errors', 'errors', T.string, rep),
  field('dbSizeInUse', 'dbSizeInUseBytes', COUNT),
  field('isLearner', 'isLearner', T.bool),
  field('storageVersion', 'storageVersion', T.string),
  field('dbSizeQuota', 'dbSizeQuotaBytes', COUNT),
  field('concordVersion', 'concordVersion', T.string),
]);

export const SNAPSHOT_RESPONSE: Codec<D.SnapshotResponse, W.WireSnapshotResponse> = messageCodec(
  'SnapshotResponse',
  [
    HEADER,
    field('remaining_bytes', 'remainingBytes', COUNT),
    field('blob', 'blob', T.bytes),
    field('version', 'version', T.string),
  ],
);

const ALARM_TYPE = T.enumOf(['NONE', 'NOSPACE', 'CORRUPT'], ['none', 'noSpace', 'corrupt']);

export const ALARM_REQUEST: Codec<D.AlarmRequest, W.WireAlarmRequest> = messageCodec('AlarmRequest', [
  field('action', 'action', T.enumOf(['GET', 'ACTIVATE', 'DEACTIVATE'], ['get', 'activate', 'deactivate'])),
  field('memberID', 'memberId', ID),
  field('alarm', 'alarm', ALARM_TYPE),
]);

export const ALARM_MEMBER: Codec<D.AlarmMember, W.WireAlarmMember> = messageCodec('AlarmMember', [
  field('memberID', 'memberId', ID),
  field('alarm', 'alarm', ALARM_TYPE),
]);

export const ALARM_RESPONSE: Codec<D.AlarmResponse, W.WireAlarmResponse> = messageCodec('AlarmResponse', [
  HEADER,
  field(
    'alarms',
    'alarms',
    T.message(() => ALARM_MEMBER),
    rep,
  ),
]);

// ---- Maintenance and membership: hash, hashKV, defragment, moveLeader, memberUpdate ---------

export const HASH_RESPONSE: Codec<D.HashResponse, W.WireHashResponse> = messageCodec('HashResponse', [
  HEADER,
  field('hash', 'hash', T.uint32),
]);

export const HASH_KV_REQUEST: Codec<D.HashKVRequest, W.WireHashKVRequest> = messageCodec('HashKVRequest', [
  field('revision', 'revision', COUNT),
]);

export const HASH_KV_RESPONSE: Codec<D.HashKVResponse, W.WireHashKVResponse> = messageCodec(
  'HashKVResponse',
  [
    HEADER,
    field('hash', 'hash', T.uint32),
    field('compact_revision', 'compactRevision', COUNT),
    field('hash_revision', 'hashRevision', COUNT),
  ],
);

export const DEFRAGMENT_RESPONSE: Codec<D.DefragmentResponse, W.WireDefragmentResponse> = messageCodec(
  'DefragmentResponse',
  [HEADER],
);

export const MOVE_LEADER_REQUEST: Codec<D.MoveLeaderRequest, W.WireMoveLeaderRequest> = messageCodec(
  'MoveLeaderRequest',
  [field('targetID', 'targetId', ID)],
);

export const MOVE_LEADER_RESPONSE: Codec<D.MoveLeaderResponse, W.WireMoveLeaderResponse> = messageCodec(
  'MoveLeaderResponse',
  [HEADER],
);

export const MEMBER_UPDATE_REQUEST: Codec<D.MemberUpdateRequest, W.WireMemberUpdateRequest> = messageCodec(
  'MemberUpdateRequest',
  [field('ID', 'id', ID), field('peerURLs', 'peerUrls', T.string, rep)],
  (wire, path) => {
    requireMemberId(wire, path);
    checkPeerUrls(wire, path);
  },
);

export const MEMBER_UPDATE_RESPONSE: Codec<D.MemberUpdateResponse, W.WireMemberUpdateResponse> = messageCodec(
  'MemberUpdateResponse',
  [
    HEADER,
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ],
);
