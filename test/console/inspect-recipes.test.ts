/**
 * The console's readers of the rwlock, election, semaphore, registry and config layouts
 * (recipes/inspect-recipes.ts) on a real single member, driven by the recipes themselves.
 */
import { expect } from 'chai';
import { Client } from '../../client/index.js';
import {
  acquireRead,
  acquireWrite,
  Election,
  inspectConfigs,
  inspectElections,
  inspectRwLocks,
  inspectSemaphores,
  inspectServices,
  register,
  Semaphore,
} from '../../recipes/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

describe('console recipe readers (recipes/inspect-recipes.ts)', function () {
  this.timeout(60_000);
  let member: TestMember;
  let client: Client;
  const endpoints = (): string[] => [member.url];

  before(async () => {
    member = await startTestMember('inspect-recipes');
    client = new Client({ endpoints: endpoints() });
  });

  after(async () => {
    await client?.close();
    await member?.stop();
  });

  it('reads a read/write lock: shared readers, then a writer in line, then a reader behind it', async () => {
    const giveUp = new AbortController();
    try {
      const r1 = await acquireRead(client, 'tables/users');
      const r2 = await acquireRead(client, 'tables/users');
      const writer = acquireWrite(client, 'tables/users', { signal: giveUp.signal });
      writer.catch(() => undefined);
      await eventually('the writer in line', async () =>
        (await inspectRwLocks(client)).rwlocks[0]?.waiters.length === 1 ? true : undefined,
      );
      const late = acquireRead(client, 'tables/users', { signal: giveUp.signal });
      late.catch(() => undefined);
      const snap = await eventually('the late reader behind the writer', async () => {
        const s = await inspectRwLocks(client);
        return s.rwlocks[0]?.waiters.length === 2 ? s : undefined;
      });
      const lock = snap.rwlocks[0]!;
      expect(lock.name).to.equal('tables/users');
      expect(lock.holders.map((h) => [h.mode, h.token])).to.deep.equal([
        ['read', r1.token],
        ['read', r2.token],
      ]);
      expect(lock.waiters.map((w) => w.mode)).to.deep.equal(['write', 'read']);
      await r1.release();
      await r2.release();
      const w = await writer;
      const held = (await inspectRwLocks(client)).rwlocks[0]!;
      expect(held.holders.map((h) => [h.mode, h.token])).to.deep.equal([['write', w.token]]);
      expect(held.waiters.map((x) => x.mode)).to.deep.equal(['read']);
      await w.release();
      const r3 = await late;
      await r3.release();
      expect((await inspectRwLocks(client)).rwlocks).to.deep.equal([]);
    } finally {
      giveUp.abort();
    }
  });

  it('reads an election: leader, proclaimed value, candidates in order, then the successor', async () => {
    const election = new Election(client, 'scheduler');
    const other = new Client({ endpoints: endpoints() });
    const giveUp = new AbortController();
    try {
      const leading = await election.campaign('node-a');
      const second = new Election(other, 'scheduler').campaign('node-b', { signal: giveUp.signal });
      second.catch(() => undefined);
      let snap = await eventually('the candidate in line', async () => {
        const s = await inspectElections(client);
        return s.elections[0]?.candidates.length === 1 ? s : undefined;
      });
      expect(snap.elections[0]!.leader.value).to.equal('node-a');
      expect(snap.elections[0]!.leader.revision).to.equal(leading.revision);
      expect(snap.elections[0]!.candidates.map((c) => c.value)).to.deep.equal(['node-b']);
      await leading.proclaim('node-a:9090');
      snap = await inspectElections(client);
      expect(snap.elections[0]!.leader.value).to.equal('node-a:9090');
      await leading.resign();
      const next = await second;
      snap = await inspectElections(client);
      expect(snap.elections[0]!.leader.value).to.equal('node-b');
      expect(snap.elections[0]!.candidates).to.deep.equal([]);
      await next.resign();
      expect((await inspectElections(client)).elections).to.deep.equal([]);
    } finally {
      giveUp.abort();
      await other.close();
    }
  });

  it('reads semaphores, and reports a record that is not one', async () => {
    const sem = new Semaphore(client, 'reboot');
    await sem.setLimit(2);
    const a = await sem.acquire('machine-a');
    await sem.acquire('machine-b');
    await client.put('concord/semaphores/broken', 'not json');
    const snap = await inspectSemaphores(client);
    expect(snap.semaphores.map((s) => s.name)).to.deep.equal(['broken', 'reboot']);
    const reboot = snap.semaphores[1]!;
    expect(reboot.valid && reboot.limit).to.equal(2);
    expect(reboot.valid && reboot.holders).to.deep.equal(['machine-a', 'machine-b']);
    expect(snap.semaphores[0]!.valid).to.equal(false);
    await a.release();
    const after = (await inspectSemaphores(client)).semaphores[1]!;
    expect(after.valid && after.holders).to.deep.equal(['machine-b']);
    await client.deletePrefix('concord/semaphores/');
  });

  it('reads the registry: instances with metadata and lease health, gone on close', async () => {
    const reg = await register(client, {
      service: 'api',
      id: 'api-1',
      address: '10.0.0.5:8080',
      meta: { zone: 'a' },
      ttlSec: 30,
    });
    await client.put('concord/services/api/stray', 'not an entry');
    const snap = await inspectServices(client, client.lease);
    const api = snap.services.find((s) => s.name === 'api')!;
    const one = api.instances.find((i) => i.instance?.id === 'api-1')!;
    expect(one.instance?.address).to.equal('10.0.0.5:8080');
    expect(one.instance?.meta).to.deep.equal({ zone: 'a' });
    expect(one.lease?.grantedTtlSec).to.equal(30);
    expect(one.lease?.ttlSec).to.be.within(1, 30);
    const stray = api.instances.find((i) => i.key.endsWith('/stray'))!;
    expect(stray.instance).to.equal(undefined);
    expect(stray.lease).to.equal(undefined);
    await reg.close();
    await client.delete('concord/services/api/stray');
    expect((await inspectServices(client, client.lease)).services).to.deep.equal([]);
  });

  it('reads config documents with their versions and flags the invalid ones', async () => {
    await client.put('config/limits', '{"rps":10}');
    await client.put('config/limits', '{"rps":20}');
    await client.put('config/broken', '{oops');
    const snap = await inspectConfigs(client, 'config/');
    const byKey = new Map(snap.documents.map((d) => [d.key, d]));
    const limits = byKey.get('config/limits')!;
    expect(limits.valid && limits.value).to.deep.equal({ rps: 20 });
    expect(limits.version).to.equal(2);
    const broken = byKey.get('config/broken')!;
    expect(broken.valid).to.equal(false);
    expect(!broken.valid && broken.raw).to.equal('{oops');
  });
});
