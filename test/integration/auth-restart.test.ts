/**
 * Access control survives a member restart: users, roles, permissions, "auth on" and the auth
 * revision come back from the snapshot and the WAL, and a limited user is still limited. (Simple
 * tokens are not persisted, as etcd's: clients authenticate again.)
 */
import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, PermissionDeniedError } from '../../client/index.js';
import { startMember, type MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';

async function start(dataDir: string): Promise<{ member: MemberHandle; url: string }> {
  const member = await startMember(
    {
      name: 'authrestart',
      dataDir,
      listenClientUrls: ['http://127.0.0.1:0'],
      listenPeerUrls: ['http://127.0.0.1:0'],
      heartbeatInterval: 20,
      electionTimeout: 200,
      unsafeNoFsync: true,
      // Small, so the restart reads a snapshot holding auth entries and replays more from the WAL.
      snapshotCount: 4,
    },
    { logWrite: () => {} },
  );
  const url = member.clientUrls[0] as string;
  await eventually('a healthy member', async () =>
    (await fetch(`${url}/health`)).status === 200 ? true : undefined,
  );
  return { member, url };
}

describe('auth across a member restart', function () {
  this.timeout(60_000);
  let root: string;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'concord-authrestart-'))));
  after(async () => rm(root, { recursive: true, force: true }));

  it('comes back with the same users, roles, permissions and revision, still enforced', async () => {
    const dataDir = join(root, 'm');
    let { member, url } = await start(dataDir);
    const admin = new Client({ endpoints: [url] });
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app');
    await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
    await admin.auth.userAdd('svc', 'svcpw');
    await admin.auth.userGrantRole('svc', 'app');
    await admin.auth.enable();
    const before = await admin.auth.status();
    await admin.close();
    await member.stop();

    ({ member, url } = await start(dataDir));
    try {
      const anonymous = new Client({ endpoints: [url] });
      const err = await anonymous.get('app/x').then(
        () => undefined,
        (e: Error & { code?: string }) => e,
      );
      expect(err?.code).to.equal('USER_EMPTY');
      expect(await anonymous.auth.status()).to.deep.equal(before);
      await anonymous.close();
      const rootClient = new Client({ endpoints: [url], auth: { username: 'root', password: 'rootpw' } });
      expect(await rootClient.auth.userList()).to.deep.equal(['root', 'svc']);
      expect(await rootClient.auth.userGet('svc')).to.deep.equal(['app']);
      await rootClient.close();
      const svc = new Client({ endpoints: [url], auth: { username: 'svc', password: 'svcpw' } });
      await svc.put('app/k', 'v');
      const denied = await svc.put('other', 'v').then(
        () => undefined,
        (e: Error) => e,
      );
      expect(denied).to.be.instanceOf(PermissionDeniedError);
      await svc.close();
    } finally {
      await member.stop();
    }
  });
});
