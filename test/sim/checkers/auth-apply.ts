/**
 * The auth checker (SimOptions.auth), on every entry every member applies, at the state-machine
 * port: the command is judged against a model of the auth state as it stands just before the
 * entry, then the apply's result must agree. The model of who may write what is written here from
 * etcd's rules, not taken from server/auth (permissions.ts): a user with the root role may do
 * anything; anyone else needs a role with a `write` or `readwrite` permission covering the key
 * (`rangeEnd` empty: that key alone; one zero byte: every key from `key` on; else [key, rangeEnd)).
 *
 * While auth is on, an applied write must have been admitted by a permission check at the auth
 * revision it is applied at. So the apply must refuse (and change nothing):
 * - a guarded write whose check was made at an older auth revision (a permission revoked, a user
 *   deleted, auth turned off and on since: etcd's ErrAuthOldRevision);
 * - a guarded write by a limited user (its value names the user, clients/auth-ops.ts) whom the
 *   model denies the key at the current revision (the check admitted what it should have refused);
 * - any write whose value a member refused to its client with PERMISSION_DENIED (the refusal must
 *   come before anything is proposed);
 * - an unguarded write (no check was made): auth was off when it was admitted and is on now.
 * A write refused at apply is an error result: the revision does not move (checked too).
 * Each rule has a name (AuthRule), given in the violation. The model is judged before the
 * revision, so a limited user's stale put the model denies is named by the model rule; but a run
 * ends at its first violation, and any write checked before an auth change is stale, so a bug
 * that skips the revision check is mostly first caught by the revision rule on someone's write.
 *
 * That every member holds the same users, roles, permissions and auth revision after the same
 * entries is the state hash's business (SafetyChecker.onStateHash: StateMachine.hash() covers the
 * auth store).
 */
import type { ApplyResult, Command, StateMachine } from '../../../server/apply/index.js';
import { decodeCommand } from '../../../server/apply/index.js';
import type { Permission } from '../../../server/auth/index.js';
import type { PutRequest, RequestOp } from '../../../server/mvcc/index.js';
import { Invariant, Violation } from './violation.js';

/** A limited user's put value: `auth:<user>:<unique>` (clients/auth-ops.ts writes them). */
export const AUTH_VALUE_PREFIX = 'auth:';

export function authValue(user: string, unique: string): string {
  return `${AUTH_VALUE_PREFIX}${user}:${unique}`;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function userOfValue(value: Uint8Array): string | undefined {
  const v = text(value);
  if (!v.startsWith(AUTH_VALUE_PREFIX)) return undefined;
  return v.slice(AUTH_VALUE_PREFIX.length).split(':')[0];
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Whether `perm` lets its holder write `key` (the model's rule, see the file comment). */
export function permitsWrite(perm: Permission, key: Uint8Array): boolean {
  if (perm.permType === 'read') return false;
  if (perm.rangeEnd.length === 0) return compare(key, perm.key) === 0;
  if (perm.rangeEnd.length === 1 && perm.rangeEnd[0] === 0) return compare(key, perm.key) >= 0;
  return compare(key, perm.key) >= 0 && compare(key, perm.rangeEnd) < 0;
}

/** The model's verdict on `user` writing `key` in the auth state of `machine`. */
export function modelMayWrite(machine: StateMachine, user: string, key: Uint8Array): boolean {
  const u = machine.auth.user(user);
  if (u === undefined) return false;
  if (u.roles.includes('root')) return true;
  return u.roles.some((r) => machine.auth.role(r)?.permissions.some((p) => permitsWrite(p, key)) ?? false);
}

/** The puts a command may make (every branch of a txn). */
function putsOf(ops: readonly RequestOp[]): PutRequest[] {
  return ops.flatMap((op) =>
    op.type === 'put'
      ? [op.request]
      : op.type === 'txn'
        ? [...putsOf(op.request.success), ...putsOf(op.request.failure)]
        : [],
  );
}

function commandPuts(c: Command): PutRequest[] {
  if (c.type === 'put') return [c.request];
  if (c.type === 'txn') return [...putsOf(c.request.success), ...putsOf(c.request.failure)];
  return [];
}

const isClientWrite = (c: Command): boolean =>
  c.type === 'put' || c.type === 'deleteRange' || c.type === 'txn';

/** The checker's rules (file comment), named in its violations and in docs/simulator.md. */
export const AuthRule = {
  /** A put a member refused to its client with PERMISSION_DENIED. */
  DeniedToClient: 'denied-to-client',
  /** A client write admitted while auth was off, applied with auth on. */
  Unchecked: 'unchecked',
  /** A limited user's guarded put the model denies at apply (its permission went since the check). */
  Model: 'model',
  /** A guarded write checked at an older auth revision than the one it is applied at. */
  StaleRevision: 'stale-revision',
} as const;
export type AuthRule = (typeof AuthRule)[keyof typeof AuthRule];

export interface AuthApplyStats {
  /** Guarded writes judged, and those the apply rightly refused. */
  readonly guarded: number;
  readonly refusedStale: number;
  /**
   * Of those refused, the ones the model denied: a limited user's put checked while permitted and
   * applied after its permission went (the race the model rule is for).
   */
  readonly refusedByModel: number;
  /** Limited users' puts checked against the model at apply, and refused to their clients. */
  readonly limitedPuts: number;
  readonly deniedToClients: number;
}

/** What `before` expects of one entry. */
export interface AuthJudgement {
  readonly command: Command;
  /** Why the apply must refuse it, and the rule that says so; undefined: it may apply. */
  readonly mustRefuse: { readonly rule: AuthRule; readonly why: string } | undefined;
  readonly revisionBefore: number;
}

export class AuthApplyChecker {
  private readonly denied = new Set<string>();
  private guarded = 0;
  private refusedStale = 0;
  private refusedByModel = 0;
  private limitedPuts = 0;

  /** A member refused this put to its client with PERMISSION_DENIED: it must never apply. */
  refusedToClient(value: string): void {
    this.denied.add(value);
  }

  get stats(): AuthApplyStats {
    return {
      guarded: this.guarded,
      refusedStale: this.refusedStale,
      refusedByModel: this.refusedByModel,
      limitedPuts: this.limitedPuts,
      deniedToClients: this.denied.size,
    };
  }

  /**
   * Before the entry is applied: what the model expects of it (undefined: not a command, e.g.
   * Raft's no-op or a conf change; the state machine decides those).
   */
  before(machine: StateMachine, bytes: Uint8Array): AuthJudgement | undefined {
    let command: Command;
    try {
      command = decodeCommand(bytes);
    } catch {
      return undefined;
    }
    return {
      command,
      mustRefuse: this.verdict(machine, command),
      revisionBefore: machine.store.currentRevision,
    };
  }

  /** After the apply: the result must agree with the judgement; throws a Violation if not. */
  after(node: number, index: number, j: AuthJudgement, result: ApplyResult, machine: StateMachine): void {
    const must = j.mustRefuse;
    if (result.status === 'skipped' || must === undefined) return;
    if (result.status === 'ok')
      throw new Violation(
        Invariant.AuthDenied,
        `member ${node} applied entry ${index} (${describeCommand(j.command)}) although ${must.why} ` +
          `[rule ${must.rule}]`,
      );
    if (machine.store.currentRevision !== j.revisionBefore)
      throw new Violation(
        Invariant.AuthDenied,
        `member ${node} refused entry ${index} (${describeCommand(j.command)}) but its revision moved ` +
          `${j.revisionBefore} → ${machine.store.currentRevision}`,
      );
    if (j.command.type === 'authGuarded') this.refusedStale++;
    if (must.rule === AuthRule.Model) this.refusedByModel++;
  }

  /** Why the entry must be refused, or undefined if it may apply. */
  private verdict(machine: StateMachine, command: Command): AuthJudgement['mustRefuse'] {
    const auth = machine.auth;
    const inner = command.type === 'authGuarded' ? command.command : command;
    for (const put of commandPuts(inner)) {
      if (this.denied.has(text(put.value)))
        return {
          rule: AuthRule.DeniedToClient,
          why: `its put of ${text(put.key)}=${text(put.value)} was refused to its client with PERMISSION_DENIED`,
        };
    }
    if (!auth.isEnabled) return undefined;
    if (command.type !== 'authGuarded')
      return isClientWrite(command)
        ? { rule: AuthRule.Unchecked, why: 'auth is on and the write was never checked' }
        : undefined;
    this.guarded++;
    for (const put of commandPuts(inner)) {
      const user = userOfValue(put.value);
      if (user === undefined) continue;
      this.limitedPuts++;
      if (!modelMayWrite(machine, user, put.key))
        return {
          rule: AuthRule.Model,
          why: `the auth model denies ${user} writing ${text(put.key)} at auth revision ${auth.revision}`,
        };
    }
    if (command.authRevision < auth.revision)
      return {
        rule: AuthRule.StaleRevision,
        why: `it was checked at auth revision ${command.authRevision} and the store is at ${auth.revision}`,
      };
    return undefined;
  }
}

function describeCommand(c: Command): string {
  if (c.type === 'authGuarded') return `guarded@${c.authRevision} ${describeCommand(c.command)}`;
  const puts = commandPuts(c);
  if (puts.length > 0) return `${c.type} ${puts.map((p) => `${text(p.key)}=${text(p.value)}`).join(', ')}`;
  return c.type;
}
