/**
 * The auth store: the replicated users, roles and permissions (model.ts), changed only by applying
 * `AuthOp`s through Raft, and the pure permission check the request path asks. Synchronous and
 * deterministic: no clock, no hashing (passwords arrive hashed), no I/O.
 *
 * etcd's rules, kept here: auth cannot be enabled until a `root` user exists and has the `root`
 * role; while enabled the root user and role cannot be deleted and root cannot lose the root role;
 * the `root` role may be granted before it exists as a role, and grants everything; every change
 * moves the revision by one (a no-op, such as enabling twice, does not).
 */
import { bytesEqual, compareBytes, Hasher } from '../mvcc/index.js';
import { authErrors } from './errors.js';
import {
  ROOT,
  type AuthOp,
  type AuthOpResult,
  type AuthState,
  type Permission,
  type RoleRecord,
  type UserRecord,
} from './model.js';
import { permits } from './permissions.js';

/** Told of each token assigned by an applied `assignToken` (the member's simple-token keeper). */
export type TokenAssignedListener = (token: string, name: string, revision: number) => void;

export class AuthStore {
  private enabled = false;
  private rev = 1;
  private readonly users = new Map<string, UserRecord>();
  private readonly roles = new Map<string, RoleRecord>();
  private readonly tokenListeners = new Set<TokenAssignedListener>();
  private readonly changeListeners = new Set<(revision: number) => void>();

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** The auth revision: 1 for a new store, +1 with every change. */
  get revision(): number {
    return this.rev;
  }

  user(name: string): UserRecord | undefined {
    return this.users.get(name);
  }

  role(name: string): RoleRecord | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  /** Whether `name` exists and has the root role (etcd's IsAdminPermitted). */
  isRoot(name: string): boolean {
    return this.users.get(name)?.roles.includes(ROOT) ?? false;
  }

  /**
   * Whether user `name` may `need` the range (key, rangeEnd): always with the root role, else when
   * its roles' permissions together cover the whole range. An unknown user may do nothing.
   */
  isPermitted(
    name: string,
    need: 'read' | 'write',
    key: Uint8Array,
    rangeEnd: Uint8Array | undefined,
  ): boolean {
    const user = this.users.get(name);
    if (user === undefined) return false;
    if (user.roles.includes(ROOT)) return true;
    const perms: Permission[] = [];
    for (const r of user.roles) perms.push(...(this.roles.get(r)?.permissions ?? []));
    return permits(perms, need, key, rangeEnd);
  }

  /** Told after every change (the revision moved), in apply: keep it short, defer real work. */
  onChange(listener: (revision: number) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onTokenAssigned(listener: TokenAssignedListener): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  /** Applies one op (in apply, on every member); throws an AuthError for a refusal. */
  apply(op: AuthOp): AuthOpResult {
    switch (op.op) {
      case 'enable': {
        if (this.enabled) return { revision: this.rev };
        const root = this.users.get(ROOT);
        if (root === undefined) throw authErrors.rootUserNotExist();
        if (!root.roles.includes(ROOT)) throw authErrors.rootRoleNotExist();
        this.enabled = true;
        return this.bump();
      }
      case 'disable':
        if (!this.enabled) return { revision: this.rev };
        this.enabled = false;
        return this.bump();
      case 'userAdd': {
        if (op.name === '') throw authErrors.userEmpty();
        if (this.users.has(op.name)) throw authErrors.userExists(op.name);
        if (!op.noPassword && op.passwordHash === '') throw authErrors.passwordEmpty();
        const revision = this.rev + 1;
        this.users.set(op.name, {
          name: op.name,
          passwordHash: op.noPassword ? '' : op.passwordHash,
          roles: [],
          noPassword: op.noPassword,
          validSince: revision,
        });
        return this.bump();
      }
      case 'userDelete':
        if (this.enabled && op.name === ROOT)
          throw authErrors.invalidMgmt('the root user cannot be deleted while auth is enabled');
        if (!this.users.delete(op.name)) throw authErrors.userNotFound(op.name);
        return this.bump();
      case 'userChangePassword': {
        const user = this.mustUser(op.name);
        if (op.passwordHash === '') throw authErrors.passwordEmpty();
        this.users.set(op.name, {
          ...user,
          passwordHash: op.passwordHash,
          noPassword: false,
          validSince: this.rev + 1,
        });
        return this.bump();
      }
      case 'userGrantRole': {
        const user = this.mustUser(op.name);
        if (op.role !== ROOT && !this.roles.has(op.role)) throw authErrors.roleNotFound(op.role);
        if (user.roles.includes(op.role)) return { revision: this.rev };
        this.users.set(op.name, { ...user, roles: [...user.roles, op.role].sort() });
        return this.bump();
      }
      case 'userRevokeRole': {
        const user = this.mustUser(op.name);
        if (this.enabled && op.name === ROOT && op.role === ROOT)
          throw authErrors.invalidMgmt('the root user cannot lose the root role while auth is enabled');
        if (!user.roles.includes(op.role)) throw authErrors.roleNotGranted(op.name, op.role);
        this.users.set(op.name, { ...user, roles: user.roles.filter((r) => r !== op.role) });
        return this.bump();
      }
      case 'roleAdd':
        if (op.name === '') throw authErrors.roleEmpty();
        if (this.roles.has(op.name)) throw authErrors.roleExists(op.name);
        this.roles.set(op.name, { name: op.name, permissions: [] });
        return this.bump();
      case 'roleDelete': {
        if (this.enabled && op.name === ROOT)
          throw authErrors.invalidMgmt('the root role cannot be deleted while auth is enabled');
        if (!this.roles.delete(op.name)) throw authErrors.roleNotFound(op.name);
        // etcd takes the role away from every user that had it.
        for (const user of [...this.users.values()]) {
          if (user.roles.includes(op.name))
            this.users.set(user.name, { ...user, roles: user.roles.filter((r) => r !== op.name) });
        }
        return this.bump();
      }
      case 'roleGrantPermission': {
        const role = this.mustRole(op.name);
        const rest = role.permissions.filter((p) => !samePermRange(p, op.perm.key, op.perm.rangeEnd));
        this.roles.set(op.name, { name: op.name, permissions: [...rest, op.perm].sort(comparePerms) });
        return this.bump();
      }
      case 'roleRevokePermission': {
        const role = this.mustRole(op.name);
        const rest = role.permissions.filter((p) => !samePermRange(p, op.key, op.rangeEnd));
        if (rest.length === role.permissions.length) throw authErrors.permissionNotGranted(op.name);
        this.roles.set(op.name, { name: op.name, permissions: rest });
        return this.bump();
      }
      case 'assignToken': {
        if (!this.enabled) throw authErrors.notEnabled();
        const user = this.users.get(op.name);
        if (user === undefined) throw authErrors.authFailed();
        for (const listener of this.tokenListeners) listener(op.token, op.name, this.rev);
        return { revision: this.rev };
      }
    }
  }

  /** The state, for snapshots (sorted, so equal states give equal bytes). */
  state(): AuthState {
    return {
      enabled: this.enabled,
      revision: this.rev,
      users: this.userNames().map((n) => this.users.get(n) as UserRecord),
      roles: this.roleNames().map((n) => this.roles.get(n) as RoleRecord),
    };
  }

  /** Replaces the whole state (from a snapshot). */
  restore(state: AuthState): void {
    this.enabled = state.enabled;
    this.rev = state.revision;
    this.users.clear();
    this.roles.clear();
    for (const u of state.users) this.users.set(u.name, u);
    for (const r of state.roles) this.roles.set(r.name, r);
    for (const listener of this.changeListeners) listener(this.rev);
  }

  /** Adds the auth state to a state hash. */
  hashInto(h: Hasher): void {
    const s = this.state();
    h.uint(s.enabled ? 1 : 0);
    h.uint(s.revision);
    h.uint(s.users.length);
    for (const u of s.users) {
      h.string(u.name);
      h.string(u.passwordHash);
      h.uint(u.noPassword ? 1 : 0);
      h.uint(u.validSince);
      h.uint(u.roles.length);
      for (const r of u.roles) h.string(r);
    }
    h.uint(s.roles.length);
    for (const r of s.roles) {
      h.string(r.name);
      h.uint(r.permissions.length);
      for (const p of r.permissions) {
        h.string(p.permType);
        h.bytes(p.key);
        h.bytes(p.rangeEnd);
      }
    }
  }

  private bump(): AuthOpResult {
    this.rev++;
    for (const listener of this.changeListeners) listener(this.rev);
    return { revision: this.rev };
  }

  private mustUser(name: string): UserRecord {
    if (name === '') throw authErrors.userEmpty();
    const user = this.users.get(name);
    if (user === undefined) throw authErrors.userNotFound(name);
    return user;
  }

  private mustRole(name: string): RoleRecord {
    if (name === '') throw authErrors.roleEmpty();
    const role = this.roles.get(name);
    if (role === undefined) throw authErrors.roleNotFound(name);
    return role;
  }
}

function samePermRange(p: Permission, key: Uint8Array, rangeEnd: Uint8Array): boolean {
  return bytesEqual(p.key, key) && bytesEqual(p.rangeEnd, rangeEnd);
}

function comparePerms(a: Permission, b: Permission): number {
  return compareBytes(a.key, b.key) || compareBytes(a.rangeEnd, b.rangeEnd);
}
