/**
 * Client options, their documented defaults (`CLIENT_DEFAULTS`), and `resolveOptions()`, which
 * validates them at construction and throws `InvalidArgumentError` naming the option before any
 * socket opens. Time and randomness are injected (`clock`, `random`) so that unit tests and the
 * simulator drive the SDK on virtual time.
 */
import { InvalidArgumentError } from './errors.js';
import { isStructuredLogger, toLog, type ClientLogger, type Log } from './logger.js';
import type { ClientTransport } from './transport.js';
import { WEBSOCKET_PATH } from './protocol/index.js';

/** Clock and timers; the default is the platform's (`Date.now`, `setTimeout`). */
export interface ClientClock {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): object;
  clearTimeout(handle: object): void;
}

/**
 * PEM text or bytes (a `Buffer` read from a file, or any `Uint8Array`), or a list of them: what
 * Node's `tls.connect` accepts for `ca`, `cert` and `key`.
 */
export type TlsMaterial = string | Uint8Array | readonly (string | Uint8Array)[];

export interface TlsOptions {
  /** CA certificates to trust (default: Node's bundled roots). */
  readonly ca?: TlsMaterial;
  /** Client certificate chain and private key (mutual TLS). */
  readonly cert?: TlsMaterial;
  readonly key?: TlsMaterial;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** Default true; false only for tests. */
  readonly rejectUnauthorized?: boolean;
  readonly servername?: string;
}

/**
 * How the client authenticates (docs/auth.md): a token obtained elsewhere, sent in every hello;
 * or a user name and password, with which the client authenticates on every connection it opens
 * (the member keeps the token for that socket) and again, once, when a request is refused for an
 * expired or outdated token.
 */
export type AuthOptions =
  { readonly token: string } | { readonly username: string; readonly password: string };

/** User name and password to authenticate with (the `auth` option's second form). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export interface BackoffOptions {
  /** Delay before the second attempt; doubles each attempt. Default 100 ms. */
  readonly initialDelayMs?: number;
  /** Upper bound of one delay. Default 5000 ms. */
  readonly maxDelayMs?: number;
}

/**
 * Which member the client talks to: `'leader'` moves its connection to the leader as soon as a
 * member names it (and follows leader changes); `'any'` stays on the member it connected to.
 */
export type ClientRouting = 'leader' | 'any';

export interface ClientOptions {
  /** Members' client URLs: `ws://host:2379`, `http://host:2379`, `host:2379` (wss:// / https:// for TLS). */
  readonly endpoints: readonly string[];
  readonly tls?: TlsOptions;
  readonly auth?: AuthOptions;
  /** Every key of this client lives under this prefix (see `client.namespace()`). */
  readonly namespace?: string | Uint8Array;
  /** For the member's logs, sent in the hello. Default "concord-js". */
  readonly clientName?: string;
  /** Deadline of one call, retries included. Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Deadline of one connection attempt (socket + hello/welcome). Default 5000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * How often the client checks that its member still answers (a cheap status request); 0 turns
   * the check off. A member that is frozen (paused process, hung VM) keeps its TCP connection open
   * but answers nothing: after `livenessTimeoutMs` without an answer the client drops the
   * connection and moves watches, keep-alives and requests to another member. Default 5000.
   */
  readonly livenessIntervalMs?: number;
  /** How long a liveness check may wait for its answer. Default 5000. */
  readonly livenessTimeoutMs?: number;
  /**
   * How many times a call (or `ready()`) waiting for a connection lets the client try every
   * endpoint before it fails with `UnreachableError` (each round after the first waits a backoff
   * delay). Watches and keep-alives keep reconnecting regardless. Default 3.
   */
  readonly connectRounds?: number;
  /** Reconnect and retry backoff (exponential, jittered). */
  readonly backoff?: BackoffOptions;
  /**
   * `'leader'` (default): once connected, the client moves its connection (requests, watches,
   * keep-alives) to the leader that the member names, and follows the leader when it changes:
   * writes then skip the follower's forwarding hops. A leader it cannot dial is tried again later;
   * meanwhile the client stays where it is. `'any'`: it stays on the member it connected to
   * (spreads the clients' load over the members; e.g. to ask one given member for its status).
   */
  readonly routing?: ClientRouting;
  /** Refuse members of another cluster (compared with welcome.header.clusterId). */
  readonly expectedClusterId?: number;
  /** Events a watch buffers for a slow consumer before pausing its server-side stream. Default 10 000. */
  readonly watchBufferEvents?: number;
  /** Default `wsTransport()` with `tls`. */
  readonly transport?: ClientTransport;
  readonly clock?: ClientClock;
  /** Uniform in [0, 1); jitter only. Default Math.random. */
  readonly random?: () => number;
  /**
   * Where the SDK logs connections, failovers and protocol errors: a function receiving one line
   * per record (info and above), or a structured logger called as `logger.warn(fields, message)`
   * (pino's order; pino and its children fit as they are). Default: none.
   */
  readonly logger?: ClientLogger;
}

export const CLIENT_DEFAULTS = {
  clientName: 'concord-js',
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  livenessIntervalMs: 5_000,
  livenessTimeoutMs: 5_000,
  connectRounds: 3,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  watchBufferEvents: 10_000,
  routing: 'leader',
} as const;

export interface ResolvedOptions {
  readonly endpoints: readonly string[];
  readonly tls: TlsOptions | undefined;
  readonly authToken: string | undefined;
  /** Set when the `auth` option gives a user name and password. */
  readonly credentials: Credentials | undefined;
  readonly namespace: Uint8Array;
  readonly clientName: string;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly livenessIntervalMs: number;
  readonly livenessTimeoutMs: number;
  readonly connectRounds: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly expectedClusterId: number | undefined;
  readonly watchBufferEvents: number;
  readonly routing: ClientRouting;
  readonly transport: ClientTransport | undefined;
  readonly clock: ClientClock;
  readonly random: () => number;
  readonly log: Log;
}

export const systemClock: ClientClock = {
  nowMs: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * `ws://host:port/ws` from any accepted spelling of an endpoint. http(s) map to ws(s); a bare
 * `host:port` is ws://; the path is always the protocol's WEBSOCKET_PATH.
 */
export function normalizeEndpoint(endpoint: string): string {
  const trimmed = endpoint.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `ws://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch (cause) {
    throw new InvalidArgumentError(`endpoint ${JSON.stringify(endpoint)} is not a URL`, {
      details: { field: 'endpoints' },
      cause,
    });
  }
  const scheme = { 'ws:': 'ws:', 'http:': 'ws:', 'wss:': 'wss:', 'https:': 'wss:' }[url.protocol];
  if (scheme === undefined || url.host === '') {
    throw new InvalidArgumentError(
      `endpoint ${JSON.stringify(endpoint)}: use ws://, wss://, http:// or https://`,
      {
        details: { field: 'endpoints' },
      },
    );
  }
  return `${scheme}//${url.host}${WEBSOCKET_PATH}`;
}

function isTlsPiece(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/** Refuses what Node's TLS would refuse at the first connection attempt (or, worse, misread). */
function validateTls(tls: TlsOptions): void {
  for (const field of ['ca', 'cert', 'key'] as const) {
    const value: unknown = tls[field];
    if (value === undefined || isTlsPiece(value)) continue;
    if (Array.isArray(value) && value.every(isTlsPiece)) continue;
    throw new InvalidArgumentError(
      `tls.${field} must be PEM text, bytes (a Buffer or Uint8Array) or an array of them`,
      { details: { field: `tls.${field}` } },
    );
  }
}

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer, got ${String(value)}`, {
      details: { field: name },
    });
  }
  return value;
}

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('client options must be an object');
  }
  if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
    throw new InvalidArgumentError('endpoints must list at least one member', {
      details: { field: 'endpoints' },
    });
  }
  const endpoints = [...new Set(options.endpoints.map(normalizeEndpoint))];
  const namespace =
    typeof options.namespace === 'string'
      ? new TextEncoder().encode(options.namespace)
      : (options.namespace ?? new Uint8Array());
  const initialDelayMs = positiveInt(
    'backoff.initialDelayMs',
    options.backoff?.initialDelayMs,
    CLIENT_DEFAULTS.initialDelayMs,
  );
  const maxDelayMs = positiveInt(
    'backoff.maxDelayMs',
    options.backoff?.maxDelayMs,
    CLIENT_DEFAULTS.maxDelayMs,
  );
  if (maxDelayMs < initialDelayMs) {
    throw new InvalidArgumentError('backoff.maxDelayMs must be at least backoff.initialDelayMs', {
      details: { field: 'backoff.maxDelayMs' },
    });
  }
  const credentials = credentialsOf(options.auth);
  if (
    options.auth !== undefined &&
    credentials === undefined &&
    (typeof (options.auth as { token?: unknown }).token !== 'string' ||
      (options.auth as { token: string }).token.length > 8192)
  ) {
    throw new InvalidArgumentError('auth.token must be a string of at most 8192 characters', {
      details: { field: 'auth.token' },
    });
  }
  const clientName = options.clientName ?? CLIENT_DEFAULTS.clientName;
  if (typeof clientName !== 'string' || clientName.length > 256) {
    throw new InvalidArgumentError('clientName must be a string of at most 256 characters', {
      details: { field: 'clientName' },
    });
  }
  if (options.tls !== undefined) validateTls(options.tls);
  if (
    options.logger !== undefined &&
    typeof options.logger !== 'function' &&
    !isStructuredLogger(options.logger)
  ) {
    throw new InvalidArgumentError(
      'logger must be a function of one line or an object with debug, info, warn and error methods',
      { details: { field: 'logger' } },
    );
  }
  const routing = options.routing ?? CLIENT_DEFAULTS.routing;
  if (routing !== 'leader' && routing !== 'any') {
    throw new InvalidArgumentError(`routing must be 'leader' or 'any', got ${JSON.stringify(routing)}`, {
      details: { field: 'routing' },
    });
  }
  if (options.tls !== undefined && endpoints.some((e) => e.startsWith('ws:'))) {
    throw new InvalidArgumentError('tls is set but an endpoint is ws:// (use wss:// or https://)', {
      details: { field: 'endpoints' },
    });
  }
  return {
    endpoints,
    tls: options.tls,
    authToken: options.auth !== undefined && 'token' in options.auth ? options.auth.token : undefined,
    credentials,
    namespace,
    clientName,
    requestTimeoutMs: positiveInt(
      'requestTimeoutMs',
      options.requestTimeoutMs,
      CLIENT_DEFAULTS.requestTimeoutMs,
    ),
    connectTimeoutMs: positiveInt(
      'connectTimeoutMs',
      options.connectTimeoutMs,
      CLIENT_DEFAULTS.connectTimeoutMs,
    ),
    livenessIntervalMs:
      options.livenessIntervalMs === 0
        ? 0
        : positiveInt('livenessIntervalMs', options.livenessIntervalMs, CLIENT_DEFAULTS.livenessIntervalMs),
    livenessTimeoutMs: positiveInt(
      'livenessTimeoutMs',
      options.livenessTimeoutMs,
      CLIENT_DEFAULTS.livenessTimeoutMs,
    ),
    connectRounds: positiveInt('connectRounds', options.connectRounds, CLIENT_DEFAULTS.connectRounds),
    initialDelayMs,
    maxDelayMs,
    expectedClusterId: options.expectedClusterId,
    watchBufferEvents: positiveInt(
      'watchBufferEvents',
      options.watchBufferEvents,
      CLIENT_DEFAULTS.watchBufferEvents,
    ),
    routing,
    transport: options.transport,
    clock: options.clock ?? systemClock,
    random: options.random ?? Math.random,
    log: toLog(options.logger),
  };
}

/** The user name and password of the `auth` option, validated; undefined for a token or none. */
function credentialsOf(auth: AuthOptions | undefined): Credentials | undefined {
  if (auth === undefined || !('username' in auth || 'password' in auth)) return undefined;
  const { username, password } = auth as { username?: unknown; password?: unknown };
  if (typeof username !== 'string' || username === '' || username.length > 256)
    throw new InvalidArgumentError('auth.username must be a non-empty string of at most 256 characters', {
      details: { field: 'auth.username' },
    });
  if (typeof password !== 'string' || password.length > 1024)
    throw new InvalidArgumentError('auth.password must be a string of at most 1024 characters', {
      details: { field: 'auth.password' },
    });
  return { username, password };
}
