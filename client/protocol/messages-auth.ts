/**
 * The SDK's names for etcd's Auth service messages (users, roles, permissions, tokens). The types
 * themselves are generated from rpc.proto and auth.proto (client/protocol/gen); the gateway paths
 * are etcd's `/v3/auth/...` (methods.ts).
 */
import type * as G from './gen/etcdserverpb/rpc_codec.js';
import type * as P from './gen/authpb/auth_codec.js';
import type { EmptyRequest } from './types.js';

export { MAX_AUTH_NAME_CHARS, MAX_PASSWORD_CHARS } from './codec-checks.js';

/** etcd's Permission.Type: READ, WRITE, READWRITE. */
export type PermissionType = P.Permission_Type;
/** Access to one key (rangeEnd empty), keys ≥ key (rangeEnd one zero byte) or [key, rangeEnd). */
export type Permission = P.Permission;
/** options.noPassword: the user has no password and authenticates only by client certificate. */
export type UserAddOptions = P.UserAddOptions;

export type AuthEnableRequest = EmptyRequest;
export type AuthDisableRequest = EmptyRequest;
export type AuthStatusRequest = EmptyRequest;

/** The answer of every auth change that returns nothing but the header. */
export type AuthHeaderResponse = G.AuthEnableResponse;
export type AuthStatusResponse = G.AuthStatusResponse;
export type AuthenticateRequest = G.AuthenticateRequest;
export type AuthenticateResponse = G.AuthenticateResponse;
/** hashedPassword: etcd 3.5's pre-hashed (bcrypt) password, refused by Concord (it hashes with scrypt). */
export type AuthUserAddRequest = G.AuthUserAddRequest;
/** UserGet and UserDelete name a user. */
export type AuthUserNameRequest = G.AuthUserGetRequest;
export type AuthUserChangePasswordRequest = G.AuthUserChangePasswordRequest;
export type AuthUserGrantRoleRequest = G.AuthUserGrantRoleRequest;
export type AuthUserRevokeRoleRequest = G.AuthUserRevokeRoleRequest;
export type AuthRoleAddRequest = G.AuthRoleAddRequest;
/** RoleGet and RoleDelete name a role. */
export type AuthRoleNameRequest = G.AuthRoleGetRequest;
export type AuthUserGetResponse = G.AuthUserGetResponse;
export type AuthUserListResponse = G.AuthUserListResponse;
export type AuthRoleGetResponse = G.AuthRoleGetResponse;
export type AuthRoleListResponse = G.AuthRoleListResponse;
/** name: the role. */
export type AuthRoleGrantPermissionRequest = G.AuthRoleGrantPermissionRequest;
export type AuthRoleRevokePermissionRequest = G.AuthRoleRevokePermissionRequest;

export type WirePermissionType = P.WirePermission_Type;
export type WirePermission = P.WirePermission;
export type WireUserAddOptions = P.WireUserAddOptions;
export type WireAuthHeaderResponse = G.WireAuthEnableResponse;
export type WireAuthStatusResponse = G.WireAuthStatusResponse;
export type WireAuthenticateRequest = G.WireAuthenticateRequest;
export type WireAuthenticateResponse = G.WireAuthenticateResponse;
export type WireAuthUserAddRequest = G.WireAuthUserAddRequest;
export type WireAuthUserNameRequest = G.WireAuthUserGetRequest;
export type WireAuthUserChangePasswordRequest = G.WireAuthUserChangePasswordRequest;
export type WireAuthUserGrantRoleRequest = G.WireAuthUserGrantRoleRequest;
export type WireAuthUserRevokeRoleRequest = G.WireAuthUserRevokeRoleRequest;
export type WireAuthRoleAddRequest = G.WireAuthRoleAddRequest;
export type WireAuthRoleNameRequest = G.WireAuthRoleGetRequest;
export type WireAuthUserGetResponse = G.WireAuthUserGetResponse;
export type WireAuthUserListResponse = G.WireAuthUserListResponse;
export type WireAuthRoleGetResponse = G.WireAuthRoleGetResponse;
export type WireAuthRoleListResponse = G.WireAuthRoleListResponse;
export type WireAuthRoleGrantPermissionRequest = G.WireAuthRoleGrantPermissionRequest;
export type WireAuthRoleRevokePermissionRequest = G.WireAuthRoleRevokePermissionRequest;
