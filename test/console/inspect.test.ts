/**
 * The console's layout readers (recipes/inspect.ts) on a real single member, and the /ui asset
 * lookup: what the browser test sees only through the page, checked here case by case.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '../../client/index.js';
import {
  acquireLock,
  inspectLeases,
  inspectLocks,
  inspectQueues,
  keyHistory,
  WorkQueue,
} from '../../recipes/index.js';
import { CONSOLE_CSP, consoleAsset } from '../../server/api/console-assets.js';
import { startMember, type MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';

describe('console layout readers (recipes/inspect.ts)', function () {
  this.timeout(60_000);
  let root: string;
  let member: MemberHandle;
  let client: Client;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'concord-inspect-'));
    member = await startMember({
      name: 'inspect',
      dataDir: join(root, 'data'),
      listenClientUrls: ['http://127.0.0.1:0'],
      listenPeerUrls: ['http://127.0.0.1:0'],
      logLevel: 'error',
    });
    client = new Client({ endpoints: [...member.clientUrls] });
  });

  after(async () => {
    await client?.close();
    await member?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads a lock holder and its waiters in line order, with decoded names', async () => {
    const other = new Client({ endpoints: [...member.clientUrls] });
    const giveUp = new AbortController();
    try {
      const held = await acquireLock(client, 'jobs/nightly run', { owner: 'first' });
      const waiting = acquireLock(other, 'jobs/nightly run', { owner: 'second', signal: giveUp.signal });
      waiting.catch(() => undefined);
      // the waiter's key is put by its acquireLock() call, which has not returned
      let snap = await eventually('the waiter in line', async () => {
        const s = await inspectLocks(client);
        return s.locks[0]?.waiters.length === 1 ? s : undefined;
      });
      expect(snap.locks).to.have.length(1);
      const lock = snap.locks[0]!;
      expect(lock.name).to.equal('jobs/nightly run');
      expect(lock.holder.owner).to.equal('first');
      expect(lock.holder.token).to.equal(held.token);
      expect(lock.waiters.map((w) => w.owner)).to.deep.equal(['second']);
      expect(lock.waiters[0]!.token).to.be.greaterThan(held.token);
      await held.release();
      const next = await waiting;
      snap = await inspectLocks(client);
      expect(snap.locks[0]?.holder.owner).to.equal('second');
      expect(snap.locks[0]?.holder.token).to.equal(next.token);
      await next.release();
      expect((await inspectLocks(client)).locks).to.deep.equal([]);
    } finally {
      giveUp.abort();
      await other.close();
    }
  });

  it('reads a queue: depth per priority, claims, orphaned in-flight items and acked ids', async () => {
    const q = new WorkQueue(client, 'mail out', { consumerId: 'c-1' });
    try {
      await q.enqueue('a', { priority: 5 });
      await q.enqueue('b', { priority: 5 });
      await q.enqueue('c', { priority: 7 });
      const first = await q.dequeue({ timeoutMs: 5000 });
      const second = await q.dequeue({ timeoutMs: 5000 });
      await second.ack();
      // a consumer that died: its claim key is gone, the in-flight key is still there
      const third = await q.dequeue({ timeoutMs: 5000 });
      await client.delete(`concord/queues/mail%20out/c/${third.id}`);
      const snap = await inspectQueues(client);
      expect(snap.queues).to.have.length(1);
      const state = snap.queues[0]!;
      expect(state.name).to.equal('mail out');
      expect(state.depth).to.equal(0);
      expect(state.acked).to.equal(1);
      const byId = new Map(state.inFlight.map((c) => [c.id, c]));
      expect(byId.get(first.id)?.consumer).to.equal('c-1');
      expect(byId.get(first.id)?.priority).to.equal(5);
      expect(byId.get(third.id)?.consumer).to.equal(undefined);
      expect(byId.get(third.id)?.priority).to.equal(7);
      await q.enqueue('d', { priority: 3 });
      const after = (await inspectQueues(client)).queues[0]!;
      expect(after.depth).to.equal(1);
      expect(after.byPriority).to.deep.equal({ 3: 1 });
    } finally {
      await q.close();
    }
  });

  it("walks a key's history back to its creation, and says when compaction cut it short", async () => {
    await client.put('hist/k', 'old life');
    await client.delete('hist/k');
    await client.put('hist/k', 'v1');
    await client.put('hist/k', 'v2', { lease: 0 });
    const last = await client.put('hist/k', 'v3');
    const full = await keyHistory(client, 'hist/k');
    expect(full.complete).to.equal(true);
    expect(full.versions.map((v) => new TextDecoder().decode(v.value))).to.deep.equal(['v3', 'v2', 'v1']);
    expect(full.versions.map((v) => v.version)).to.deep.equal([3, 2, 1]);
    const limited = await keyHistory(client, 'hist/k', { limit: 2 });
    expect(limited.versions).to.have.length(2);
    expect(limited.complete).to.equal(false);
    await client.compact(last.header.revision);
    const cut = await keyHistory(client, 'hist/k');
    expect(cut.versions.map((v) => v.version)).to.deep.equal([3]);
    expect(cut.complete).to.equal(false);
    expect(await keyHistory(client, 'hist/never')).to.deep.equal({ versions: [], complete: true });
  });

  it('lists leases with their TTL and attached keys', async () => {
    const grant = await client.lease.grant(30);
    await client.put('lease/a', '1', { lease: grant.id });
    await client.put('lease/b', '2', { lease: grant.id });
    const { leases, more } = await inspectLeases(client.lease);
    expect(more).to.equal(false);
    const mine = leases.find((l) => l.id === grant.id);
    expect(mine?.grantedTtlSec).to.equal(30);
    expect(mine?.ttlSec).to.be.within(1, 30);
    expect([...(mine?.keys ?? [])].sort()).to.deep.equal(['lease/a', 'lease/b']);
    await client.lease.revoke(grant.id);
    expect((await inspectLeases(client.lease)).leases.some((l) => l.id === grant.id)).to.equal(false);
  });
});

describe('console assets at /ui (server/api/console-assets.ts)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'concord-ui-'));
    mkdirSync(join(dir, 'built'));
    writeFileSync(join(dir, 'built', 'index.html'), '<!doctype html><div id="app"></div>');
    writeFileSync(join(dir, 'built', 'app.js'), 'export {}');
    writeFileSync(join(dir, 'secret.txt'), 'not served');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the page and its files by exact name with the CSP, and nothing else', () => {
    const page = consoleAsset('/ui/', { dir: join(dir, 'built') });
    expect(page.status).to.equal(200);
    expect(page.headers?.['content-type']).to.match(/^text\/html/);
    expect(page.headers?.['content-security-policy']).to.equal(CONSOLE_CSP);
    expect(consoleAsset('/ui/app.js', { dir: join(dir, 'built') }).headers?.['content-type']).to.match(
      /^text\/javascript/,
    );
    expect(consoleAsset('/ui', { dir: join(dir, 'built') })).to.include({ status: 301 });
    for (const path of ['/ui/../secret.txt', '/ui/%2e%2e/secret.txt', '/ui/nope.js', '/ui/built/app.js']) {
      expect(consoleAsset(path, { dir: join(dir, 'built') }).status, path).to.equal(404);
    }
  });

  it("lets the page open WebSockets to the members' origins only", () => {
    const members = [
      'http://127.0.0.1:2379',
      'https://10.0.0.2:2379/',
      'http://127.0.0.1:2379',
      'unix:///run/concord.sock',
      'not a url',
    ];
    const page = consoleAsset('/ui/', { dir: join(dir, 'built'), connectTo: members });
    const csp = String(page.headers?.['content-security-policy']);
    expect(csp).to.include("connect-src 'self' ws://127.0.0.1:2379 wss://10.0.0.2:2379;");
    expect(csp).not.to.match(/ ws: | wss: |\*/);
    // no members known: the page's own origin only
    expect(consoleAsset('/ui/', { dir: join(dir, 'built') }).headers?.['content-security-policy']).to.include(
      "connect-src 'self';",
    );
  });

  it('tells the page whether writes are allowed only when the member allows them', () => {
    expect(consoleAsset('/ui/', { dir: join(dir, 'built') }).body).to.not.contain('data-writes');
    expect(consoleAsset('/ui/', { dir: join(dir, 'built'), writes: true }).body).to.contain(
      '<div id="app" data-writes="on">',
    );
  });

  it('says how to build the console when it is not built', () => {
    const r = consoleAsset('/ui/', { dir: join(dir, 'missing') });
    expect(r.status).to.equal(404);
    expect(r.body).to.contain('npm run build');
  });
});
