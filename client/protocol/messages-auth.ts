/**
 * etcd's Auth service messages (users, roles, permissions, tokens): domain types, wire types and
 * codecs, in one file so that the access-control additions stay apart from the other messages.
 * Field names and numbers are etcd's (rpc.proto, auth.proto); the gateway paths are etcd's
 * `/v3/auth/...` (methods.ts).
 */
import { invalid } from './errors.js';
import { HEADER } from './messages-kv.js';
import { field, INT_NON_NEGATIVE, joinPath, messageCodec, T, type Codec } from './schema.js';
import type { EmptyRequest, ResponseHeader } from './types.js';
import type { B64, I64, WireEmpty, WireResponseHeader } from './wire.js';

// ---- domain ---------------------------------------------------------------------------------

/** etcd's Permission.Type: READ, WRITE, READWRITE. */
export type PermissionType = 'read' | 'write' | 'readwrite';

/** Access to one key (rangeEnd empty), keys ≥ key (rangeEnd one zero byte) or [key, rangeEnd). */
export interface Permission {
  readonly permType: PermissionType;
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

export type AuthEnableRequest = EmptyRequest;
export type AuthDisableRequest = EmptyRequest;
export type AuthStatusRequest = EmptyRequest;

/** The answer of every auth change that returns nothing but the header. */
export interface AuthHeaderResponse {
  readonly header: ResponseHeader;
}

export interface AuthStatusResponse {
  readonly header: ResponseHeader;
  readonly enabled: boolean;
  readonly authRevision: number;
}

export interface AuthenticateRequest {
  readonly name: string;
  readonly password: string;
}

export interface AuthenticateResponse {
  readonly header: ResponseHeader;
  readonly token: string;
  /**
   * Concord's own field (WebSocket answers only; etcd's gRPC and gateway answers have none): how
   * long the token lives, in seconds — a simple token after its last use on a member, a JWT from
   * its issue. 0: not told (absent on the wire). The SDK renews the token before this runs out.
   */
  readonly ttlSec: number;
}

export interface UserAddOptions {
  /** The user has no password: it can authenticate only by client certificate. */
  readonly noPassword: boolean;
}

export interface AuthUserAddRequest {
  readonly name: string;
  readonly password: string;
  readonly options?: UserAddOptions;
  /** etcd 3.5's pre-hashed (bcrypt) password: refused by Concord, which hashes with scrypt. */
  readonly hashedPassword: string;
}

export interface AuthUserNameRequest {
  readonly name: string;
}

export interface AuthUserChangePasswordRequest {
  readonly name: string;
  readonly password: string;
  readonly hashedPassword: string;
}

export interface AuthUserGrantRoleRequest {
  readonly user: string;
  readonly role: string;
}

export interface AuthUserRevokeRoleRequest {
  readonly name: string;
  readonly role: string;
}

export interface AuthRoleAddRequest {
  readonly name: string;
}

export interface AuthRoleNameRequest {
  readonly role: string;
}

export interface AuthUserGetResponse {
  readonly header: ResponseHeader;
  readonly roles: readonly string[];
}

export interface AuthUserListResponse {
  readonly header: ResponseHeader;
  readonly users: readonly string[];
}

export interface AuthRoleGetResponse {
  readonly header: ResponseHeader;
  readonly perm: readonly Permission[];
}

export interface AuthRoleListResponse {
  readonly header: ResponseHeader;
  readonly roles: readonly string[];
}

export interface AuthRoleGrantPermissionRequest {
  readonly name: string;
  readonly perm?: Permission;
}

export interface AuthRoleRevokePermissionRequest {
  readonly role: string;
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
}

// ---- wire -----------------------------------------------------------------------------------

export type WirePermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface WirePermission {
  readonly permType?: WirePermissionType;
  readonly key?: B64;
  readonly range_end?: B64;
}

export interface WireAuthHeaderResponse {
  readonly header?: WireResponseHeader;
}

export interface WireAuthStatusResponse {
  readonly header?: WireResponseHeader;
  readonly enabled?: boolean;
  readonly authRevision?: I64;
}

export interface WireAuthenticateRequest {
  readonly name?: string;
  readonly password?: string;
}

export interface WireAuthenticateResponse {
  readonly header?: WireResponseHeader;
  readonly token?: string;
  readonly ttl_sec?: number;
}

export interface WireUserAddOptions {
  readonly no_password?: boolean;
}

export interface WireAuthUserAddRequest {
  readonly name?: string;
  readonly password?: string;
  readonly options?: WireUserAddOptions;
  readonly hashedPassword?: string;
}

export interface WireAuthUserNameRequest {
  readonly name?: string;
}

export interface WireAuthUserChangePasswordRequest {
  readonly name?: string;
  readonly password?: string;
  readonly hashedPassword?: string;
}

export interface WireAuthUserGrantRoleRequest {
  readonly user?: string;
  readonly role?: string;
}

export interface WireAuthUserRevokeRoleRequest {
  readonly name?: string;
  readonly role?: string;
}

export interface WireAuthRoleAddRequest {
  readonly name?: string;
}

export interface WireAuthRoleNameRequest {
  readonly role?: string;
}

export interface WireAuthUserGetResponse {
  readonly header?: WireResponseHeader;
  readonly roles?: readonly string[];
}

export interface WireAuthUserListResponse {
  readonly header?: WireResponseHeader;
  readonly users?: readonly string[];
}

export interface WireAuthRoleGetResponse {
  readonly header?: WireResponseHeader;
  readonly perm?: readonly WirePermission[];
}

export interface WireAuthRoleListResponse {
  readonly header?: WireResponseHeader;
  readonly roles?: readonly string[];
}

export interface WireAuthRoleGrantPermissionRequest {
  readonly name?: string;
  readonly perm?: WirePermission;
}

export interface WireAuthRoleRevokePermissionRequest {
  readonly role?: string;
  readonly key?: B64;
  readonly range_end?: B64;
}

// ---- codecs ---------------------------------------------------------------------------------

const rep = { repeated: true } as const;
const opt = { presence: 'optional' } as const;

/** Longest user or role name, password and token accepted (limits of Concord's; etcd has none). */
export const MAX_AUTH_NAME_CHARS = 256;
export const MAX_PASSWORD_CHARS = 1024;

function checkLengths(names: readonly string[], passwords: readonly string[] = []) {
  return (wire: object, path: string): void => {
    const w = wire as Record<string, unknown>;
    for (const n of names) {
      const v = w[n];
      if (typeof v === 'string' && v.length > MAX_AUTH_NAME_CHARS)
        throw invalid(joinPath(path, n), `longer than ${MAX_AUTH_NAME_CHARS} characters`);
    }
    for (const n of passwords) {
      const v = w[n];
      if (typeof v === 'string' && v.length > MAX_PASSWORD_CHARS)
        throw invalid(joinPath(path, n), `longer than ${MAX_PASSWORD_CHARS} characters`);
    }
  };
}

export const PERMISSION: Codec<Permission, WirePermission> = messageCodec('Permission', [
  field('permType', 'permType', T.enumOf(['READ', 'WRITE', 'READWRITE'], ['read', 'write', 'readwrite'])),
  field('key', 'key', T.bytes),
  field('range_end', 'rangeEnd', T.bytes),
]);

export const AUTH_EMPTY_REQUEST: Codec<EmptyRequest, WireEmpty> = messageCodec('AuthEmptyRequest', []);

export const AUTH_HEADER_RESPONSE: Codec<AuthHeaderResponse, WireAuthHeaderResponse> = messageCodec(
  'AuthResponse',
  [HEADER],
);

export const AUTH_STATUS_RESPONSE: Codec<AuthStatusResponse, WireAuthStatusResponse> = messageCodec(
  'AuthStatusResponse',
  [HEADER, field('enabled', 'enabled', T.bool), field('authRevision', 'authRevision', INT_NON_NEGATIVE)],
);

export const AUTHENTICATE_REQUEST: Codec<AuthenticateRequest, WireAuthenticateRequest> = messageCodec(
  'AuthenticateRequest',
  [field('name', 'name', T.string), field('password', 'password', T.string)],
  checkLengths(['name'], ['password']),
);

export const AUTHENTICATE_RESPONSE: Codec<AuthenticateResponse, WireAuthenticateResponse> = messageCodec(
  'AuthenticateResponse',
  [HEADER, field('token', 'token', T.string), field('ttl_sec', 'ttlSec', T.int(0))],
);

export const USER_ADD_OPTIONS: Codec<UserAddOptions, WireUserAddOptions> = messageCodec('UserAddOptions', [
  field('no_password', 'noPassword', T.bool),
]);

export const AUTH_USER_ADD_REQUEST: Codec<AuthUserAddRequest, WireAuthUserAddRequest> = messageCodec(
  'AuthUserAddRequest',
  [
    field('name', 'name', T.string),
    field('password', 'password', T.string),
    field(
      'options',
      'options',
      T.message(() => USER_ADD_OPTIONS),
      opt,
    ),
    field('hashedPassword', 'hashedPassword', T.string),
  ],
  checkLengths(['name'], ['password', 'hashedPassword']),
);

export const AUTH_USER_NAME_REQUEST: Codec<AuthUserNameRequest, WireAuthUserNameRequest> = messageCodec(
  'AuthUserRequest',
  [field('name', 'name', T.string)],
  checkLengths(['name']),
);

export const AUTH_USER_CHANGE_PASSWORD_REQUEST: Codec<
  AuthUserChangePasswordRequest,
  WireAuthUserChangePasswordRequest
> = messageCodec(
  'AuthUserChangePasswordRequest',
  [
    field('name', 'name', T.string),
    field('password', 'password', T.string),
    field('hashedPassword', 'hashedPassword', T.string),
  ],
  checkLengths(['name'], ['password', 'hashedPassword']),
);

export const AUTH_USER_GRANT_ROLE_REQUEST: Codec<AuthUserGrantRoleRequest, WireAuthUserGrantRoleRequest> =
  messageCodec(
    'AuthUserGrantRoleRequest',
    [field('user', 'user', T.string), field('role', 'role', T.string)],
    checkLengths(['user', 'role']),
  );

export const AUTH_USER_REVOKE_ROLE_REQUEST: Codec<AuthUserRevokeRoleRequest, WireAuthUserRevokeRoleRequest> =
  messageCodec(
    'AuthUserRevokeRoleRequest',
    [field('name', 'name', T.string), field('role', 'role', T.string)],
    checkLengths(['name', 'role']),
  );

export const AUTH_ROLE_ADD_REQUEST: Codec<AuthRoleAddRequest, WireAuthRoleAddRequest> = messageCodec(
  'AuthRoleAddRequest',
  [field('name', 'name', T.string)],
  checkLengths(['name']),
);

export const AUTH_ROLE_NAME_REQUEST: Codec<AuthRoleNameRequest, WireAuthRoleNameRequest> = messageCodec(
  'AuthRoleRequest',
  [field('role', 'role', T.string)],
  checkLengths(['role']),
);

export const AUTH_USER_GET_RESPONSE: Codec<AuthUserGetResponse, WireAuthUserGetResponse> = messageCodec(
  'AuthUserGetResponse',
  [HEADER, field('roles', 'roles', T.string, rep)],
);

export const AUTH_USER_LIST_RESPONSE: Codec<AuthUserListResponse, WireAuthUserListResponse> = messageCodec(
  'AuthUserListResponse',
  [HEADER, field('users', 'users', T.string, rep)],
);

export const AUTH_ROLE_GET_RESPONSE: Codec<AuthRoleGetResponse, WireAuthRoleGetResponse> = messageCodec(
  'AuthRoleGetResponse',
  [
    HEADER,
    field(
      'perm',
      'perm',
      T.message(() => PERMISSION),
      rep,
    ),
  ],
);

export const AUTH_ROLE_LIST_RESPONSE: Codec<AuthRoleListResponse, WireAuthRoleListResponse> = messageCodec(
  'AuthRoleListResponse',
  [HEADER, field('roles', 'roles', T.string, rep)],
);

export const AUTH_ROLE_GRANT_PERMISSION_REQUEST: Codec<
  AuthRoleGrantPermissionRequest,
  WireAuthRoleGrantPermissionRequest
> = messageCodec(
  'AuthRoleGrantPermissionRequest',
  [
    field('name', 'name', T.string),
    field(
      'perm',
      'perm',
      T.message(() => PERMISSION),
      opt,
    ),
  ],
  checkLengths(['name']),
);

export const AUTH_ROLE_REVOKE_PERMISSION_REQUEST: Codec<
  AuthRoleRevokePermissionRequest,
  WireAuthRoleRevokePermissionRequest
> = messageCodec(
  'AuthRoleRevokePermissionRequest',
  [field('role', 'role', T.string), field('key', 'key', T.bytes), field('range_end', 'rangeEnd', T.bytes)],
  checkLengths(['role']),
);
