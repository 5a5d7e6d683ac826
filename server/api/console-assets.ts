/**
 * The web console's static files (console/, bundled by esbuild into dist/console at build time),
 * served at /ui on the client port. Only the files found in that folder are served, by exact name,
 * so no request path can reach anything else. Every reply carries a strict Content-Security-Policy:
 * the page loads its own script and style only and runs no inline code. Besides its own origin it
 * may open WebSockets only to the cluster's members: it reads each member's status from that
 * member (the API answers status for the connected member alone), so `connect-src` lists the
 * members' client URLs as the member knows them when it answers (`connectTo`), never a wildcard.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpReply } from './http-server.js';

/** dist/server/api/ → dist/console/ (the same in a checkout and in the installed package). */
const ASSET_DIR = join(fileURLToPath(import.meta.url), '..', '..', '..', 'console');

/** The policy of every console reply; `members` are client URLs the page may open WebSockets to. */
export function consoleCsp(members: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    ['connect-src', "'self'", ...webSocketOrigins(members)].join(' '),
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The policy with no other member listed (the page's own origin only). */
export const CONSOLE_CSP = consoleCsp();

/** http(s)://host:port → ws(s)://host:port, deduplicated; a URL that does not parse is left out. */
function webSocketOrigins(urls: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      continue;
    }
    const scheme = url.protocol === 'https:' ? 'wss:' : url.protocol === 'http:' ? 'ws:' : undefined;
    // A host with characters a CSP source cannot carry is left out rather than let it split the header.
    if (scheme === undefined || !/^[A-Za-z0-9.\-\[\]:]+$/.test(url.host)) continue;
    origins.add(`${scheme}//${url.host}`);
  }
  return [...origins];
}

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
  /** The members' client URLs, listed in `connect-src` (the cluster view reads every member). */
  readonly connectTo?: readonly string[];
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
  if (found !== undefined) {
    const members = options.connectTo ?? [];
    if (members.length === 0) return found;
    return { ...found, headers: { ...found.headers, 'content-security-policy': consoleCsp(members) } };
  }
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
