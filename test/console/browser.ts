/**
 * Debian's chromium, headless, driven by playwright-core, for the console's browser tests: the
 * launch, the skip-or-fail rule when chromium is missing, and the page's problems (console errors
 * and warnings, uncaught errors, failed requests; chromium reports a CSP violation as a console
 * error).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env['CONCORD_CHROMIUM'] ?? '/usr/bin/chromium';

/** Where the screenshots go: test-artifacts/console/ at the repository's root. */
export const ARTIFACTS = join(
  fileURLToPath(import.meta.url),
  '..',
  '..',
  '..',
  '..',
  'test-artifacts',
  'console',
);

/**
 * Without chromium the browser cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere the suite is skipped with a loud message saying how to install it.
 */
export function requireChromium(ctx: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  const message = `chromium is not installed at ${CHROMIUM}: \`apt-get install chromium\` provides it`;
  if (process.env['CI'] === 'true') throw new Error(`${message} (.ci/run installs it; CI=true)`);
  console.warn(`\n  SKIPPING the console browser tests: ${message}\n`);
  ctx.skip();
}

export interface BrowserPage {
  readonly browser: Browser;
  readonly page: Page;
  /** What went wrong on the page, in order. */
  readonly problems: string[];
  /** The first match's text, undefined when nothing matches. */
  text(selector: string): Promise<string | undefined>;
}

export async function openBrowserPage(): Promise<BrowserPage> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // chromium's sandbox needs user namespaces, which a root CI container does not give
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warning')
      problems.push(`console.${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) =>
    problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`),
  );
  const text = async (selector: string): Promise<string | undefined> => {
    const loc = page.locator(selector);
    return (await loc.count()) === 0 ? undefined : ((await loc.first().textContent()) ?? undefined);
  };
  return { browser, page, problems, text };
}
