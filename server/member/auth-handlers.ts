/**
 * A member's access control at the request path: the `auth.*` methods (one set of handlers for the
 * WebSocket, the gateway and gRPC, reached through dispatch.ts) and the gate every other request
 * passes (`check`), called by `MemberBackend` — the one place all three doors go through — so no
 * door can skip it.
 *
 * Failing closed, with etcd's answers: with auth on, a request without a token is refused with
 * USER_EMPTY ("user name is empty"), a token that is unknown, expired, forged, for a deleted user
 * or older than the user's password with UNAUTHENTICATED ("invalid auth token"), a JWT older than
 * the auth store with AUTH_OLD_REVISION, and a user without the permission with PERMISSION_DENIED.
 *
 * Writes admitted by the gate are proposed guarded by the auth revision of the check (the state
 * machine refuses them with AUTH_OLD_REVISION if the auth store moved in between), so a permission
 * revoked after the check is never bypassed. Reads are checked after their ReadIndex wait, so the
 * auth state they are checked against is at least as new as the data they read.
 *
 * Passwords are hashed here (scrypt, async, password.ts) before proposing; authentication is
 * rate-limited per client (rate-limit.ts) before any password is compared.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import type { ApplyResult, Command, StateMachine } from '../apply/index.js';
import type { AuthCall, AuthBackend, AuthMethod } from '../api/auth-call.js';
import type { CallOptions, WatchHandle, WatchSink } from '../api/backend.js';
// The pure parts of server/auth only: the KDF and the JWT library are injected (MemberAuthOptions),
// so the request path runs in the simulator without node:crypto or jose.
import { authErrors } from '../auth/errors.js';
import type { JwtTokens } from '../auth/jwt.js';
import type { AuthOp } from '../auth/model.js';
import type { PasswordHasher } from '../auth/password.js';
import { AuthRateLimiter, type AuthRateLimitOptions } from '../auth/rate-limit.js';
import { SimpleTokenKeeper } from '../auth/simple-tokens.js';
import { MAX_TOKEN_CHARS, type TokenInfo } from '../auth/token-spec.js';
import { ServerError } from '../errors.js';
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Replica } from '../replica/index.js';
import type { Need } from './auth-needs.js';
import { proposeCommand } from './propose.js';
import type { Defer } from './watch-pump.js';

/** An open watch admitted under auth: re-checked after every auth change. */
interface GuardedWatch {
  readonly user: string;
  readonly needs: readonly Need[];
  revoke(): void;
}

/** How this member issues and verifies tokens (`--auth-token`). */
export type TokenMode =
  { readonly kind: 'simple'; readonly ttlSec: number } | { readonly kind: 'jwt'; readonly jwt: JwtTokens };

export interface MemberAuthPorts {
  readonly replica: Replica<ApplyResult>;
  readonly machine: StateMachine;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly header: () => P.ResponseHeader;
  /** Work after an apply (re-checking open watches) runs here, outside the apply loop. */
  readonly defer: Defer;
}

export interface MemberAuthOptions {
  /** Default: simple tokens with etcd's 300 s TTL. */
  readonly tokens?: TokenMode;
  /**
   * Hashes and checks passwords (a real member: `new PasswordHasher()`, scrypt). Absent (the
   * simulator's request path): calls that need a password answer UNIMPLEMENTED.
   */
  readonly hasher?: PasswordHasher;
  readonly rateLimit?: AuthRateLimitOptions;
}

export class MemberAuth implements AuthBackend {
  private readonly simple: SimpleTokenKeeper | undefined;
  private readonly jwt: JwtTokens | undefined;
  /** Told to WebSocket clients with each token, so that the SDK renews it in time. */
  private readonly tokenTtlSec: number;
  private readonly maybeHasher: PasswordHasher | undefined;
  private readonly limiter: AuthRateLimiter;
  private readonly watches = new Set<GuardedWatch>();
  private recheckQueued = false;

  constructor(
    private readonly ports: MemberAuthPorts,
    options: MemberAuthOptions = {},
  ) {
    const mode = options.tokens ?? { kind: 'simple', ttlSec: 300 };
    this.tokenTtlSec = mode.kind === 'simple' ? mode.ttlSec : mode.jwt.ttlSec;
    if (mode.kind === 'simple') {
      const keeper = new SimpleTokenKeeper(ports.clock, mode.ttlSec * 1000);
      this.simple = keeper;
      ports.machine.auth.onTokenAssigned((token, name, revision) => keeper.assign(token, name, revision));
    } else {
      this.jwt = mode.jwt;
    }
    this.maybeHasher = options.hasher;
    this.limiter = new AuthRateLimiter(ports.clock, options.rateLimit);
    ports.machine.auth.onChange(() => this.queueRecheck());
  }

  /**
   * Starts a watch admitted by `check` so that it ends, as etcd's do, with PERMISSION_DENIED as
   * soon as an auth change takes its permission away (or deletes its user); auth turned off
   * leaves it open. `start` creates the watch on the sink given.
   */
  async watchUnderAuth(
    options: CallOptions,
    needs: readonly Need[],
    sink: WatchSink,
    start: (sink: WatchSink) => Promise<WatchHandle>,
  ): Promise<WatchHandle> {
    const user = await this.identify(options);
    let handle: WatchHandle | undefined;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.watches.delete(entry);
      return true;
    };
    const entry: GuardedWatch = {
      user,
      needs,
      revoke: () => {
        if (!finish()) return;
        handle?.cancel();
        sink.ended(authErrors.permissionDenied('the permission of this watch was revoked'));
      },
    };
    this.watches.add(entry);
    try {
      handle = await start({
        events: (events, revision) => sink.events(events, revision),
        ended: (error) => {
          if (finish()) sink.ended(error);
        },
      });
    } catch (err) {
      finish();
      throw err;
    }
    const h = handle;
    return {
      cancel: () => {
        finish();
        h.cancel();
      },
      requestProgress: () => h.requestProgress(),
    };
  }

  private queueRecheck(): void {
    if (this.recheckQueued || this.watches.size === 0) return;
    this.recheckQueued = true;
    this.ports.defer(() => {
      this.recheckQueued = false;
      const store = this.store;
      if (!store.isEnabled) return;
      for (const w of [...this.watches]) {
        const allowed = w.needs.every((n) =>
          n.kind === 'root' ? store.isRoot(w.user) : store.isPermitted(w.user, n.need, n.key, n.rangeEnd),
        );
        if (!allowed) w.revoke();
      }
    });
  }

  private get hasher(): PasswordHasher {
    if (this.maybeHasher === undefined)
      throw new ServerError(ErrorCode.Unimplemented, 'this member has no password hasher', false);
    return this.maybeHasher;
  }

  private get store() {
    return this.ports.machine.auth;
  }

  // ---- the gate ------------------------------------------------------------------------------

  /**
   * Checks that the caller may do what `needs()` lists. Undefined (synchronously) when auth is off:
   * nothing to check, no cost on the hot path. Otherwise resolves with the auth revision the check
   * was made at — writes are proposed guarded by it (`guard`) — or rejects with the refusal.
   */
  check(options: CallOptions, needs: () => readonly Need[]): Promise<number> | undefined {
    if (!this.store.isEnabled) return undefined;
    return this.identify(options).then((name) => {
      const store = this.store;
      // Root may do everything: its needs are not even listed (a lease list walks every key).
      if (store.isRoot(name)) return store.revision;
      for (const n of needs()) {
        const ok =
          n.kind === 'root' ? store.isRoot(name) : store.isPermitted(name, n.need, n.key, n.rangeEnd);
        if (!ok) throw authErrors.permissionDenied(describeNeed(n));
      }
      return store.revision;
    });
  }

  /** `command`, guarded by the auth revision of its check (undefined: auth was off). */
  static guard(command: Command, authRevision: number | undefined): Command {
    return authRevision === undefined ? command : { type: 'authGuarded', authRevision, command };
  }

  /**
   * The caller's user name (auth on), from its token. Refusals: no token → USER_EMPTY; a token that
   * is oversized, unknown, expired, forged, for a user deleted since or issued before the user's
   * last password change → UNAUTHENTICATED; a JWT older than the auth store → AUTH_OLD_REVISION.
   * Without a token, the CN of a verified client certificate (`--client-cert-auth`) names the user,
   * as in etcd; a CN that names no user is refused with PERMISSION_DENIED.
   */
  private async identify(options: CallOptions): Promise<string> {
    const token = options.token;
    const certUser = options.certUser;
    if ((token === undefined || token === '') && certUser !== undefined) {
      if (this.store.user(certUser) === undefined)
        throw authErrors.permissionDenied(
          `the client certificate's user ${JSON.stringify(certUser)} does not exist`,
        );
      return certUser;
    }
    if (token === undefined || token === '')
      throw Object.assign(authErrors.userEmpty(), {
        message: 'auth: user name is empty (auth is enabled and the request carries no token)',
      });
    if (token.length > MAX_TOKEN_CHARS) throw authErrors.invalidToken();
    let info: TokenInfo | undefined;
    if (this.simple !== undefined) info = this.simple.verify(token);
    else if (this.jwt !== undefined) info = await this.jwt.verify(token);
    if (info === undefined) throw authErrors.invalidToken();
    const user = this.store.user(info.name);
    if (user === undefined || info.revision < user.validSince) throw authErrors.invalidToken();
    if (this.jwt !== undefined && info.revision < this.store.revision)
      throw authErrors.oldRevision(info.revision, this.store.revision);
    return info.name;
  }

  /** Management calls need root while auth is on (when it is off, everyone may, as in etcd). */
  private async requireRoot(options: CallOptions): Promise<void> {
    await this.check(options, () => [{ kind: 'root' }]);
  }

  // ---- the auth methods ----------------------------------------------------------------------

  async call(call: AuthCall, options: CallOptions): Promise<P.MethodResult<AuthMethod>> {
    const { replica } = this.ports;
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    switch (call.method) {
      case 'auth.status':
        await replica.linearizableRead(signal);
        return {
          header: this.ports.header(),
          enabled: this.store.isEnabled,
          authRevision: this.store.revision,
        };
      case 'auth.authenticate':
        return this.authenticate(call.params, options);
      case 'auth.enable':
        await this.requireRoot(options);
        return this.change({ op: 'enable' }, options);
      case 'auth.disable':
        await this.requireRoot(options);
        return this.change({ op: 'disable' }, options);
      case 'auth.userAdd': {
        await this.requireRoot(options);
        const { name, password, hashedPassword } = call.params;
        const noPassword = call.params.options?.noPassword ?? false;
        refuseHashed(hashedPassword);
        if (name === '') throw authErrors.userEmpty();
        if (!noPassword && password === '') throw authErrors.passwordEmpty();
        const passwordHash = noPassword ? '' : await this.hasher.hash(password);
        return this.change({ op: 'userAdd', name, passwordHash, noPassword }, options);
      }
      case 'auth.userChangePassword': {
        await this.requireRoot(options);
        const { name, password, hashedPassword } = call.params;
        refuseHashed(hashedPassword);
        if (password === '') throw authErrors.passwordEmpty();
        const passwordHash = await this.hasher.hash(password);
        return this.change({ op: 'userChangePassword', name, passwordHash }, options);
      }
      case 'auth.userDelete':
        await this.requireRoot(options);
        return this.change({ op: 'userDelete', name: call.params.name }, options);
      case 'auth.userGrantRole':
        await this.requireRoot(options);
        return this.change({ op: 'userGrantRole', name: call.params.user, role: call.params.role }, options);
      case 'auth.userRevokeRole':
        await this.requireRoot(options);
        return this.change({ op: 'userRevokeRole', name: call.params.name, role: call.params.role }, options);
      case 'auth.roleAdd':
        await this.requireRoot(options);
        return this.change({ op: 'roleAdd', name: call.params.name }, options);
      case 'auth.roleDelete':
        await this.requireRoot(options);
        return this.change({ op: 'roleDelete', name: call.params.role }, options);
      case 'auth.roleGrantPermission': {
        await this.requireRoot(options);
        const perm = call.params.perm;
        if (perm === undefined) throw authErrors.permissionNotGiven();
        return this.change({ op: 'roleGrantPermission', name: call.params.name, perm }, options);
      }
      case 'auth.roleRevokePermission': {
        await this.requireRoot(options);
        const { role, key, rangeEnd } = call.params;
        return this.change({ op: 'roleRevokePermission', name: role, key, rangeEnd }, options);
      }
      case 'auth.userGet': {
        await replica.linearizableRead(signal);
        await this.requireRoot(options);
        const name = call.params.name;
        if (name === '') throw authErrors.userEmpty();
        const user = this.store.user(name);
        if (user === undefined) throw authErrors.userNotFound(name);
        return { header: this.ports.header(), roles: [...user.roles] };
      }
      case 'auth.userList':
        await replica.linearizableRead(signal);
        await this.requireRoot(options);
        return { header: this.ports.header(), users: this.store.userNames() };
      case 'auth.roleGet': {
        await replica.linearizableRead(signal);
        await this.requireRoot(options);
        const name = call.params.role;
        if (name === '') throw authErrors.roleEmpty();
        const role = this.store.role(name);
        if (role === undefined) throw authErrors.roleNotFound(name);
        return { header: this.ports.header(), perm: [...role.permissions] };
      }
      case 'auth.roleList':
        await replica.linearizableRead(signal);
        await this.requireRoot(options);
        return { header: this.ports.header(), roles: this.store.roleNames() };
    }
  }

  /**
   * etcd's Authenticate: rate-limited per client first, then the password is compared (constant
   * time; an unknown user costs the same) against the current store, then a token is issued.
   */
  private async authenticate(
    req: P.AuthenticateRequest,
    options: CallOptions,
  ): Promise<P.AuthenticateResponse> {
    const client = hostOf(options.peer);
    this.limiter.admit(client);
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    await this.ports.replica.linearizableRead(signal);
    if (!this.store.isEnabled) throw authErrors.notEnabled();
    const user = this.store.user(req.name);
    const ok =
      user === undefined || user.noPassword
        ? await this.hasher.verifyNothing(req.password)
        : await this.hasher.verify(req.password, user.passwordHash);
    if (!ok) {
      this.limiter.failed(client);
      this.ports.logger.info('authentication failed', { user: req.name, peer: options.peer });
      throw authErrors.authFailed();
    }
    if (this.jwt !== undefined) {
      if (!this.jwt.canSign)
        throw new ServerError(
          ErrorCode.Unavailable,
          'this member has no jwt priv-key: authenticate elsewhere',
          true,
        );
      const token = await this.jwt.sign(req.name, this.store.revision);
      return { header: this.ports.header(), token, ttlSec: this.tokenTtlSec };
    }
    // A simple token becomes known to every member when they apply its assignment.
    const token = (this.simple as SimpleTokenKeeper).generate();
    await this.change({ op: 'assignToken', name: req.name, token }, options);
    return { header: this.ports.header(), token, ttlSec: this.tokenTtlSec };
  }

  private async change(op: AuthOp, options: CallOptions): Promise<P.AuthHeaderResponse> {
    const signal = options.signal === undefined ? {} : { signal: options.signal };
    const result = await proposeCommand(this.ports.replica, { type: 'auth', op }, signal);
    if (result.status === 'error') throw result.error;
    return { header: this.ports.header() };
  }
}

/** The host of a `host:port` peer (each connection has its own port; the limit is per host). */
function hostOf(peer: string | undefined): string {
  if (peer === undefined) return 'unknown';
  const m = /^(.*):\d+$/.exec(peer);
  return m === null ? peer : (m[1] as string);
}

function refuseHashed(hashedPassword: string): void {
  if (hashedPassword !== '')
    throw new ServerError(
      ErrorCode.InvalidArgument,
      'hashedPassword is not accepted: send the password (over TLS); Concord hashes it with scrypt',
      false,
    );
}

function describeNeed(n: Need): string {
  if (n.kind === 'root') return 'this operation needs the root role';
  const key = JSON.stringify(new TextDecoder().decode(n.key));
  const range =
    n.rangeEnd === undefined || n.rangeEnd.length === 0
      ? `key ${key}`
      : `range ${key}..${JSON.stringify(new TextDecoder().decode(n.rangeEnd))}`;
  return `${n.need} on ${range}`;
}
