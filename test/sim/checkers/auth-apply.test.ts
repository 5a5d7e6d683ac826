import { expect } from 'chai';
import { StateMachine, encodeCommand, type Command } from '../../../server/apply/index.js';
import type { AuthOp } from '../../../server/auth/index.js';
import { AuthApplyChecker, AuthRule, authValue } from './auth-apply.js';
import { Invariant, Violation } from './violation.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const auth = (op: AuthOp): Command => ({ type: 'auth', op });

/** Root, role `ra` able to write c/auth/1, user `ua` holding it, auth on (as auth-ops.ts sets up). */
const SETUP: AuthOp[] = [
  { op: 'userAdd', name: 'root', passwordHash: '', noPassword: true },
  { op: 'userGrantRole', name: 'root', role: 'root' },
  { op: 'roleAdd', name: 'ra' },
  { op: 'roleAdd', name: 'rb' },
  {
    op: 'roleGrantPermission',
    name: 'ra',
    perm: { permType: 'readwrite', key: enc('c/auth/1'), rangeEnd: enc('') },
  },
  { op: 'userAdd', name: 'ua', passwordHash: '', noPassword: true },
  { op: 'userGrantRole', name: 'ua', role: 'ra' },
  { op: 'enable' },
];

/**
 * One member's apply of a history of commands, each judged by the checker around the apply as
 * the simulator's state-machine port does (replica-node.ts). Throws the checker's Violation.
 */
class JudgedMember {
  readonly machine: StateMachine;
  private index = 0;

  constructor(
    readonly checker: AuthApplyChecker,
    skipAuthGuard: boolean,
  ) {
    this.machine = new StateMachine(skipAuthGuard ? { injectedBugs: { skipAuthGuard: true } } : {});
  }

  apply(command: Command): void {
    const bytes = encodeCommand(command);
    const judged = this.checker.before(this.machine, bytes);
    this.index++;
    const result = this.machine.applyEntry(this.index, bytes);
    if (judged !== undefined) this.checker.after(1, this.index, judged, result, this.machine);
  }

  /** ua's put of `key`, guarded by a check made now (the auth revision it would carry). */
  checkedPutNow(key: string, unique: string): Command {
    return {
      type: 'authGuarded',
      authRevision: this.machine.auth.revision,
      command: {
        type: 'put',
        request: { key: enc(key), value: enc(authValue('ua', unique)) },
      },
    };
  }
}

function memberAfterSetup(skipAuthGuard: boolean): JudgedMember {
  const m = new JudgedMember(new AuthApplyChecker(), skipAuthGuard);
  for (const op of SETUP) m.apply(auth(op));
  return m;
}

function violationOf(run: () => void): Violation {
  try {
    run();
  } catch (err) {
    if (err instanceof Violation) return err;
    throw err;
  }
  throw new Error('no violation');
}

/** Auth changes that take from ua its write of c/auth/1. */
const REVOCATIONS: readonly (readonly [string, AuthOp])[] = [
  [
    'its permission revoked',
    { op: 'roleRevokePermission', name: 'ra', key: enc('c/auth/1'), rangeEnd: enc('') },
  ],
  ['its role revoked', { op: 'userRevokeRole', name: 'ua', role: 'ra' }],
  ['its role deleted', { op: 'roleDelete', name: 'ra' }],
  ['the user deleted', { op: 'userDelete', name: 'ua' }],
];

describe('sim checkers: auth-denied writes never apply (AuthApplyChecker)', () => {
  it("passes a limited user's put checked and applied under the same permissions", () => {
    const m = memberAfterSetup(false);
    m.apply(m.checkedPutNow('c/auth/1', 'v1'));
    expect(m.checker.stats).to.include({ guarded: 1, limitedPuts: 1, refusedStale: 0, refusedByModel: 0 });
  });

  for (const [what, revoke] of REVOCATIONS) {
    context(`when a limited user's put is applied after ${what}`, () => {
      it('reports the model rule (the store applied it: skipAuthGuard)', () => {
        const m = memberAfterSetup(true);
        const put = m.checkedPutNow('c/auth/1', 'v1');
        m.apply(auth(revoke));
        const v = violationOf(() => m.apply(put));
        expect(v.invariant).to.equal(Invariant.AuthDenied);
        expect(v.message).to.match(
          /although the auth model denies ua writing c\/auth\/1 at auth revision \d+/,
        );
        expect(v.message).to.contain(`[rule ${AuthRule.Model}]`);
      });

      it('passes the refusal of a correct store, counted as refused by the model', () => {
        const m = memberAfterSetup(false);
        const put = m.checkedPutNow('c/auth/1', 'v1');
        m.apply(auth(revoke));
        const revision = m.machine.store.currentRevision;
        m.apply(put);
        expect(m.checker.stats).to.include({ refusedStale: 1, refusedByModel: 1 });
        expect(m.machine.store.currentRevision).to.equal(revision);
      });
    });
  }

  context('when the auth store changed since the check but the model still allows the put', () => {
    it('reports the stale-revision rule (the store applied it: skipAuthGuard)', () => {
      const m = memberAfterSetup(true);
      const put = m.checkedPutNow('c/auth/1', 'v1');
      m.apply(
        auth({
          op: 'roleGrantPermission',
          name: 'rb',
          perm: { permType: 'read', key: enc('x'), rangeEnd: enc('') },
        }),
      );
      const v = violationOf(() => m.apply(put));
      expect(v.message).to.match(/although it was checked at auth revision \d+ and the store is at \d+/);
      expect(v.message).to.contain(`[rule ${AuthRule.StaleRevision}]`);
    });
  });

  it('reports the denied-to-client rule for a put a member refused to its client', () => {
    const m = memberAfterSetup(true);
    const put = m.checkedPutNow('c/auth/1', 'v9');
    m.checker.refusedToClient(authValue('ua', 'v9'));
    const v = violationOf(() => m.apply(put));
    expect(v.message).to.contain(`[rule ${AuthRule.DeniedToClient}]`);
  });

  it('reports a refusal that moved the revision', () => {
    const m = memberAfterSetup(false);
    const put = m.checkedPutNow('c/auth/1', 'v1');
    m.apply(auth({ op: 'userDelete', name: 'ua' }));
    const judged = m.checker.before(m.machine, encodeCommand(put));
    if (judged === undefined) throw new Error('a command is always judged');
    expect(judged.mustRefuse?.rule).to.equal(AuthRule.Model);
    // As if the refused apply had written something: another (root's) write lands in between.
    const rootPut: Command = {
      type: 'authGuarded',
      authRevision: m.machine.auth.revision,
      command: { type: 'put', request: { key: enc('other'), value: enc('x') } },
    };
    expect(m.machine.apply(100, rootPut).status).to.equal('ok');
    const refused = m.machine.apply(101, put);
    expect(refused.status).to.equal('error');
    const v = violationOf(() => m.checker.after(1, 101, judged, refused, m.machine));
    expect(v.message).to.match(/refused entry 101 .* but its revision moved (\d+) → (\d+)/);
  });
});
