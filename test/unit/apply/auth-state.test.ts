import { expect } from 'chai';
import fc from 'fast-check';
import {
  StateMachine,
  decodeCommand,
  encodeCommand,
  type ApplyResult,
  type Command,
} from '../../../server/apply/index.js';
import type { AuthOp } from '../../../server/auth/index.js';
import { ALL, enc } from '../mvcc/helpers.js';

const code = (r: ApplyResult): string => (r.status === 'error' ? r.error.code : r.status);
const auth = (op: AuthOp): Command => ({ type: 'auth', op });
const SETUP: AuthOp[] = [
  { op: 'userAdd', name: 'root', passwordHash: 'scrypt$x', noPassword: false },
  { op: 'userGrantRole', name: 'root', role: 'root' },
  { op: 'roleAdd', name: 'reader' },
  {
    op: 'roleGrantPermission',
    name: 'reader',
    perm: { permType: 'read', key: enc('k'), rangeEnd: enc('l') },
  },
  { op: 'userAdd', name: 'alice', passwordHash: 'scrypt$y', noPassword: false },
  { op: 'userAdd', name: 'cert', passwordHash: '', noPassword: true },
  { op: 'userGrantRole', name: 'alice', role: 'reader' },
  { op: 'enable' },
];

function machineWith(ops: readonly AuthOp[]): StateMachine {
  const sm = new StateMachine();
  ops.forEach((op, i) => sm.apply(i + 1, auth(op)));
  return sm;
}

describe('StateMachine auth state', () => {
  it('applies auth commands through their encoding', () => {
    const sm = new StateMachine();
    SETUP.forEach((op, i) => {
      const r = sm.applyEntry(i + 1, encodeCommand(auth(op)));
      expect(code(r), op.op).to.equal('ok');
    });
    expect(sm.auth.isEnabled).to.equal(true);
    expect(sm.auth.userNames()).to.deep.equal(['alice', 'cert', 'root']);
    expect(sm.auth.isPermitted('alice', 'read', enc('k1'), undefined)).to.equal(true);
  });

  it('carries the auth state in the snapshot and the hash', () => {
    const a = machineWith(SETUP);
    const b = new StateMachine();
    b.restore(a.snapshot());
    expect(b.auth.state()).to.deep.equal(a.auth.state());
    expect(b.hash()).to.equal(a.hash());
    const c = machineWith(SETUP.slice(0, -1));
    c.apply(SETUP.length, { type: 'put', request: { key: enc('x'), value: enc('v') } });
    const d = machineWith(SETUP.slice(0, -1));
    d.apply(SETUP.length, auth({ op: 'roleAdd', name: 'other' }));
    expect(c.hash()).to.not.equal(d.hash());
  });

  it('streams the same snapshot bytes as snapshot()', () => {
    const a = machineWith(SETUP);
    const stream = a.beginSnapshot(64);
    const parts: Uint8Array[] = [];
    for (let s = stream.next(); s !== undefined; s = stream.next()) parts.push(s.slice());
    const whole = Buffer.concat(parts);
    expect(Buffer.from(a.snapshot()).equals(whole)).to.equal(true);
  });

  it('reads a version 3 snapshot as auth off with no users', () => {
    const a = new StateMachine();
    a.apply(1, { type: 'put', request: { key: enc('x'), value: enc('v') } });
    const v4 = a.snapshot();
    // Version 3 is version 4 without the auth block (5 bytes for an empty store: off, rev 1, 0, 0).
    const head = 4 + 1 + 1 + 1 + 1; // magic, version, applied index 1, no leases, no alarms
    const v3 = Buffer.concat([v4.subarray(0, head), v4.subarray(head + 4)]);
    v3[4] = 3;
    const b = new StateMachine();
    b.restore(v3);
    expect(b.auth.isEnabled).to.equal(false);
    expect(b.auth.userNames()).to.deep.equal([]);
    expect(b.range(ALL).kvs.length).to.equal(1);
    expect(b.hash()).to.equal(a.hash());
  });

  it('refuses a guarded write checked at an older auth revision', () => {
    const sm = machineWith(SETUP);
    const checkedAt = sm.auth.revision;
    const write: Command = {
      type: 'authGuarded',
      authRevision: checkedAt,
      command: { type: 'put', request: { key: enc('k1'), value: enc('v') } },
    };
    const decoded = decodeCommand(encodeCommand(write));
    expect(decoded.type === 'authGuarded' && decoded.authRevision).to.equal(checkedAt);
    expect(decoded.type === 'authGuarded' && decoded.command.type).to.equal('put');
    sm.apply(100, auth({ op: 'roleRevokePermission', name: 'reader', key: enc('k'), rangeEnd: enc('l') }));
    expect(code(sm.apply(101, write))).to.equal('AUTH_OLD_REVISION');
    expect(sm.range(ALL).kvs.length).to.equal(0);
    expect(code(sm.apply(102, { ...write, authRevision: sm.auth.revision }))).to.equal('ok');
    expect(sm.range(ALL).kvs.length).to.equal(1);
  });

  it('refuses a write admitted while auth was off once auth is on (no check, no user)', () => {
    const off = machineWith(SETUP.slice(0, -1));
    const write: Command = { type: 'put', request: { key: enc('k1'), value: enc('v') } };
    expect(code(off.apply(50, write))).to.equal('ok');
    const on = machineWith(SETUP);
    const before = on.store.currentRevision;
    for (const [i, c] of [
      write,
      { type: 'deleteRange', request: { key: enc('k1') } },
      {
        type: 'txn',
        request: { compare: [], success: [{ type: 'put', request: write.request }], failure: [] },
      },
    ].entries())
      expect(code(on.apply(50 + i, c as Command)), (c as Command).type).to.equal('USER_EMPTY');
    expect(on.store.currentRevision).to.equal(before);
  });

  it('applies a stale guarded write only with the injected bug skipAuthGuard', () => {
    const sm = new StateMachine({ injectedBugs: { skipAuthGuard: true } });
    SETUP.forEach((op, i) => sm.apply(i + 1, auth(op)));
    const write: Command = {
      type: 'authGuarded',
      authRevision: sm.auth.revision,
      command: { type: 'put', request: { key: enc('k1'), value: enc('v') } },
    };
    sm.apply(100, auth({ op: 'roleRevokePermission', name: 'reader', key: enc('k'), rangeEnd: enc('l') }));
    expect(code(sm.apply(101, write))).to.equal('ok');
  });

  it('tells token listeners of an assigned token on every member, and refuses one for nobody', () => {
    const sm = machineWith(SETUP);
    const seen: string[] = [];
    sm.auth.onTokenAssigned((token, name, revision) => seen.push(`${token}:${name}:${revision}`));
    expect(code(sm.apply(50, auth({ op: 'assignToken', name: 'alice', token: 't1' })))).to.equal('ok');
    expect(code(sm.apply(51, auth({ op: 'assignToken', name: 'bob', token: 't2' })))).to.equal('AUTH_FAILED');
    expect(seen).to.deep.equal([`t1:alice:${sm.auth.revision}`]);
  });

  describe('property: members that apply the same entries agree', () => {
    const name = fc.constantFrom('root', 'alice', 'bob', '');
    const role = fc.constantFrom('root', 'reader', 'writer', '');
    const key = fc.constantFrom('a', 'b', 'k', '');
    const op: fc.Arbitrary<AuthOp> = fc.oneof(
      fc.constant<AuthOp>({ op: 'enable' }),
      fc.constant<AuthOp>({ op: 'disable' }),
      fc.record({
        op: fc.constant('userAdd' as const),
        name,
        passwordHash: fc.constantFrom('', 'h'),
        noPassword: fc.boolean(),
      }),
      fc.record({ op: fc.constant('userDelete' as const), name }),
      fc.record({
        op: fc.constant('userChangePassword' as const),
        name,
        passwordHash: fc.constantFrom('', 'h2'),
      }),
      fc.record({ op: fc.constant('userGrantRole' as const), name, role }),
      fc.record({ op: fc.constant('userRevokeRole' as const), name, role }),
      fc.record({ op: fc.constant('roleAdd' as const), name: role }),
      fc.record({ op: fc.constant('roleDelete' as const), name: role }),
      fc.record({
        op: fc.constant('roleGrantPermission' as const),
        name: role,
        perm: fc.record({
          permType: fc.constantFrom('read' as const, 'write' as const, 'readwrite' as const),
          key: key.map(enc),
          rangeEnd: fc.constantFrom('', 'c', 'z').map(enc),
        }),
      }),
      fc.record({
        op: fc.constant('roleRevokePermission' as const),
        name: role,
        key: key.map(enc),
        rangeEnd: fc.constantFrom('', 'c', 'z').map(enc),
      }),
    );

    it('gives equal hashes, equal answers and equal snapshots, restored or replayed', () => {
      fc.assert(
        fc.property(fc.array(op, { maxLength: 40 }), fc.nat(40), (ops, cut) => {
          const members = [new StateMachine(), new StateMachine(), new StateMachine()];
          const answers: string[][] = members.map(() => []);
          const entries = ops.map((o) => encodeCommand(auth(o)));
          const at = Math.min(cut, entries.length);
          entries.forEach((e, i) => {
            members.forEach((m, j) => {
              if (j === 2 && i === at) {
                // The third member catches up from the first's snapshot mid-way.
                m.restore((members[0] as StateMachine).snapshot());
              }
              if (m.appliedIndex < i + 1) (answers[j] as string[]).push(code(m.applyEntry(i + 1, e)));
            });
          });
          const [a, b, c] = members as [StateMachine, StateMachine, StateMachine];
          expect(b.hash()).to.equal(a.hash());
          expect(c.hash()).to.equal(a.hash());
          expect(answers[1]).to.deep.equal(answers[0]);
          expect(Buffer.from(c.snapshot()).equals(Buffer.from(a.snapshot()))).to.equal(true);
        }),
        { numRuns: 200 },
      );
    });
  });
});
