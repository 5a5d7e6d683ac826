/**
 * Every recipe runs for a user whose role covers only the recipe's own prefix (docs/security.md
 * lists them), and fails with PermissionDeniedError, naming the key, when used outside it.
 */
import { expect } from 'chai';
import { Client, PermissionDeniedError, type PermissionSpec } from '../../client/index.js';
import {
  acquireLock,
  acquireRead,
  acquireWrite,
  Barrier,
  discover,
  Election,
  PubSub,
  register,
  Semaphore,
  subscribeConfig,
  WorkQueue,
} from '../../recipes/index.js';
import { rejectionOf } from '../helpers/rejection.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

/** The grants of docs/security.md's table, for one name per recipe. */
const GRANTS: readonly PermissionSpec[] = [
  { type: 'readwrite', key: 'concord/locks/jobs/', prefix: true },
  { type: 'readwrite', key: 'concord/rwlocks/catalog/', prefix: true },
  { type: 'readwrite', key: 'concord/semaphores/reboot', prefix: true },
  { type: 'readwrite', key: 'concord/elections/scheduler/', prefix: true },
  { type: 'readwrite', key: 'concord/barriers/deploy', prefix: true },
  { type: 'readwrite', key: 'concord/queues/thumbnails/', prefix: true },
  { type: 'readwrite', key: 'concord/topics/builds', prefix: true },
  { type: 'readwrite', key: 'concord/services/api/', prefix: true },
  { type: 'readwrite', key: 'config/limits' },
];

describe('recipes under a prefix-limited user', function () {
  this.timeout(120_000);
  let m: TestMember;
  let app: Client;

  before(async () => {
    m = await startTestMember('auth-recipes');
    await using admin = new Client({ endpoints: [m.url] });
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('recipes');
    for (const g of GRANTS) await admin.auth.roleGrantPermission('recipes', g);
    await admin.auth.userAdd('app', 'apppw');
    await admin.auth.userGrantRole('app', 'recipes');
    await admin.putJson('config/limits', { maxJobs: 4 });
    await admin.auth.enable();
    app = new Client({ endpoints: [m.url], auth: { username: 'app', password: 'apppw' } });
  });
  after(async () => {
    await app?.close();
    await m?.stop();
  });

  it('lock, rwlock and semaphore', async () => {
    {
      await using lock = await acquireLock(app, 'jobs', { ttlSec: 10, timeoutMs: 10_000 });
      expect(lock.token).to.be.a('number');
    }
    {
      await using reader = await acquireRead(app, 'catalog', { timeoutMs: 10_000 });
      expect(reader).to.not.equal(undefined);
    }
    {
      await using writer = await acquireWrite(app, 'catalog', { timeoutMs: 10_000 });
      expect(writer).to.not.equal(undefined);
    }
    const reboots = new Semaphore(app, 'reboot');
    await reboots.setLimit(2);
    {
      await using slot = await reboots.acquire('machine-17', { timeoutMs: 10_000 });
      expect((await reboots.state()).holders).to.deep.equal(['machine-17']);
      expect(slot).to.not.equal(undefined);
    }
  });

  it('election and barrier', async () => {
    const election = new Election(app, 'scheduler');
    {
      await using leadership = await election.campaign('node-a', { ttlSec: 10, timeoutMs: 10_000 });
      expect((await election.leader())?.value).to.equal('node-a');
      expect(leadership).to.not.equal(undefined);
    }
    const deploy = new Barrier(app, 'deploy');
    await deploy.hold();
    const passed = deploy.wait({ timeoutMs: 10_000 });
    await deploy.release();
    await passed;
  });

  it('queue, pub/sub, registry and config', async () => {
    {
      await using queue = new WorkQueue(app, 'thumbnails', { ttlSec: 10 });
      await queue.enqueue('cat.png', { id: 'cat' });
      const item = await queue.dequeue({ timeoutMs: 10_000 });
      expect(item.value).to.equal('cat.png');
      await item.ack();
    }
    const pubsub = new PubSub(app);
    {
      await using builds = pubsub.subscribe('builds');
      await builds.ready();
      const { revision } = await pubsub.publish('builds', 'build 42 passed');
      for await (const message of builds) {
        expect(message.revision).to.equal(revision);
        break;
      }
    }
    {
      await using registration = await register(app, {
        service: 'api',
        id: 'api-1',
        address: '10.0.0.5:80',
        ttlSec: 10,
      });
      expect((await discover(app, 'api')).map((i) => i.id)).to.deep.equal(['api-1']);
      expect(registration).to.not.equal(undefined);
    }
    const signal = AbortSignal.timeout(10_000);
    for await (const update of subscribeConfig(app, 'config/limits', { signal })) {
      expect(update.type).to.equal('value');
      break;
    }
  });

  it('refuses each recipe outside its grant with PermissionDeniedError naming the key', async () => {
    const outside = [
      () => acquireLock(app, 'other', { ttlSec: 10, timeoutMs: 5_000 }),
      () => new Election(app, 'other').campaign('x', { ttlSec: 10, timeoutMs: 5_000 }),
      () => new Semaphore(app, 'other').setLimit(1),
      () => new PubSub(app).publish('other', 'x'),
      () => register(app, { service: 'other', id: 'i', address: 'a:1', ttlSec: 10 }),
    ];
    for (const attempt of outside) {
      const e = await rejectionOf(attempt());
      expect(e, String(e)).to.be.instanceOf(PermissionDeniedError);
      expect((e as Error).message).to.contain('other');
    }
    await using admin = new Client({ endpoints: [m.url], auth: { username: 'root', password: 'rootpw' } });
    // Nothing was written outside the grants.
    for (const prefix of [
      'concord/locks/other',
      'concord/elections/other',
      'concord/semaphores/other',
      'concord/topics/other',
      'concord/services/other',
    ])
      expect((await admin.getPrefix(prefix, { countOnly: true })).count, prefix).to.equal(0);
  });
});
