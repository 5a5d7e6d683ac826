/**
 * The options of an embedded member, in a module of their own: `concord/server` exports this type,
 * and a consumer's compiler then reads only this file, not the whole member (whose internals name
 * `ws` types, which would make every consumer install `@types/ws`).
 */

/** Options for an embedded member: the `concord serve` flags in camelCase (arrays for URL lists). */
export type MemberOptions = Partial<Record<CamelFlag, string | number | boolean | readonly string[]>>;
type CamelFlag =
  | 'name'
  | 'dataDir'
  | 'listenClientUrls'
  | 'advertiseClientUrls'
  | 'listenPeerUrls'
  | 'initialAdvertisePeerUrls'
  | 'initialCluster'
  | 'initialClusterState'
  | 'initialClusterToken'
  | 'heartbeatInterval'
  | 'electionTimeout'
  | 'snapshotCount'
  | 'snapshotCatchupEntries'
  | 'maxSnapshots'
  | 'quotaBackendBytes'
  | 'heapAlarmPercent'
  | 'maxRequestBytes'
  | 'autoCompactionMode'
  | 'autoCompactionRetention'
  | 'requestTimeout'
  | 'certFile'
  | 'keyFile'
  | 'trustedCaFile'
  | 'clientCertAuth'
  | 'peerCertFile'
  | 'peerKeyFile'
  | 'peerTrustedCaFile'
  | 'peerClientCertAuth'
  | 'logLevel'
  | 'unsafeNoFsync'
  | 'authToken'
  | 'authTokenTtl';
