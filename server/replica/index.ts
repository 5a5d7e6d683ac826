export { Replica } from './replica.js';
export { REPLICA_DEFAULTS } from './replica-config.js';
export { toServerError } from './to-server-error.js';
export type {
  ReplicaConfig,
  ReplicaInjectedBugs,
  ReplicaStatus,
  ReplicaStats,
  ReplicaLogger,
  LeaderListener,
  MembershipListener,
} from './replica-config.js';
export type { ReplicaStorage, StateMachine, PeerSender, ReplicaPlatform, SnapshotSource } from './ports.js';
export { MemberRegistry, encodeMemberAttributes, decodeMemberAttributes } from './members.js';
export type { Member, MemberAttributes } from './members.js';
export { encodeReplicaSnapshot, encodeReplicaSnapshotHead, decodeReplicaSnapshot } from './snapshot-codec.js';
export { bootstrapEntries } from './bootstrap.js';
export type { InitialMember } from './bootstrap.js';
