/**
 * `concord/server`: run a member inside a Node process (for tests and embedding), the same thing
 * `concord serve` runs. `startMember(config)` takes the typed `MemberConfig` (member/config.ts);
 * `resolveMemberConfig` validates one without starting anything.
 */
export { startMember } from './member/start-member.js';
export type { MemberHandle, StartMemberExtras } from './member/start-member.js';
export {
  InvalidConfigError,
  MEMBER_DEFAULTS,
  resolveMemberConfig,
  type AutoCompactionMode,
  type InitialClusterMember,
  type InitialClusterState,
  type LogLevel,
  type MemberConfig,
  type MemberConfigField,
  type MemberOptions,
  type ResolvedMemberConfig,
} from './member/config.js';
export { DataDirLockedError } from './platform/dir-lock.js';
export type { LockHolder } from './platform/dir-lock.js';
export { ListenError } from './member/listen-error.js';
