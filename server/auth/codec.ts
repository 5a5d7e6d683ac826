/**
 * Binary encodings of the auth store's ops (inside the state machine's `auth` command) and of its
 * state (inside the state machine's snapshot, version 4). Built on mvcc/byte-io.ts: readers raise
 * `DecodeError` on any malformed input, which the callers turn into their typed errors.
 *
 *   op:    tag (index in AUTH_OP_NAMES), then the op's fields in declaration order; names and
 *          hashes as UTF-8 strings, keys as byte strings, booleans as one byte, permission types
 *          as their index in PERM_TYPES.
 *   state: enabled (u8), revision, user count, then each user (name, hash, noPassword, validSince,
 *          role count, roles), role count, then each role (name, permission count, permissions).
 *          Users and roles sorted by name.
 */
import { unreachable } from '../assert.js';
import { ByteReader, ByteWriter, DecodeError } from '../mvcc/index.js';
import {
  AUTH_OP_NAMES,
  PERM_TYPES,
  type AuthOp,
  type AuthState,
  type Permission,
  type RoleRecord,
  type UserRecord,
} from './model.js';

/** Copies a byte string out of the input (the reader hands out views). */
const copy = (b: Uint8Array): Uint8Array => b.slice();

export function writeAuthOp(w: ByteWriter, op: AuthOp): void {
  w.u8(AUTH_OP_NAMES.indexOf(op.op));
  switch (op.op) {
    case 'enable':
    case 'disable':
      return;
    case 'userAdd':
      w.string(op.name).string(op.passwordHash).bool(op.noPassword);
      return;
    case 'userDelete':
    case 'roleAdd':
    case 'roleDelete':
      w.string(op.name);
      return;
    case 'userChangePassword':
      w.string(op.name).string(op.passwordHash);
      return;
    case 'userGrantRole':
    case 'userRevokeRole':
      w.string(op.name).string(op.role);
      return;
    case 'roleGrantPermission':
      w.string(op.name);
      writePermission(w, op.perm);
      return;
    case 'roleRevokePermission':
      w.string(op.name).bytes(op.key).bytes(op.rangeEnd);
      return;
    case 'assignToken':
      w.string(op.name).string(op.token);
      return;
  }
}

export function readAuthOp(r: ByteReader): AuthOp {
  const op = AUTH_OP_NAMES[r.u8()];
  switch (op) {
    case 'enable':
    case 'disable':
      return { op };
    case 'userAdd':
      return { op, name: r.string(), passwordHash: r.string(), noPassword: r.bool() };
    case 'userDelete':
    case 'roleAdd':
    case 'roleDelete':
      return { op, name: r.string() };
    case 'userChangePassword':
      return { op, name: r.string(), passwordHash: r.string() };
    case 'userGrantRole':
    case 'userRevokeRole':
      return { op, name: r.string(), role: r.string() };
    case 'roleGrantPermission':
      return { op, name: r.string(), perm: readPermission(r) };
    case 'roleRevokePermission':
      return { op, name: r.string(), key: copy(r.bytes()), rangeEnd: copy(r.bytes()) };
    case 'assignToken':
      return { op, name: r.string(), token: r.string() };
    case undefined:
      throw new DecodeError('unknown auth op');
    default:
      return unreachable(op);
  }
}

function writePermission(w: ByteWriter, p: Permission): void {
  w.u8(PERM_TYPES.indexOf(p.permType)).bytes(p.key).bytes(p.rangeEnd);
}

function readPermission(r: ByteReader): Permission {
  const permType = PERM_TYPES[r.u8()];
  if (permType === undefined) throw new DecodeError('unknown permission type');
  return { permType, key: copy(r.bytes()), rangeEnd: copy(r.bytes()) };
}

export function writeAuthState(w: ByteWriter, s: AuthState): void {
  w.bool(s.enabled).uint(s.revision);
  w.uint(s.users.length);
  for (const u of s.users) {
    w.string(u.name).string(u.passwordHash).bool(u.noPassword).uint(u.validSince);
    w.uint(u.roles.length);
    for (const role of u.roles) w.string(role);
  }
  w.uint(s.roles.length);
  for (const role of s.roles) {
    w.string(role.name).uint(role.permissions.length);
    for (const p of role.permissions) writePermission(w, p);
  }
}

export function readAuthState(r: ByteReader): AuthState {
  const enabled = r.bool();
  const revision = r.uint();
  if (revision < 1) throw new DecodeError('auth revision below 1');
  const users: UserRecord[] = [];
  const nUsers = r.uint();
  for (let i = 0; i < nUsers; i++) {
    const name = r.string();
    const passwordHash = r.string();
    const noPassword = r.bool();
    const validSince = r.uint();
    const roles: string[] = [];
    const nRoles = r.uint();
    for (let j = 0; j < nRoles; j++) roles.push(r.string());
    if (i > 0 && (users[i - 1] as UserRecord).name >= name) throw new DecodeError('auth users out of order');
    users.push({ name, passwordHash, noPassword, validSince, roles });
  }
  const roles: RoleRecord[] = [];
  const nRoles = r.uint();
  for (let i = 0; i < nRoles; i++) {
    const name = r.string();
    const permissions: Permission[] = [];
    const nPerms = r.uint();
    for (let j = 0; j < nPerms; j++) permissions.push(readPermission(r));
    if (i > 0 && (roles[i - 1] as RoleRecord).name >= name) throw new DecodeError('auth roles out of order');
    roles.push({ name, permissions });
  }
  return { enabled, revision, users, roles };
}

/** The state of a new store (what snapshots older than version 4 restore to). */
export const EMPTY_AUTH_STATE: AuthState = { enabled: false, revision: 1, users: [], roles: [] };
