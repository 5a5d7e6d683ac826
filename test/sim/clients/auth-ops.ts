/**
 * The auth workload (SimOptions.auth): access control changing under the running clients.
 *
 * - The admin (as root; before auth is on, anyone may) first sets up the root user with the root
 *   role, then changes the rest at random: permissions of roles `ra`, `rb` on a key, a range or the
 *   whole prefix under AUTH_PREFIX (granted and revoked), their grants to users `ua`, `ub`, the
 *   users themselves (deleted and added again), and auth itself (enabled more often than disabled).
 * - The limited users `ua`, `ub` (as a verified client certificate names them: no password, no
 *   token, so nothing but the seed decides) put, delete and read keys under AUTH_PREFIX. A put's
 *   value names its user (`auth:<user>:…`), so the auth checker (checkers/auth-apply.ts) can judge
 *   each applied write against its model; a put refused with PERMISSION_DENIED is reported to it
 *   (it must never apply). Acknowledged writes are recorded like every other write, so the anchor
 *   watches and the history checkers judge what the limited users did as without auth.
 * - Every other operation runs as root (client-context.ts): the root user can do anything once it
 *   exists and auth is on, so their checkers hold as before; a write whose check is overtaken by an
 *   auth change is refused (AUTH_OLD_REVISION) and counts as failed.
 * - With `authRaces` the setup also lets `ra`, `rb` write the whole prefix, and admin changes are
 *   now and then revocation races (`revokeRace`): a limited user's put through a follower while its
 *   right is revoked at the leader. Without them a revocation rarely lands between a limited user's
 *   check and apply before some other write is caught checked at an older auth revision.
 */
import type * as P from '../../../client/protocol/index.js';
import { authValue } from '../checkers/auth-apply.js';
import type { ClientContext, Worker } from './client-context.js';
import { AUTH_PREFIX } from './client-options.js';
import { prefixEnd } from './record.js';
import { bytes, codeOf, putReq, rangeReq, text } from './requests.js';

const USERS = ['ua', 'ub'] as const;
const ROLES = ['ra', 'rb'] as const;
const PERM_TYPES = ['read', 'write', 'readwrite'] as const;
/** Keys AUTH_PREFIX + 0 … AUTH_KEYS-1. */
const AUTH_KEYS = 5;
/** With `authRaces`, the share of admin changes (after the first, always one) that race a put. */
const RACE_SHARE = 0.25;

type Setup = (w: Worker) => Promise<boolean>;

export class AuthOps {
  /** The steps that make root a user with the root role, then the roles and users. */
  private readonly setup: Setup[];
  private setupDone = 0;
  /** With `authRaces`: whether a revocation race was run (the first change after the setup is one). */
  private raced = false;

  constructor(private readonly cx: ClientContext) {
    const step =
      (what: string, run: (w: Worker) => Promise<unknown>): Setup =>
      (w) =>
        this.admin(w, what, run);
    this.setup = [
      step('add root', (w) => this.auth(w, { method: 'auth.userAdd', params: userAdd('root') })),
      step('add role root', (w) => this.auth(w, { method: 'auth.roleAdd', params: { name: 'root' } })),
      step('grant root', (w) =>
        this.auth(w, { method: 'auth.userGrantRole', params: { user: 'root', role: 'root' } }),
      ),
      ...ROLES.map((role) =>
        step(`add ${role}`, (w) => this.auth(w, { method: 'auth.roleAdd', params: { name: role } })),
      ),
      ...USERS.map((user) =>
        step(`add ${user}`, (w) => this.auth(w, { method: 'auth.userAdd', params: userAdd(user) })),
      ),
      ...USERS.map((user, i) => {
        const role = ROLES[i] as string;
        return step(`grant ${role} to ${user}`, (w) =>
          this.auth(w, { method: 'auth.userGrantRole', params: { user, role } }),
        );
      }),
      // Races need a right to revoke from the first change on.
      ...(cx.o.authRaces
        ? ROLES.map((role) =>
            step(`grant ${role} readwrite ${AUTH_PREFIX}*`, (w) =>
              this.auth(w, {
                method: 'auth.roleGrantPermission',
                params: { name: role, perm: { permType: 'readwrite', ...wholePrefix() } },
              }),
            ),
          )
        : []),
      step('enable', (w) => this.auth(w, { method: 'auth.enable', params: {} })),
    ];
  }

  /** One admin change (the setup first, one step per call, until each step is known done). */
  async change(w: Worker): Promise<void> {
    const step = this.setupDone;
    const next = this.setup[step];
    if (next !== undefined) {
      // Workers run this concurrently: a step done twice moves the setup on once.
      if ((await next(w)) && this.setupDone === step) this.setupDone = step + 1;
      return;
    }
    const cx = this.cx;
    const r = cx.random;
    if (cx.o.authRaces && (!this.raced || r.chance(RACE_SHARE))) {
      if (await this.revokeRace(w)) this.raced = true;
      return;
    }
    const role = pick(cx, ROLES);
    const user = pick(cx, USERS);
    const x = r.int(100);
    if (x < 35) {
      const perm = this.range();
      const permType = pick(cx, PERM_TYPES);
      await this.admin(w, `grant ${role} ${permType} ${describeRange(perm)}`, (v) =>
        this.auth(v, {
          method: 'auth.roleGrantPermission',
          params: { name: role, perm: { permType, ...perm } },
        }),
      );
    } else if (x < 55) {
      const perm = this.range();
      await this.admin(w, `revoke ${role} ${describeRange(perm)}`, (v) =>
        this.auth(v, { method: 'auth.roleRevokePermission', params: { role, ...perm } }),
      );
    } else if (x < 73) {
      await this.admin(w, `grant ${role} to ${user}`, (v) =>
        this.auth(v, { method: 'auth.userGrantRole', params: { user, role } }),
      );
    } else if (x < 80) {
      await this.admin(w, `revoke ${role} from ${user}`, (v) =>
        this.auth(v, { method: 'auth.userRevokeRole', params: { name: user, role } }),
      );
    } else if (x < 84) {
      await this.admin(w, `delete ${user}`, (v) =>
        this.auth(v, { method: 'auth.userDelete', params: { name: user } }),
      );
    } else if (x < 90) {
      await this.admin(w, `add ${user}`, (v) =>
        this.auth(v, { method: 'auth.userAdd', params: userAdd(user) }),
      );
    } else if (x < 96) {
      await this.admin(w, 'enable', (v) => this.auth(v, { method: 'auth.enable', params: {} }));
    } else {
      await this.admin(w, 'disable', (v) => this.auth(v, { method: 'auth.disable', params: {} }));
    }
  }

  /** A limited user's put; refused ones are reported to the auth checker. */
  put(w: Worker): Promise<void> {
    return this.putAs(w, pick(this.cx, USERS), this.key(), w.member);
  }

  /**
   * A revocation race: user u's put goes to a follower F while u loses its right at the leader L
   * as F knows it (u deleted, its role revoked, or its role's permission on the whole prefix
   * revoked; after the setup each takes away u's only right). The put is checked on F at once,
   * then forwarded, while L proposes the revocation at once: the revocation is mostly committed
   * ahead of the put, which then reaches apply checked at an older auth revision and, by the model,
   * no longer allowed (refused with AUTH_OLD_REVISION, unless a bug lets it through).
   */
  private async revokeRace(w: Worker): Promise<boolean> {
    const cx = this.cx;
    const i = cx.random.int(USERS.length);
    const user = USERS[i] as string;
    const role = ROLES[i] as string;
    const leader = cx.host.backend(w.member)?.leader?.().id ?? 0;
    const follower = w.member !== leader ? w.member : cx.pickMember(leader);
    // No leader known, or no other member: no race this time.
    if (leader === 0 || follower === undefined || follower === leader) return false;
    const x = cx.random.int(3);
    const revoke: { what: string; call: AuthCallOf } =
      x === 0
        ? { what: `delete ${user}`, call: { method: 'auth.userDelete', params: { name: user } } }
        : x === 1
          ? {
              what: `revoke ${role} from ${user}`,
              call: { method: 'auth.userRevokeRole', params: { name: user, role } },
            }
          : {
              what: `revoke ${role} ${AUTH_PREFIX}*`,
              call: { method: 'auth.roleRevokePermission', params: { role, ...wholePrefix() } },
            };
    const put = this.putAs(w, user, this.key(), follower);
    const revoked = this.admin(w, `race: ${revoke.what}`, (v) => this.auth(v, revoke.call, leader), leader);
    await Promise.all([put, revoked]);
    return true;
  }

  /** `user`'s put of `key` on `member`; refused ones are reported to the auth checker. */
  private async putAs(w: Worker, user: string, key: string, member: number): Promise<void> {
    const cx = this.cx;
    const value = authValue(user, cx.value(w));
    cx.note(member, `${user} put ${key}`);
    const r = await cx.calls.call(member, (b, o) => b.put(putReq(key, value), o), user);
    if (!r.ok) {
      if (codeOf(r.error) === 'PERMISSION_DENIED') cx.authChecker?.refusedToClient(value);
      return cx.failed(w, r);
    }
    cx.record.write(w, r.value.header.revision, [{ type: 'put', key, value, lease: 0 }]);
  }

  /** A limited user's delete of one key. */
  async delete(w: Worker): Promise<void> {
    const cx = this.cx;
    const user = pick(cx, USERS);
    const key = this.key();
    cx.note(w.member, `${user} delete ${key}`);
    const r = await cx.calls.call(
      w.member,
      (b, o) => b.deleteRange({ key: bytes(key), rangeEnd: bytes(''), prevKv: true }, o),
      user,
    );
    if (!r.ok) return cx.failed(w, r);
    cx.record.write(
      w,
      r.value.header.revision,
      r.value.prevKvs.map((kv) => ({ type: 'delete', key: text(kv.key) })),
    );
  }

  /** A limited user's read of a key or the whole prefix (its answer is not recorded). */
  async read(w: Worker): Promise<void> {
    const cx = this.cx;
    const user = pick(cx, USERS);
    const whole = cx.random.chance(0.3);
    const key = whole ? AUTH_PREFIX : this.key();
    const r = await cx.calls.call(
      w.member,
      (b, o) => b.range(rangeReq(key, whole ? prefixEnd(AUTH_PREFIX) : ''), o),
      user,
    );
    if (!r.ok) cx.failed(w, r);
  }

  /**
   * Runs an admin call (made on `member`: see `auth`); true if it is known to be done (ok, or
   * refused as already so).
   */
  private async admin(
    w: Worker,
    what: string,
    run: (w: Worker) => Promise<unknown>,
    member = w.member,
  ): Promise<boolean> {
    this.cx.note(member, `admin: ${what}`);
    const r = (await run(w)) as { ok: boolean; error?: unknown; gaveUp?: boolean };
    if (r.ok) return true;
    const code = codeOf(r.error);
    if (code === 'USER_EXISTS' || code === 'ROLE_EXISTS') return true;
    this.cx.failed(w, { error: r.error, gaveUp: r.gaveUp ?? false });
    return false;
  }

  /** An admin call as root, on the worker's member unless `member` says otherwise. */
  private auth(w: Worker, call: AuthCallOf, member = w.member): Promise<unknown> {
    return this.cx.calls.call(member, (b, o) => {
      if (b.auth === undefined) throw new Error('the member serves no auth methods');
      return b.auth.call(call as Parameters<NonNullable<typeof b.auth>['call']>[0], o);
    });
  }

  private key(): string {
    return `${AUTH_PREFIX}${this.cx.random.int(AUTH_KEYS)}`;
  }

  /** A permission's range: one key, a range of keys, or the whole prefix. */
  private range(): { key: Uint8Array; rangeEnd: Uint8Array } {
    const r = this.cx.random;
    const x = r.int(3);
    if (x === 0) return { key: bytes(this.key()), rangeEnd: bytes('') };
    if (x === 1) return wholePrefix();
    const a = r.int(AUTH_KEYS);
    const b = a + 1 + r.int(AUTH_KEYS - a);
    return { key: bytes(`${AUTH_PREFIX}${a}`), rangeEnd: bytes(`${AUTH_PREFIX}${b}`) };
  }
}

type AuthCallOf =
  | { method: 'auth.userAdd'; params: P.MethodParams<'auth.userAdd'> }
  | { method: 'auth.userGrantRole'; params: P.MethodParams<'auth.userGrantRole'> }
  | { method: 'auth.userRevokeRole'; params: P.MethodParams<'auth.userRevokeRole'> }
  | { method: 'auth.userDelete'; params: P.MethodParams<'auth.userDelete'> }
  | { method: 'auth.roleAdd'; params: P.MethodParams<'auth.roleAdd'> }
  | { method: 'auth.roleGrantPermission'; params: P.MethodParams<'auth.roleGrantPermission'> }
  | { method: 'auth.roleRevokePermission'; params: P.MethodParams<'auth.roleRevokePermission'> }
  | { method: 'auth.enable'; params: P.MethodParams<'auth.enable'> }
  | { method: 'auth.disable'; params: P.MethodParams<'auth.disable'> };

/** The whole auth prefix as a permission's range. */
function wholePrefix(): { key: Uint8Array; rangeEnd: Uint8Array } {
  return { key: bytes(AUTH_PREFIX), rangeEnd: bytes(prefixEnd(AUTH_PREFIX)) };
}

/** A user without a password: it is named by a client certificate (no KDF, nothing random). */
function userAdd(name: string): P.MethodParams<'auth.userAdd'> {
  return { name, password: '', options: { noPassword: true }, hashedPassword: '' };
}

function pick<T>(cx: ClientContext, from: readonly T[]): T {
  return from[cx.random.int(from.length)] as T;
}

function describeRange(p: { key: Uint8Array; rangeEnd: Uint8Array }): string {
  return p.rangeEnd.length === 0 ? text(p.key) : `[${text(p.key)}, ${text(p.rangeEnd)})`;
}
