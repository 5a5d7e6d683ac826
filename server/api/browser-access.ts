/**
 * Which browser pages may use the client port: etcd's `--cors` (allowed origins) and
 * `--host-whitelist` (accepted Host headers), decided once per HTTP request or WebSocket upgrade
 * by the HTTP server (http-server.ts), before any route or door sees it.
 *
 * Why both. A page on another origin can send a POST (a "simple" request needs no preflight) and
 * can open a WebSocket (WebSockets have no CORS at all): the browser only hides the answer, the
 * request still reaches the member. So a request that carries an `Origin` the member does not
 * allow is refused outright on the gateway (`/v3/...`), on preflights and on WebSocket upgrades,
 * with ORIGIN_NOT_ALLOWED; non-browser clients (etcdctl, curl, the SDK in Node) send no `Origin`
 * and are not concerned. DNS rebinding defeats an origin check that trusts "same origin": a name
 * the attacker controls (`evil.example`) is re-pointed at 127.0.0.1, so the page *is* same-origin
 * with the member by name. The Host header check refuses such names (cleartext connections only,
 * as etcd: a TLS certificate does not match the attacker's name), and the origin check counts a
 * page as same-origin only when its name cannot be rebound — an IP address, `localhost`, a TLS
 * connection, or a host listed in `--host-whitelist`.
 *
 * Allowed origins: every origin with `--cors '*'` (etcd's default; opt-in here); the origins
 * listed in `--cors`; the cluster's own client URLs (the console served by one member opens
 * WebSockets to the others); and the same origin as above.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, type ErrorBody } from '../../client/protocol/index.js';

export interface BrowserAccessOptions {
  /** Origins (`scheme://host[:port]`) allowed besides the cluster's own; `*`: every origin. */
  readonly corsOrigins: readonly string[];
  /** Host names accepted in the Host header of cleartext requests; `*` (or none listed): every name. */
  readonly hostWhitelist: readonly string[];
}

/** No origin besides the cluster's own and the same origin; every Host (etcd's default). */
export const BROWSER_ACCESS_DEFAULTS: BrowserAccessOptions = { corsOrigins: [], hostWhitelist: ['*'] };

/** What a request may do, or why it is refused (the reply's status and error body). */
export type AccessVerdict =
  | { readonly allowed: true; readonly corsHeaders: Readonly<Record<string, string>> }
  | { readonly allowed: false; readonly status: number; readonly error: ErrorBody };

/** etcd's CORS headers (the methods and headers its gateway names). */
function corsHeadersFor(allowOrigin: string): Record<string, string> {
  return {
    'access-control-allow-origin': allowOrigin,
    'access-control-allow-methods': 'POST, GET, OPTIONS, PUT, DELETE',
    'access-control-allow-headers': 'accept, content-type, authorization',
    vary: 'Origin',
  };
}

/** `scheme://host[:port]` of a URL or origin text, lower case, default port left out; undefined if none. */
export function originOf(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/** The host name of a Host header (port and IPv6 brackets left out, lower case); undefined if malformed. */
export function hostNameOf(hostHeader: string | undefined): string | undefined {
  // Only host[:port]: anything a URL would read as a path, user or query makes the header malformed.
  if (hostHeader === undefined || hostHeader === '' || /[\s/\\@?#]/.test(hostHeader)) return undefined;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return undefined;
  }
}

/** A whitelist entry as hostNameOf spells names. */
function normalHost(entry: string): string {
  return entry
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
}

/** A bad `--cors` or `--host-whitelist` entry; `field` names the option. */
export class BrowserAccessConfigError extends Error {
  override readonly name = 'BrowserAccessConfigError';
  constructor(
    readonly field: keyof BrowserAccessOptions,
    message: string,
  ) {
    super(message);
  }
}

/** Validates the options (throws BrowserAccessConfigError naming the bad entry); returns them normalised. */
export function resolveBrowserAccess(options: Partial<BrowserAccessOptions> = {}): BrowserAccessOptions {
  const corsOrigins = (options.corsOrigins ?? BROWSER_ACCESS_DEFAULTS.corsOrigins).map((entry) => {
    if (entry.trim() === '*') return '*';
    const origin = originOf(entry.trim());
    if (origin === undefined || new URL(entry.trim()).pathname.length > 1)
      throw new BrowserAccessConfigError(
        'corsOrigins',
        `'${entry}' is not an origin (http(s)://host[:port]) or *`,
      );
    return origin;
  });
  // An empty whitelist accepts every name, as etcd's flag says ("empty means allow all").
  const hosts = options.hostWhitelist ?? BROWSER_ACCESS_DEFAULTS.hostWhitelist;
  const hostWhitelist = (hosts.length === 0 ? ['*'] : hosts).map((entry) => {
    const host = normalHost(entry);
    if (host === '*') return '*';
    // Spelled as a request's Host is read (lower case, IDNs in punycode), so that they compare.
    const name = host === '' ? undefined : hostNameOf(isIP(host) === 6 ? `[${host}]` : host);
    if (name === undefined)
      throw new BrowserAccessConfigError('hostWhitelist', `'${entry}' is not a host name or *`);
    return name;
  });
  return { corsOrigins, hostWhitelist };
}

export class BrowserAccess {
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  private readonly anyHost: boolean;
  private readonly hosts: ReadonlySet<string>;

  /**
   * `clusterUrls`: the client URLs of this member and of the cluster's members now (their origins
   * are allowed: the console page of one member talks to the others).
   */
  constructor(
    options: BrowserAccessOptions,
    private readonly clusterUrls: () => readonly string[],
  ) {
    this.anyOrigin = options.corsOrigins.includes('*');
    this.origins = new Set(options.corsOrigins.filter((o) => o !== '*'));
    this.anyHost = options.hostWhitelist.includes('*');
    this.hosts = new Set(options.hostWhitelist.filter((h) => h !== '*'));
  }

  /**
   * The verdict on a request or upgrade. `originMatters`: whether a disallowed Origin refuses it
   * (the gateway, preflights, upgrades); elsewhere (GET of /health, /ui, …) it is answered
   * without CORS headers, so the page cannot read it.
   */
  check(req: IncomingMessage, originMatters: boolean): AccessVerdict {
    const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
    const hostHeader = req.headers.host;
    const hostName = hostNameOf(hostHeader);
    if (!secure && !this.anyHost && (hostName === undefined || !this.hosts.has(hostName))) {
      return {
        allowed: false,
        // etcd answers 421 Misdirected Request (its CVE-2018-5702 fix).
        status: 421,
        error: {
          code: ErrorCode.HostNotAllowed,
          message: `the Host header ${JSON.stringify(hostHeader ?? '')} is not in --host-whitelist (a guard against DNS rebinding); use an allowed name, or TLS`,
          details: {},
        },
      };
    }
    const originHeader = req.headers.origin;
    if (originHeader === undefined) return { allowed: true, corsHeaders: {} };
    if (this.anyOrigin) return { allowed: true, corsHeaders: corsHeadersFor('*') };
    const origin = originOf(originHeader);
    if (origin !== undefined && this.isAllowedOrigin(origin, secure, hostHeader, hostName))
      return { allowed: true, corsHeaders: corsHeadersFor(origin) };
    if (!originMatters) return { allowed: true, corsHeaders: {} };
    return {
      allowed: false,
      status: 403,
      error: {
        code: ErrorCode.OriginNotAllowed,
        message: `requests from the page origin ${JSON.stringify(originHeader)} are refused: it is not in --cors`,
        details: {},
      },
    };
  }

  private isAllowedOrigin(
    origin: string,
    secure: boolean,
    hostHeader: string | undefined,
    hostName: string | undefined,
  ): boolean {
    if (this.origins.has(origin)) return true;
    for (const url of this.clusterUrls()) if (originOf(url) === origin) return true;
    // The same origin, when its name cannot be rebound to this member by a stranger's DNS.
    if (hostHeader === undefined || hostName === undefined) return false;
    const own = originOf(`${secure ? 'https' : 'http'}://${hostHeader}`);
    if (own !== origin) return false;
    return secure || isIP(hostName) !== 0 || hostName === 'localhost' || this.hosts.has(hostName);
  }
}
