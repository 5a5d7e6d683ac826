/**
 * The web console's static files (console/, bundled by esbuild into dist/console at build time),
 * served at /ui on the client port. Only the files found in that folder are served, by exact name,
 * so no request path can reach anything else. Every reply carries a strict Content-Security-Policy:
 * the page loads its own script and style only and runs no inline code. It may open WebSockets to
 * other hosts: it reads each member's status from that member (the API answers status for the
 * connected member alone), and the members' client URLs are known only at run time (memberList),
 * so they cannot be listed in a header fixed at build time. Plain fetches stay on its own origin.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpReply } from './http-server.js';

/** dist/server/api/ → dist/console/ (the same in a checkout and in the installed package). */
const ASSET_DIR = join(fileURLToPath(import.meta.url), '..', '..', '..', 'console');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export interface ConsoleAssetOptions {
  /**
   * The member allows the console's put and delete (`--console-writes`): the page is told so by
   * a data attribute on its root element (no inline script under this CSP), and offers them.
   */
  readonly writes?: boolean;
  /** Where the bundle is (tests); default dist/console. */
  readonly dir?: string;
}

/** The bundle read once per variant (it changes only with a rebuild, which restarts the member). */
const cached = new Map<boolean, Map<string, HttpReply>>();

function load(dir: string, writes: boolean): Map<string, HttpReply> {
  const found = new Map<string, HttpReply>();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    let body = readFileSync(join(dir, name), 'utf8');
    if (name === 'index.html' && writes)
      body = body.replace('<div id="app"', '<div id="app" data-writes="on"');
    found.set(name, { status: 200, headers: { 'content-type': type, ...SECURITY_HEADERS }, body });
  }
  return found;
}

/** The reply to GET /ui or /ui/<file>. */
export function consoleAsset(path: string, options: ConsoleAssetOptions = {}): HttpReply {
  if (path === '/ui') return { status: 301, headers: { location: '/ui/', ...SECURITY_HEADERS }, body: '' };
  const writes = options.writes === true;
  let map: Map<string, HttpReply>;
  if (options.dir === undefined || options.dir === ASSET_DIR) {
    map = cached.get(writes) ?? load(ASSET_DIR, writes);
    if (map.size > 0) cached.set(writes, map);
  } else {
    map = load(options.dir, writes);
  }
  const name = path === '/ui/' ? 'index.html' : path.slice('/ui/'.length);
  const found = map.get(name);
  if (found !== undefined) return found;
  const message =
    map.size === 0
      ? 'the console is not built: run `npm run build`'
      : `no console file ${JSON.stringify(name)}`;
  return {
    status: 404,
    headers: SECURITY_HEADERS,
    body: JSON.stringify({ error: 'Not Found', code: 5, message }),
  };
}
