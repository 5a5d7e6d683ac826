/**
 * The auth store's refusals, each with a stable code (client/protocol/error-codes.ts) and etcd's
 * meaning. They are state machine errors: an auth command refused in apply is refused the same way
 * on every member, and the API answers them with etcd's texts (server/api/errors.ts).
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { StateMachineError } from '../mvcc/index.js';

export class AuthError extends StateMachineError {
  override readonly name = 'AuthError';
}

export const authErrors = {
  notEnabled: () => new AuthError(ErrorCode.AuthNotEnabled, 'auth: authentication is not enabled'),
  rootUserNotExist: () => new AuthError(ErrorCode.RootUserNotExist, 'auth: root user does not exist'),
  rootRoleNotExist: () =>
    new AuthError(ErrorCode.RootRoleNotExist, 'auth: root user does not have root role'),
  userEmpty: () => new AuthError(ErrorCode.UserEmpty, 'auth: user name is empty'),
  userExists: (name: string) => new AuthError(ErrorCode.UserExists, `auth: user ${name} already exists`),
  userNotFound: (name: string) => new AuthError(ErrorCode.UserNotFound, `auth: user ${name} not found`),
  roleEmpty: () => new AuthError(ErrorCode.RoleEmpty, 'auth: role name is empty'),
  roleExists: (name: string) => new AuthError(ErrorCode.RoleExists, `auth: role ${name} already exists`),
  roleNotFound: (name: string) => new AuthError(ErrorCode.RoleNotFound, `auth: role ${name} not found`),
  roleNotGranted: (user: string, role: string) =>
    new AuthError(ErrorCode.RoleNotGranted, `auth: role ${role} is not granted to user ${user}`),
  permissionNotGranted: (role: string) =>
    new AuthError(ErrorCode.PermissionNotGranted, `auth: permission is not granted to role ${role}`),
  permissionNotGiven: () => new AuthError(ErrorCode.PermissionNotGiven, 'auth: permission not given'),
  invalidMgmt: (why: string) =>
    new AuthError(ErrorCode.InvalidAuthMgmt, `auth: invalid auth management: ${why}`),
  authFailed: () =>
    new AuthError(ErrorCode.AuthFailed, 'auth: authentication failed, invalid user ID or password'),
  passwordEmpty: () =>
    new AuthError(ErrorCode.InvalidArgument, 'auth: a password is required (or the no_password option)'),
  oldRevision: (token: number, current: number) =>
    new AuthError(
      ErrorCode.AuthOldRevision,
      `auth: revision of auth store is old (request at ${token}, store at ${current}); re-authenticate`,
    ),
  invalidToken: () => new AuthError(ErrorCode.Unauthenticated, 'auth: invalid auth token'),
  permissionDenied: (what: string) =>
    new AuthError(ErrorCode.PermissionDenied, `auth: permission denied: ${what}`),
} as const;
