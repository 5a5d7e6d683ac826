import { expect } from 'chai';
import { AuthStore, covers, spanOf, type AuthOp } from '../../../server/auth/index.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const NONE = new Uint8Array(0);
const FROM = new Uint8Array([0]);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

function storeWith(...ops: AuthOp[]): AuthStore {
  const s = new AuthStore();
  for (const op of ops) s.apply(op);
  return s;
}

const addUser = (name: string): AuthOp => ({ op: 'userAdd', name, passwordHash: 'h', noPassword: false });
const rootReady: AuthOp[] = [addUser('root'), { op: 'userGrantRole', name: 'root', role: 'root' }];

describe('AuthStore', () => {
  describe('#apply enable', () => {
    it('refuses without a root user, then without the root role (etcd)', () => {
      expect(codeOf(() => new AuthStore().apply({ op: 'enable' }))).to.equal('ROOT_USER_NOT_EXIST');
      expect(codeOf(() => storeWith(addUser('root')).apply({ op: 'enable' }))).to.equal(
        'ROOT_ROLE_NOT_EXIST',
      );
    });

    it('enables once root has the root role, and moves the revision once', () => {
      const s = storeWith(...rootReady);
      const before = s.revision;
      expect(s.apply({ op: 'enable' }).revision).to.equal(before + 1);
      expect(s.isEnabled).to.equal(true);
      expect(s.apply({ op: 'enable' }).revision).to.equal(before + 1);
    });
  });

  describe('#apply users and roles', () => {
    it('moves the revision with every change', () => {
      const s = new AuthStore();
      const revs = [
        s.apply(addUser('u')).revision,
        s.apply({ op: 'roleAdd', name: 'r' }).revision,
        s.apply({ op: 'userGrantRole', name: 'u', role: 'r' }).revision,
        s.apply({
          op: 'roleGrantPermission',
          name: 'r',
          perm: { permType: 'read', key: enc('a'), rangeEnd: NONE },
        }).revision,
      ];
      expect(revs).to.deep.equal([2, 3, 4, 5]);
    });

    it('answers etcd refusals with their codes', () => {
      const s = storeWith(addUser('u'), { op: 'roleAdd', name: 'r' });
      expect(codeOf(() => s.apply(addUser('u')))).to.equal('USER_EXISTS');
      expect(codeOf(() => s.apply(addUser('')))).to.equal('USER_EMPTY');
      expect(codeOf(() => s.apply({ op: 'roleAdd', name: 'r' }))).to.equal('ROLE_EXISTS');
      expect(codeOf(() => s.apply({ op: 'roleAdd', name: '' }))).to.equal('ROLE_EMPTY');
      expect(codeOf(() => s.apply({ op: 'userDelete', name: 'x' }))).to.equal('USER_NOT_FOUND');
      expect(codeOf(() => s.apply({ op: 'userGrantRole', name: 'u', role: 'x' }))).to.equal('ROLE_NOT_FOUND');
      expect(codeOf(() => s.apply({ op: 'userRevokeRole', name: 'u', role: 'r' }))).to.equal(
        'ROLE_NOT_GRANTED',
      );
      expect(
        codeOf(() => s.apply({ op: 'roleRevokePermission', name: 'r', key: enc('a'), rangeEnd: NONE })),
      ).to.equal('PERMISSION_NOT_GRANTED');
      expect(
        codeOf(() => s.apply({ op: 'userAdd', name: 'p', passwordHash: '', noPassword: false })),
      ).to.equal('INVALID_ARGUMENT');
    });

    it('keeps root from being locked out while auth is on', () => {
      const s = storeWith(...rootReady, { op: 'roleAdd', name: 'root' }, { op: 'enable' });
      expect(codeOf(() => s.apply({ op: 'userDelete', name: 'root' }))).to.equal('INVALID_AUTH_MGMT');
      expect(codeOf(() => s.apply({ op: 'userRevokeRole', name: 'root', role: 'root' }))).to.equal(
        'INVALID_AUTH_MGMT',
      );
      expect(codeOf(() => s.apply({ op: 'roleDelete', name: 'root' }))).to.equal('INVALID_AUTH_MGMT');
    });

    it('takes a deleted role away from its users', () => {
      const s = storeWith(
        addUser('u'),
        { op: 'roleAdd', name: 'r' },
        { op: 'userGrantRole', name: 'u', role: 'r' },
      );
      s.apply({ op: 'roleDelete', name: 'r' });
      expect(s.user('u')?.roles).to.deep.equal([]);
    });

    it('marks a changed password so that older tokens stop working', () => {
      const s = storeWith(addUser('u'));
      const since = s.user('u')?.validSince;
      s.apply({ op: 'userChangePassword', name: 'u', passwordHash: 'h2' });
      expect(s.user('u')?.validSince).to.be.greaterThan(since as number);
      expect(s.user('u')?.validSince).to.equal(s.revision);
    });
  });

  describe('#isPermitted', () => {
    const s = storeWith(
      ...rootReady,
      addUser('u'),
      { op: 'roleAdd', name: 'r' },
      { op: 'userGrantRole', name: 'u', role: 'r' },
      {
        op: 'roleGrantPermission',
        name: 'r',
        perm: { permType: 'readwrite', key: enc('a/'), rangeEnd: enc('a0') },
      },
      { op: 'roleGrantPermission', name: 'r', perm: { permType: 'read', key: enc('b'), rangeEnd: NONE } },
      { op: 'roleGrantPermission', name: 'r', perm: { permType: 'write', key: enc('c'), rangeEnd: FROM } },
    );

    it('allows a key inside a granted prefix and refuses one outside', () => {
      expect(s.isPermitted('u', 'write', enc('a/x'), undefined)).to.equal(true);
      expect(s.isPermitted('u', 'write', enc('a'), undefined)).to.equal(false);
    });

    it('needs the whole range: a range over the boundary is refused', () => {
      expect(s.isPermitted('u', 'read', enc('a/'), enc('a0'))).to.equal(true);
      expect(s.isPermitted('u', 'read', enc('a/'), enc('a1'))).to.equal(false);
      expect(s.isPermitted('u', 'read', enc('a/'), FROM)).to.equal(false);
    });

    it('tells read from write', () => {
      expect(s.isPermitted('u', 'read', enc('b'), undefined)).to.equal(true);
      expect(s.isPermitted('u', 'write', enc('b'), undefined)).to.equal(false);
      expect(s.isPermitted('u', 'write', enc('zzz'), undefined)).to.equal(true);
      expect(s.isPermitted('u', 'read', enc('zzz'), undefined)).to.equal(false);
    });

    it('allows everything to root and nothing to an unknown user', () => {
      expect(s.isPermitted('root', 'write', enc('\0'), FROM)).to.equal(true);
      expect(s.isPermitted('nobody', 'read', enc('a/x'), undefined)).to.equal(false);
    });
  });

  describe('covers', () => {
    it('joins adjacent spans and sees a gap', () => {
      const g = [spanOf(enc('a'), enc('c')), spanOf(enc('c'), enc('e'))];
      expect(covers(g, spanOf(enc('b'), enc('d')))).to.equal(true);
      expect(
        covers([spanOf(enc('a'), enc('c')), spanOf(enc('d'), enc('e'))], spanOf(enc('b'), enc('e'))),
      ).to.equal(false);
    });
  });
});
