/**
 * The web console in a real browser: Debian's chromium, headless, driven by playwright-core,
 * against a 3-member cluster. The page is opened on a follower (so that killing the leader leaves
 * it connected) and must show what the SDK, the recipes and the cluster do, with no console error
 * and no Content-Security-Policy violation. Screenshots of each view go to test-artifacts/console/.
 *
 * Without chromium the browser cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere the suite is skipped with a loud message saying how to install it.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Client } from '../../client/index.js';
import {
  acquireLock,
  acquireRead,
  acquireWrite,
  Election,
  register,
  Semaphore,
  WorkQueue,
} from '../../recipes/index.js';
import { consoleCsp } from '../../server/api/console-assets.js';
import { ClusterHarness } from '../cluster/harness.js';
import { eventually } from '../helpers/eventually.js';
import { ARTIFACTS, openBrowserPage, requireChromium } from './browser.js';

describe('web console in chromium against a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: ClusterHarness | undefined;
  let client: Client | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let leader: string;
  let follower: string;

  let problems: string[] = [];
  let text: (selector: string) => Promise<string | undefined>;

  before(async function () {
    requireChromium(this);
    cluster = await ClusterHarness.start({ size: 3 });
    leader = await cluster.waitForLeader();
    follower = cluster.members.find((m) => m.name !== leader)!.name;
    client = new Client({ endpoints: cluster.members.map((m) => m.clientUrl) });
    ({ browser, page, problems, text } = await openBrowserPage());
  });

  after(async () => {
    await browser?.close();
    await client?.close();
    await cluster?.stop();
  });

  const uiUrl = (name: string): string => `${cluster!.member(name).clientUrl}/ui/`;

  async function show(view: string): Promise<void> {
    await page.click(`a[data-view="${view}"]`);
    await page.locator(`main[data-testid="view-${view}"]`).waitFor();
  }

  const shot = (name: string): Promise<Buffer> =>
    page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

  it('is served at /ui with a strict Content-Security-Policy and shows the leader', async () => {
    const started = Date.now();
    const response = await page.goto(uiUrl(follower));
    expect(response?.status()).to.equal(200);
    // connect-src names the members' own origins, never a bare ws: or wss: scheme
    const csp = response?.headers()['content-security-policy'] ?? '';
    const connect =
      csp
        .split('; ')
        .find((d) => d.startsWith('connect-src '))
        ?.split(' ')
        .slice(1) ?? [];
    const origins = cluster!.members.map((m) => m.clientUrl.replace(/^http/, 'ws'));
    expect([...connect].sort()).to.deep.equal(["'self'", ...origins].sort());
    expect(csp).to.equal(consoleCsp(connect.slice(1).map((o) => o.replace(/^ws/, 'http'))));
    const shown = await eventually('the leader in the cluster view', async () =>
      (await text('[data-testid="leader-name"]')) === leader ? true : undefined,
    );
    const shownMs = Date.now() - started;
    // measured and reported, not asserted (the machine is shared): issue 18 asks for under a second
    const timing = (await page.evaluate(
      `(() => { const n = performance.getEntriesByType('navigation')[0]; return [n.domContentLoadedEventEnd, n.loadEventEnd]; })()`,
    )) as [number, number];
    console.log(
      `      (console load: DOMContentLoaded ${Math.round(timing[0])} ms, load ${Math.round(timing[1])} ms; leader shown ${shownMs} ms after navigation)`,
    );
    expect(shown).to.equal(true);
    expect(await page.locator(`tr[data-member="${leader}"]`).getAttribute('data-leader')).to.equal('true');
    expect(await page.locator('tr[data-leader="true"]').count()).to.equal(1);
    expect(await text('[data-testid="conn-state"]')).to.contain('connected');
    // every member's own status, read from that member
    await eventually("each member's raft and applied index and size", async () => {
      for (const m of cluster!.members) {
        const row = `tr[data-member="${m.name}"]`;
        const applied = Number(await text(`${row} [data-testid="member-applied-index"]`));
        const index = Number(await text(`${row} [data-testid="member-raft-index"]`));
        if (!(applied > 0 && index >= applied)) return undefined;
        if (!((await text(`${row} [data-testid="member-db-size"]`)) ?? '').match(/\d/)) return undefined;
      }
      return true;
    });
    // a write moves every member's applied index past its revision's entry
    const before = Number(await text(`tr[data-member="${leader}"] [data-testid="member-applied-index"]`));
    await client!.put('cluster-view/tick', 'x');
    await eventually('the applied index of every member to move', async () => {
      for (const m of cluster!.members) {
        const applied = Number(
          await text(`tr[data-member="${m.name}"] [data-testid="member-applied-index"]`),
        );
        if (!(applied > before)) return undefined;
      }
      return true;
    });
    await shot('cluster');
  });

  it('shows a lock taken with acquireLock() with its holder, token and waiters, and drops it on release', async () => {
    await show('locks');
    const row = 'tr[data-lock="console-demo"]';
    const other = new Client({ endpoints: cluster!.members.map((m) => m.clientUrl) });
    const giveUp = new AbortController();
    try {
      const lock = await acquireLock(client!, 'console-demo', { owner: 'worker-7' });
      // a second contender (its own session) waits in line behind the holder
      const waiting = acquireLock(other, 'console-demo', { owner: 'worker-8', signal: giveUp.signal });
      waiting.catch(() => undefined);
      await eventually('the holder and its waiter', async () =>
        ((await text(`${row} [data-testid="lock-waiters"]`)) ?? '').includes('worker-8') ? true : undefined,
      );
      expect(await text(`${row} [data-testid="lock-owner"]`)).to.equal('worker-7');
      expect(await text(`${row} [data-testid="lock-token"]`)).to.equal(String(lock.token));
      await shot('locks');
      await lock.release();
      const next = await waiting;
      expect(next.token).to.be.greaterThan(lock.token);
      await eventually('the waiter shown as holder with its own token', async () =>
        (await text(`${row} [data-testid="lock-owner"]`)) === 'worker-8' &&
        (await text(`${row} [data-testid="lock-token"]`)) === String(next.token)
          ? true
          : undefined,
      );
      await next.release();
    } finally {
      giveUp.abort();
      await other.close();
    }
    await eventually('the lock row to go', async () =>
      (await page.locator(row).count()) === 0 ? true : undefined,
    );
    expect(await page.locator('[data-testid="no-locks"]').count()).to.equal(1);
  });

  it('shows a put in the key view, its history and the live tail', async () => {
    await client!.put('app/config/db', '{"host":"a","port":1}');
    await client!.put('app/config/db', '{"host":"b","port":2}');
    await show('keys');
    await page.fill('[data-testid="prefix"]', 'app/config/');
    await page.press('[data-testid="prefix"]', 'Enter');
    // the member runs without --console-writes: the page offers no write
    expect(await page.locator('[data-testid="read-only"]').count()).to.equal(1);
    expect(await page.locator('[data-testid="put-form"]').count()).to.equal(0);
    await page.click('button[data-key="app/config/db"]');
    expect(await page.locator('[data-testid="delete-key"]').count()).to.equal(0);
    await eventually('two versions in the history', async () =>
      (await page.locator('[data-testid="key-history"] tbody tr').count()) === 2 ? true : undefined,
    );
    expect(await text('[data-testid="key-value"]')).to.equal('{"host":"b","port":2}');
    expect(await page.locator('[data-testid="key-history"] tr[data-version="1"]').textContent()).to.contain(
      '"a"',
    );
    await page.click('.seg button:has-text("json")');
    expect(await text('[data-testid="key-value"]')).to.equal('{\n  "host": "b",\n  "port": 2\n}');
    // a put made while the page watches appears in the tail and becomes the newest version
    const put = await client!.put('app/config/db', '{"host":"c","port":3}');
    await eventually('the put in the live tail', async () =>
      ((await text('[data-testid="tail"] tbody')) ?? '').includes(`${put.header.revision}put`)
        ? true
        : undefined,
    );
    await eventually('three versions in the history', async () =>
      (await page.locator('[data-testid="key-history"] tbody tr').count()) === 3 ? true : undefined,
    );
    // the diff starts on the two newest versions; pick the first and the last instead
    await eventually('the diff of versions 2 and 3', async () =>
      ((await text('[data-testid="key-diff"]')) ?? '').includes('+   "host": "c",') ? true : undefined,
    );
    expect(await text('[data-testid="key-diff"]')).to.contain('-   "host": "b",');
    await page.check('[data-testid="key-history"] tr[data-version="1"] [data-testid="diff-a"]');
    const diff = await eventually('the diff of versions 1 and 3', async () => {
      const t = (await text('[data-testid="key-diff"]')) ?? '';
      return t.includes('-   "host": "a",') ? t : undefined;
    });
    expect(diff.split('\n').filter((l) => /^[-+]/.test(l))).to.deep.equal([
      '-   "host": "a",',
      '-   "port": 1',
      '+   "host": "c",',
      '+   "port": 3',
    ]);
    await shot('keys');
  });

  it("follows a queue's depth through enqueue, claim and ack", async () => {
    await show('queues');
    const queue = new WorkQueue(client!, 'thumbnails', { consumerId: 'consumer-1' });
    try {
      const depth = (): Promise<string | undefined> =>
        text('tr[data-queue="thumbnails"] [data-testid="queue-depth"]');
      const inflight = (): Promise<string | undefined> =>
        text('tr[data-queue="thumbnails"] [data-testid="queue-inflight"]');
      await queue.enqueue('job-1');
      await queue.enqueue('job-2');
      await eventually('depth 2', async () => ((await depth()) === '2' ? true : undefined));
      const item = await queue.dequeue({ timeoutMs: 10_000 });
      await eventually('depth 1 with one claimed item', async () =>
        (await depth()) === '1' && ((await inflight()) ?? '').includes('consumer-1') ? true : undefined,
      );
      expect(await inflight()).to.contain(item.id);
      await shot('queues');
      await item.ack();
      await eventually('the claim gone after ack', async () =>
        (await depth()) === '1' && (await inflight()) === '0' ? true : undefined,
      );
    } finally {
      await queue.close();
    }
  });

  it('lists leases with their attached keys', async () => {
    const grant = await client!.lease.grant(60);
    await client!.put('svc/lease-demo', 'x', { lease: grant.id });
    await show('leases');
    const row = `tr[data-lease="${grant.id.toString(16).padStart(16, '0')}"]`;
    await eventually('the lease row', async () =>
      ((await text(row)) ?? '').includes('svc/lease-demo') ? true : undefined,
    );
    await shot('leases');
    await client!.lease.revoke(grant.id);
  });

  it('shows a read/write lock: shared readers, then the writer that waited for them', async () => {
    await show('rwlocks');
    const row = 'tr[data-rwlock="reports"]';
    const giveUp = new AbortController();
    try {
      const r1 = await acquireRead(client!, 'reports');
      const r2 = await acquireRead(client!, 'reports');
      const writer = acquireWrite(client!, 'reports', { signal: giveUp.signal });
      writer.catch(() => undefined);
      await eventually('two readers holding and a writer waiting', async () =>
        (await text(`${row} [data-testid="rwlock-mode"]`))?.includes('2 shared') &&
        (await page.locator(`${row} [data-testid="rwlock-waiters"] li[data-mode="write"]`).count()) === 1
          ? true
          : undefined,
      );
      await shot('rwlocks');
      await r1.release();
      await r2.release();
      const w = await writer;
      await eventually('the writer holding', async () =>
        (await text(`${row} [data-testid="rwlock-mode"]`))?.includes('write') &&
        ((await text(`${row} [data-testid="rwlock-holders"]`)) ?? '').includes(`rev ${w.token}`)
          ? true
          : undefined,
      );
      await w.release();
    } finally {
      giveUp.abort();
    }
    await eventually('the rwlock row to go', async () =>
      (await page.locator(row).count()) === 0 ? true : undefined,
    );
  });

  it("shows an election's leader, its value and candidates, and the successor after resign", async () => {
    await show('elections');
    const row = 'tr[data-election="scheduler"]';
    const other = new Client({ endpoints: cluster!.members.map((m) => m.clientUrl) });
    const giveUp = new AbortController();
    try {
      const leading = await new Election(client!, 'scheduler').campaign('node-a:8080');
      const second = new Election(other, 'scheduler').campaign('node-b:8080', { signal: giveUp.signal });
      second.catch(() => undefined);
      await eventually('leader and candidate', async () =>
        (await text(`${row} [data-testid="election-leader"]`)) === 'node-a:8080' &&
        ((await text(`${row} [data-testid="election-candidates"]`)) ?? '').includes('node-b:8080')
          ? true
          : undefined,
      );
      expect(await text(`${row} [data-testid="election-term"]`)).to.equal(String(leading.revision));
      await leading.proclaim('node-a:9090');
      await eventually('the proclaimed value', async () =>
        (await text(`${row} [data-testid="election-leader"]`)) === 'node-a:9090' ? true : undefined,
      );
      await shot('elections');
      await leading.resign();
      const next = await second;
      await eventually('the successor as leader', async () =>
        (await text(`${row} [data-testid="election-leader"]`)) === 'node-b:8080' &&
        (await text(`${row} [data-testid="election-term"]`)) === String(next.revision)
          ? true
          : undefined,
      );
      await next.resign();
    } finally {
      giveUp.abort();
      await other.close();
    }
  });

  it('shows a semaphore filling up to its limit and a slot given back', async () => {
    await show('semaphores');
    const row = 'tr[data-semaphore="reboot"]';
    const sem = new Semaphore(client!, 'reboot');
    await sem.setLimit(2);
    const a = await sem.acquire('machine-a');
    await eventually('one holder, free slots', async () =>
      (await text(`${row} [data-testid="semaphore-holders"]`))?.includes('1 of 2') &&
      (await text(`${row} [data-testid="semaphore-waiting"]`))?.includes('free')
        ? true
        : undefined,
    );
    const b = await sem.acquire('machine-b');
    await eventually('full', async () =>
      (await text(`${row} [data-testid="semaphore-holders"]`))?.includes('machine-b') &&
      (await text(`${row} [data-testid="semaphore-waiting"]`))?.includes('full')
        ? true
        : undefined,
    );
    await shot('semaphores');
    await a.release();
    await eventually('machine-a gone', async () =>
      (await text(`${row} [data-testid="semaphore-holders"]`))?.includes('machine-a') === false
        ? true
        : undefined,
    );
    await b.release();
  });

  it('shows registered service instances with metadata and lease health, and drops a closed one', async () => {
    await show('services');
    const one = await register(client!, {
      service: 'api',
      id: 'api-1',
      address: '10.0.0.5:8080',
      meta: { zone: 'a' },
      ttlSec: 30,
    });
    const two = await register(client!, {
      service: 'api',
      id: 'api-2',
      address: '10.0.0.6:8080',
      ttlSec: 30,
    });
    const table = 'table[data-service="api"]';
    await eventually('two instances', async () =>
      (await page.locator(`${table} tbody tr`).count()) === 2 ? true : undefined,
    );
    expect(await text(`${table} tr[data-instance="api-1"] [data-testid="instance-address"]`)).to.equal(
      '10.0.0.5:8080',
    );
    expect(await text(`${table} tr[data-instance="api-1"] [data-testid="instance-meta"]`)).to.equal('zone=a');
    expect(await text(`${table} tr[data-instance="api-1"] [data-testid="instance-health"]`)).to.match(
      /^\d+s \/ 30s$/,
    );
    await shot('services');
    await two.close();
    await eventually('api-2 gone', async () =>
      (await page.locator(`${table} tbody tr`).count()) === 1 ? true : undefined,
    );
    await one.close();
  });

  it('shows config documents with their versions, history and invalid ones', async () => {
    await client!.put('config/limits', '{"rps":10}');
    await client!.put('config/limits', '{"rps":20,"burst":5}');
    await client!.put('config/broken', '{oops');
    await show('config');
    const row = 'tr[data-config="config/limits"]';
    await eventually('the document at version 2', async () =>
      (await text(`${row} [data-testid="config-version"]`)) === '2' ? true : undefined,
    );
    expect(await text(`${row} [data-testid="config-value"]`)).to.equal('{\n  "rps": 20,\n  "burst": 5\n}');
    expect(
      await page.locator('tr[data-config="config/broken"] [data-testid="config-invalid"]').count(),
    ).to.equal(1);
    await page.click(`${row} [data-testid="config-history"]`);
    await eventually('both versions in the history', async () =>
      (await page.locator('[data-testid="config-versions"] tr').count()) === 2 ? true : undefined,
    );
    await shot('config');
  });

  it("charts proposals, apply and fsync time, watches and connections from the member's /metrics", async () => {
    await show('metrics');
    const value = async (id: string): Promise<number> =>
      Number.parseFloat((await text(`[data-testid="metric-${id}"] .value`)) ?? '');
    // writes while the view samples: the proposal rate and the apply time become positive
    const writing = (async () => {
      for (let i = 0; i < 200 && !((await value('proposals').catch(() => 0)) > 0); i++)
        await client!.put(`metrics/k${i % 10}`, String(i));
    })();
    await eventually('a positive proposal rate', async () =>
      (await value('proposals')) > 0 ? true : undefined,
    );
    await writing;
    await eventually('an apply time', async () => ((await value('apply')) > 0 ? true : undefined));
    // the page's own WebSocket (and the per-member clients of the cluster view, if open) are clients
    expect(await value('connections')).to.be.at.least(1);
    expect(await page.locator('[data-testid="metric-proposals"] canvas').count()).to.equal(1);
    await shot('metrics');
  });

  it('shows the new leader after a kill -9 of the leader', async () => {
    await show('cluster');
    await cluster!.kill(leader, 'SIGKILL');
    const next = await cluster!.waitForLeader();
    expect(next).to.not.equal(leader);
    await eventually('the new leader in the cluster view', async () =>
      (await text('[data-testid="leader-name"]')) === next ? true : undefined,
    );
    expect(await page.locator(`tr[data-member="${leader}"]`).getAttribute('data-leader')).to.equal('false');
    await eventually('the killed member shown unreachable', async () =>
      (await page.locator(`tr[data-member="${leader}"] [data-testid="member-unreachable"]`).count()) === 1
        ? true
        : undefined,
    );
    await shot('cluster-after-failover');
  });

  it('logged no console error and no CSP violation', () => {
    // The browser itself reports each failed WebSocket connection to the member killed above as a
    // console error (the cluster view keeps trying to read that member's status): expected, and
    // not the page's doing. Anything else counts.
    const killed = new URL(cluster!.member(leader).clientUrl).host;
    const own = problems.filter(
      (p) => !(p.includes(`ws://${killed}`) && /WebSocket connection .* failed/.test(p)),
    );
    expect(own).to.deep.equal([]);
  });
});
