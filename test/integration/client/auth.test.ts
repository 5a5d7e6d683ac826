/**
 * The SDK with access control: `client.auth` manages users, roles and permissions; a client given
 * `auth: { username, password }` authenticates on its connection, is refused outside its
 * permissions with PermissionDeniedError, fails fast on a wrong password, and authenticates again
 * (once, transparently) when its token stops being valid.
 */
import { expect } from 'chai';
import { Client, PermissionDeniedError } from '../../../client/index.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe('Client with auth', function () {
  this.timeout(60_000);
  let m: TestMember;
  let admin: Client;

  before(async () => {
    m = await startTestMember('sdkauth');
    admin = new Client({ endpoints: [m.url] });
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app');
    await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
    await admin.auth.userAdd('svc', 'svcpw');
    await admin.auth.userGrantRole('svc', 'app');
    expect(await admin.auth.userGet('svc')).to.deep.equal(['app']);
    const perms = await admin.auth.roleGet('app');
    expect(
      perms.map((p) => [p.type, Buffer.from(p.key).toString(), Buffer.from(p.rangeEnd).toString()]),
    ).to.deep.equal([['readwrite', 'app/', 'app0']]);
    await admin.auth.enable();
    expect((await admin.auth.status()).enabled).to.equal(true);
  });
  after(async () => {
    await admin?.close();
    await m?.stop();
  });

  it('refuses the client without credentials once auth is on', async () => {
    const err = await rejection(admin.get('app/x'));
    expect(err.code).to.equal('USER_EMPTY');
  });

  it('serves a user inside its prefix and refuses it outside with PermissionDeniedError', async () => {
    const svc = new Client({ endpoints: [m.url], auth: { username: 'svc', password: 'svcpw' } });
    try {
      await svc.put('app/k', 'v');
      expect((await svc.get('app/k'))?.value).to.deep.equal(new TextEncoder().encode('v'));
      const err = await rejection(svc.put('other', 'v'));
      expect(err).to.be.instanceOf(PermissionDeniedError);
      expect(err.message).to.include('write on key "other"');
    } finally {
      await svc.close();
    }
  });

  it('fails fast with AUTH_FAILED on a wrong password', async () => {
    const bad = new Client({ endpoints: [m.url], auth: { username: 'svc', password: 'nope' } });
    try {
      const err = await rejection(bad.put('app/k', 'v'));
      expect(err.code).to.equal('AUTH_FAILED');
    } finally {
      await bad.close();
    }
  });

  it('ends an open watch with PermissionDeniedError when its permission is revoked', async () => {
    const root = new Client({ endpoints: [m.url], auth: { username: 'root', password: 'rootpw' } });
    await root.auth.roleAdd('watcher');
    await root.auth.roleGrantPermission('watcher', { type: 'read', key: 'w/', prefix: true });
    await root.auth.userAdd('wuser', 'wpw');
    await root.auth.userGrantRole('wuser', 'watcher');
    const w = new Client({ endpoints: [m.url], auth: { username: 'wuser', password: 'wpw' } });
    try {
      const { revision } = await root.put('w/a', '1');
      // From the put's revision: the first batch proves the watch is open, whenever it was created.
      const watch = w.watch({ prefix: 'w/', startRevision: revision });
      const it = watch[Symbol.asyncIterator]();
      expect((await it.next()).done).to.equal(false);
      await root.auth.roleRevokePermission('watcher', { key: 'w/', prefix: true });
      const err = await it.next().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(PermissionDeniedError);
    } finally {
      await w.close();
      await root.close();
    }
  });

  it('authenticates again when its token stops being valid (password changed to the same one)', async () => {
    const svc = new Client({ endpoints: [m.url], auth: { username: 'svc', password: 'svcpw' } });
    const root = new Client({ endpoints: [m.url], auth: { username: 'root', password: 'rootpw' } });
    try {
      await svc.put('app/a', '1');
      // Changing the password invalidates the tokens issued before it.
      await root.auth.userChangePassword('svc', 'svcpw');
      await svc.put('app/a', '2');
      expect((await svc.get('app/a'))?.value).to.deep.equal(new TextEncoder().encode('2'));
      expect(await root.auth.userList()).to.include.members(['root', 'svc']);
    } finally {
      await svc.close();
      await root.close();
    }
  });
});
