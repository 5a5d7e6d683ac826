/**
 * `client.auth`: users, roles and key-range permissions, with types (etcd's Auth service). Every
 * call needs the root role once auth is on (`auth.status` excepted); see docs/auth.md.
 *
 * Keys and ranges of permissions are raw keys: a client's `namespace` does not apply to them (a
 * permission names what the member stores).
 *
 * @example
 *   await admin.auth.userAdd('root', 'pw');
 *   await admin.auth.userGrantRole('root', 'root');
 *   await admin.auth.roleAdd('app');
 *   await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
 *   await admin.auth.userAdd('svc', 'svcpw');
 *   await admin.auth.userGrantRole('svc', 'app');
 *   await admin.auth.enable();
 *   const svc = new Client({ endpoints, auth: { username: 'svc', password: 'svcpw' } });
 */
import type { CallOptions, ClientCore } from './core.js';
import { prefixEnd } from './namespace.js';
import type { PermissionType, ResponseHeader } from './protocol/index.js';
import { toBytes, type Bytes } from './util.js';

/** Access to a key, a range, or a prefix. */
export interface PermissionSpec {
  readonly type: PermissionType;
  readonly key: Bytes;
  /** Exclusive end of the range; absent: the key alone (or the prefix, with `prefix`). */
  readonly rangeEnd?: Bytes;
  /** Every key starting with `key`. */
  readonly prefix?: boolean;
}

/** A permission as the member reports it. */
export interface GrantedPermission {
  readonly type: PermissionType;
  readonly key: Uint8Array;
  /** Empty: the key alone; one zero byte: every key ≥ key. */
  readonly rangeEnd: Uint8Array;
}

export interface AuthStatus {
  readonly enabled: boolean;
  /** Moves with every change of users, roles or permissions. */
  readonly authRevision: number;
}

export interface UserAddOptions extends CallOptions {
  /** A user without a password (it can authenticate only by TLS client certificate). */
  readonly noPassword?: boolean;
}

function range(spec: PermissionSpec): { key: Uint8Array; rangeEnd: Uint8Array } {
  const key = toBytes(spec.key);
  if (spec.prefix === true) return { key, rangeEnd: prefixEnd(key) };
  return { key, rangeEnd: spec.rangeEnd === undefined ? new Uint8Array(0) : toBytes(spec.rangeEnd) };
}

export class AuthApi {
  constructor(private readonly core: ClientCore) {}

  /** Turns auth on: refused (ROOT_USER_NOT_EXIST / ROOT_ROLE_NOT_EXIST) until user root has role root. */
  async enable(options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.enable', {}, options)).header;
  }

  async disable(options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.disable', {}, options)).header;
  }

  async status(options: CallOptions = {}): Promise<AuthStatus> {
    const r = await this.core.call('auth.status', {}, options);
    return { enabled: r.enabled, authRevision: r.authRevision };
  }

  /** A token for `name` (the client does this itself when given `auth: { username, password }`). */
  async authenticate(name: string, password: string, options: CallOptions = {}): Promise<string> {
    return (await this.core.call('auth.authenticate', { name, password }, options)).token;
  }

  async userAdd(name: string, password: string, options: UserAddOptions = {}): Promise<ResponseHeader> {
    const noPassword = options.noPassword ?? false;
    return (
      await this.core.call(
        'auth.userAdd',
        { name, password: noPassword ? '' : password, options: { noPassword }, hashedPassword: '' },
        options,
      )
    ).header;
  }

  /** The user's roles. */
  async userGet(name: string, options: CallOptions = {}): Promise<string[]> {
    return [...(await this.core.call('auth.userGet', { name }, options)).roles];
  }

  async userList(options: CallOptions = {}): Promise<string[]> {
    return [...(await this.core.call('auth.userList', {}, options)).users];
  }

  async userDelete(name: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.userDelete', { name }, options)).header;
  }

  async userChangePassword(
    name: string,
    password: string,
    options: CallOptions = {},
  ): Promise<ResponseHeader> {
    return (await this.core.call('auth.userChangePassword', { name, password, hashedPassword: '' }, options))
      .header;
  }

  async userGrantRole(name: string, role: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.userGrantRole', { user: name, role }, options)).header;
  }

  async userRevokeRole(name: string, role: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.userRevokeRole', { name, role }, options)).header;
  }

  async roleAdd(name: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.roleAdd', { name }, options)).header;
  }

  /** The role's permissions. */
  async roleGet(name: string, options: CallOptions = {}): Promise<GrantedPermission[]> {
    const r = await this.core.call('auth.roleGet', { role: name }, options);
    return r.perm.map((p) => ({ type: p.permType, key: p.key, rangeEnd: p.rangeEnd }));
  }

  async roleList(options: CallOptions = {}): Promise<string[]> {
    return [...(await this.core.call('auth.roleList', {}, options)).roles];
  }

  async roleDelete(name: string, options: CallOptions = {}): Promise<ResponseHeader> {
    return (await this.core.call('auth.roleDelete', { role: name }, options)).header;
  }

  async roleGrantPermission(
    role: string,
    perm: PermissionSpec,
    options: CallOptions = {},
  ): Promise<ResponseHeader> {
    return (
      await this.core.call(
        'auth.roleGrantPermission',
        { name: role, perm: { permType: perm.type, ...range(perm) } },
        options,
      )
    ).header;
  }

  /** Revokes the permission on exactly that key or range (PERMISSION_NOT_GRANTED if none). */
  async roleRevokePermission(
    role: string,
    perm: Omit<PermissionSpec, 'type'>,
    options: CallOptions = {},
  ): Promise<ResponseHeader> {
    return (
      await this.core.call(
        'auth.roleRevokePermission',
        { role, ...range({ ...perm, type: 'read' }) },
        options,
      )
    ).header;
  }
}
