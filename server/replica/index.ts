export { Replica, REPLICA_DEFAULTS, toServerError } from './replica.js';
export type {
  ReplicaConfig,
  ReplicaStatus,
  ReplicaLogger,
  LeaderListener,
  MembershipListener,
} from './replica.js';
export type { ReplicaStorage, StateMachine, PeerSender, ReplicaPlatform } from './ports.js';
export { MemberRegistry, encodeMemberAttributes, decodeMemberAttributes } from './members.js';
export type { Member, MemberAttributes } from './members.js';
export { encodeReplicaSnapshot, decodeReplicaSnapshot } from './snapshot-codec.js';
export { bootstrapEntries } from './bootstrap.js';
export type { InitialMember } from './bootstrap.js';
