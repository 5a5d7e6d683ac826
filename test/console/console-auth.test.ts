/**
 * The console's writes and login in chromium, against one member started with --console-writes
 * and access control on: the page asks for a user, keeps no credential in cookies or storage,
 * shows what that user may read (and the member's refusal for the rest), and puts or deletes a key
 * only after a confirmation and only with the permission to. (Without the flag the page offers no
 * write at all: console.test.ts checks that on its cluster.)
 */
import { expect } from 'chai';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { Client } from '../../client/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { ARTIFACTS, openBrowserPage, requireChromium } from './browser.js';

describe('web console with --console-writes and access control, in chromium', function () {
  this.timeout(120_000);
  let m: TestMember | undefined;
  let root: Client | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let problems: string[] = [];
  let text: (selector: string) => Promise<string | undefined>;

  before(async function () {
    requireChromium(this);
    m = await startTestMember('console-auth', { flags: { consoleWrites: true } });
    const admin = new Client({ endpoints: [m.url] });
    await admin.auth.userAdd('root', 'rootpw');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('app');
    await admin.auth.roleGrantPermission('app', { type: 'readwrite', key: 'app/', prefix: true });
    await admin.auth.userAdd('writer', 'writerpw');
    await admin.auth.userGrantRole('writer', 'app');
    await admin.auth.roleAdd('viewer');
    await admin.auth.roleGrantPermission('viewer', { type: 'read', key: 'app/', prefix: true });
    await admin.auth.userAdd('reader', 'readerpw');
    await admin.auth.userGrantRole('reader', 'viewer');
    await admin.put('app/greeting', 'hello');
    await admin.put('secret/token', 'do not show');
    await admin.auth.enable();
    await admin.close();
    root = new Client({ endpoints: [m.url], auth: { username: 'root', password: 'rootpw' } });
    ({ browser, page, problems, text } = await openBrowserPage());
  });

  after(async () => {
    await browser?.close();
    await root?.close();
    await m?.stop();
  });

  async function login(user: string, password: string): Promise<void> {
    await page.locator('[data-testid="login"]').waitFor();
    await page.fill('[data-testid="login-user"]', user);
    await page.fill('[data-testid="login-password"]', password);
    await page.click('[data-testid="login-submit"]');
  }

  async function browse(prefix: string): Promise<void> {
    await page.click('a[data-view="keys"]');
    await page.fill('[data-testid="prefix"]', prefix);
    await page.press('[data-testid="prefix"]', 'Enter');
  }

  it('asks for a user, refuses a wrong password and shows no view before login', async () => {
    await page.goto(`${m!.url}/ui/`);
    await login('writer', 'wrong');
    await eventually('the refusal', async () =>
      (await text('[data-testid="login-error"]')) ? true : undefined,
    );
    expect(await page.locator('nav a').count()).to.equal(0);
    await page.screenshot({ path: join(ARTIFACTS, 'login.png') });
  });

  it('logs in, keeps no credential in cookies or storage, and shows what the user may read', async () => {
    await login('writer', 'writerpw');
    await eventually('the user shown', async () =>
      (await text('[data-testid="user"]')) === 'writer' ? true : undefined,
    );
    // evaluated in the page (a string: this file is compiled without the DOM's types)
    const stored: unknown = await page.evaluate(
      '({ cookie: document.cookie, local: localStorage.length, session: sessionStorage.length })',
    );
    expect(stored).to.deep.equal({ cookie: '', local: 0, session: 0 });
    await browse('app/');
    await page.click('button[data-key="app/greeting"]');
    await eventually('the value', async () =>
      (await text('[data-testid="key-value"]')) === 'hello' ? true : undefined,
    );
    // outside its permission the member refuses, and the page shows the refusal, not the keys
    await browse('');
    await eventually('the refusal of the whole key space', async () =>
      ((await text('main .error')) ?? '').includes('PermissionDenied') ? true : undefined,
    );
    expect(await page.locator('[data-testid="key-list"] li').count()).to.equal(0);
    expect(await page.content()).to.not.contain('do not show');
  });

  it('puts a key only after the confirmation, and a cancelled put writes nothing', async () => {
    await browse('app/');
    await page.fill('[data-testid="put-key"]', 'app/feature');
    await page.fill('[data-testid="put-value"]', '{"on":true}');
    await page.click('[data-testid="put-submit"]');
    expect(await text('[data-testid="confirm"]')).to.contain('app/feature');
    await page.screenshot({ path: join(ARTIFACTS, 'put-confirm.png') });
    await page.click('[data-testid="confirm-no"]');
    expect(await root!.get('app/feature')).to.equal(undefined);
    await page.click('[data-testid="put-submit"]');
    await page.click('[data-testid="confirm-yes"]');
    await eventually('the put acknowledged', async () =>
      ((await text('[data-testid="write-outcome"]')) ?? '').startsWith('Put app/feature') ? true : undefined,
    );
    expect(new TextDecoder().decode((await root!.get('app/feature'))?.value)).to.equal('{"on":true}');
    await eventually('the new key in the list', async () =>
      (await page.locator('button[data-key="app/feature"]').count()) === 1 ? true : undefined,
    );
  });

  it('deletes a key after the confirmation', async () => {
    await page.click('button[data-key="app/feature"]');
    await page.click('[data-testid="delete-key"]');
    expect(await text('[data-testid="confirm"]')).to.contain('Delete app/feature');
    await page.click('[data-testid="confirm-yes"]');
    await eventually('the key gone', async () =>
      (await root!.get('app/feature')) === undefined ? true : undefined,
    );
    await eventually('the key shown deleted', async () =>
      (await page.locator('[data-testid="key-missing"]').count()) === 1 ? true : undefined,
    );
  });

  it('refuses the write of a user with read permission only, through the member', async () => {
    await page.click('[data-testid="logout"]');
    await login('reader', 'readerpw');
    await eventually('the user shown', async () =>
      (await text('[data-testid="user"]')) === 'reader' ? true : undefined,
    );
    await browse('app/');
    await page.fill('[data-testid="put-key"]', 'app/greeting');
    await page.fill('[data-testid="put-value"]', 'overwritten');
    await page.click('[data-testid="put-submit"]');
    await page.click('[data-testid="confirm-yes"]');
    await eventually('the refusal', async () =>
      ((await text('[data-testid="write-outcome"]')) ?? '').includes('PermissionDenied') ? true : undefined,
    );
    expect(new TextDecoder().decode((await root!.get('app/greeting'))?.value)).to.equal('hello');
    await page.screenshot({ path: join(ARTIFACTS, 'write-refused.png'), fullPage: true });
  });

  it('logged no console error', () => {
    expect(problems).to.deep.equal([]);
  });
});
