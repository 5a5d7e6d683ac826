/**
 * `concord/server`: run a member inside a Node process (for tests and embedding), the same thing
 * `concord serve` runs.
 */
export { startMember } from './member/start-member.js';
export type { MemberHandle, StartMemberExtras } from './member/start-member.js';
export type { MemberOptions } from './member/options.js';
export { loadConfig, InvalidConfigError } from './cli/config.js';
export { DataDirLockedError } from './platform/dir-lock.js';
export type { LockHolder } from './platform/dir-lock.js';
export { ListenError } from './member/listen-error.js';
export type { MemberConfig } from './cli/config.js';
