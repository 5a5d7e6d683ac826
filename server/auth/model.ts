/**
 * The replicated access-control model (etcd's auth store): users with a password hash and roles,
 * roles with key-range permissions, the `root` user and role, whether auth is on, and a revision
 * that moves with every change.
 *
 * Plain data. Passwords arrive already hashed (password.ts, at the API layer, before proposing): the
 * state machine never hashes and stays deterministic.
 */

/** etcd's Permission.Type. */
export type PermType = 'read' | 'write' | 'readwrite';
export const PERM_TYPES: readonly PermType[] = ['read', 'write', 'readwrite'];

/**
 * Access to one key (`rangeEnd` empty), the keys ≥ `key` (`rangeEnd` one zero byte), or the
 * half-open range `[key, rangeEnd)`, as etcd's ranges.
 */
export interface Permission {
  readonly permType: PermType;
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

export interface UserRecord {
  readonly name: string;
  /** The encoded password hash (password.ts); empty for a no-password user. */
  readonly passwordHash: string;
  /** Sorted, without duplicates. */
  readonly roles: readonly string[];
  /** etcd's UserAddOptions.no_password: the user authenticates by client certificate only. */
  readonly noPassword: boolean;
  /**
   * The auth revision at which this user was added or last changed its password: a token issued
   * before it (for a deleted-then-re-added user, or an old password) is not valid.
   */
  readonly validSince: number;
}

export interface RoleRecord {
  readonly name: string;
  /** Sorted by key, then range end; one permission per (key, rangeEnd). */
  readonly permissions: readonly Permission[];
}

/** etcd's names with special meaning: the root user may do anything once it has the root role. */
export const ROOT = 'root';

/** The replicated auth state, as snapshots carry it. */
export interface AuthState {
  readonly enabled: boolean;
  readonly revision: number;
  /** Sorted by name. */
  readonly users: readonly UserRecord[];
  /** Sorted by name. */
  readonly roles: readonly RoleRecord[];
}

/** Changes to the auth store: the `auth` command of the state machine (server/apply). */
export type AuthOp =
  | { readonly op: 'enable' }
  | { readonly op: 'disable' }
  | {
      readonly op: 'userAdd';
      readonly name: string;
      readonly passwordHash: string;
      readonly noPassword: boolean;
    }
  | { readonly op: 'userDelete'; readonly name: string }
  | { readonly op: 'userChangePassword'; readonly name: string; readonly passwordHash: string }
  | { readonly op: 'userGrantRole'; readonly name: string; readonly role: string }
  | { readonly op: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly op: 'roleAdd'; readonly name: string }
  | { readonly op: 'roleDelete'; readonly name: string }
  | { readonly op: 'roleGrantPermission'; readonly name: string; readonly perm: Permission }
  | {
      readonly op: 'roleRevokePermission';
      readonly name: string;
      readonly key: Uint8Array;
      readonly rangeEnd: Uint8Array;
    }
  /**
   * A simple token issued to `name` (decided by the proposer, after it checked the password), so
   * that every member knows it. Changes no replicated state; apply tells the member's token keeper.
   */
  | { readonly op: 'assignToken'; readonly name: string; readonly token: string };

export type AuthOpName = AuthOp['op'];
export const AUTH_OP_NAMES: readonly AuthOpName[] = [
  'enable',
  'disable',
  'userAdd',
  'userDelete',
  'userChangePassword',
  'userGrantRole',
  'userRevokeRole',
  'roleAdd',
  'roleDelete',
  'roleGrantPermission',
  'roleRevokePermission',
  'assignToken',
];

/** What applying an auth op answers: the auth revision after it. */
export interface AuthOpResult {
  readonly revision: number;
}
