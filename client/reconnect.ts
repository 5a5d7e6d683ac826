/**
 * Where to connect and how: the endpoint pool (round robin, with a preferred endpoint, e.g. the
 * leader named by a NOT_LEADER answer, tried first) and one connection attempt (socket, hello,
 * welcome, cluster check), the retry loop over attempts (`Dialer`: rounds over the pool, exponential
 * backoff with jitter on the injected clock; the client core keeps it single-flight), and
 * `describeConnectFailure`, which turns what the socket or TLS layer threw into one readable line.
 */
import { Connection, type ConnectionEvents } from './connection.js';
import { ClientError, InvalidArgumentError, UnavailableError, type ConnectFailure } from './errors.js';
import { normalizeEndpoint, type Credentials, type ResolvedOptions } from './options.js';
import type { ClientStatus } from './status.js';
import type { ClientTransport } from './transport.js';
import { backoffDelayMs, delay } from './util.js';
import { ConnectionAuth } from './token-renewal.js';

export class EndpointPool {
  private readonly endpoints: string[];
  private cursor = 0;
  private preferred: string | undefined;
  private avoided: string | undefined;

  constructor(endpoints: readonly string[]) {
    this.endpoints = [...endpoints];
  }

  get size(): number {
    return this.endpoints.length;
  }

  list(): readonly string[] {
    return this.endpoints;
  }

  /** The endpoint for the next attempt: the preferred one, else the next in turn (not the avoided one). */
  next(): string {
    if (this.preferred !== undefined) return this.preferred;
    for (let i = 0; i < this.endpoints.length; i++) {
      const candidate = this.endpoints[this.cursor % this.endpoints.length] as string;
      this.cursor = (this.cursor + 1) % this.endpoints.length;
      if (candidate !== this.avoided || this.endpoints.length === 1) {
        this.avoided = undefined;
        return candidate;
      }
    }
    return this.endpoints[0] as string;
  }

  /** Try `url` first from now on (added to the pool if unknown). Returns the normalized URL. */
  prefer(url: string): string {
    const normalized = normalizeEndpoint(url);
    if (!this.endpoints.includes(normalized)) this.endpoints.push(normalized);
    this.preferred = normalized;
    return normalized;
  }

  /** Adds `endpoint` (normalized; a leader the client moved to) to the round robin if unknown. */
  learn(endpoint: string): void {
    if (!this.endpoints.includes(endpoint)) this.endpoints.push(endpoint);
  }

  /** The preferred endpoint failed: go back to round robin. */
  failed(url: string): void {
    if (this.preferred === url) this.preferred = undefined;
  }

  /** Skip `url` on the next pick (a member going away). */
  avoid(url: string): void {
    if (this.preferred === url) this.preferred = undefined;
    this.avoided = url;
  }
}

export interface DialContext {
  readonly options: ResolvedOptions;
  readonly transport: ClientTransport;
  readonly pool: EndpointPool;
  readonly events: ConnectionEvents;
  readonly status: (status: ClientStatus) => void;
}

/** Errors after which dialling again cannot help. */
function isFatalDialError(error: unknown): boolean {
  return (
    error instanceof ClientError &&
    (error.code === 'UNAUTHENTICATED' ||
      error.code === 'AUTH_FAILED' ||
      error.code === 'UNSUPPORTED_VERSION' ||
      error.code === 'PERMISSION_DENIED' ||
      error instanceof InvalidArgumentError)
  );
}

/** Certificate verification reasons (Node's X509 error codes) and TLS alerts. */
const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|SELF_SIGNED_|DEPTH_ZERO_SELF_SIGNED_CERT$|HOSTNAME_MISMATCH$|INVALID_CA$|INVALID_PURPOSE$|PATH_LENGTH_EXCEEDED$|ERROR_IN_CERT_)/;

function errorCode(error: Error): string | undefined {
  if (error instanceof ClientError) return error.code;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function describeConnectFailure(endpoint: string, error: Error): ConnectFailure {
  const code = errorCode(error);
  const tls = code !== undefined && TLS_CODE.test(code);
  // OpenSSL's messages carry "error:0A00045C:SSL routines:<function>:<reason>:<file>:<line>".
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(error.message)?.[1];
  const text = (openssl ?? error.message).trim();
  // Node's codes say what the text often does not; the SDK's own errors say it in their text.
  const withCode =
    code === undefined || error instanceof ClientError || text.includes(code) ? text : `${text} (${code})`;
  let reason = tls ? `TLS handshake failed: ${withCode}` : withCode;
  if (!tls && code === 'ECONNRESET' && endpoint.startsWith('wss:')) {
    reason += '; a wss:// member closes the connection like this when it refuses the client certificate';
  }
  return { endpoint, code, tls, reason, error };
}

/** One attempt: open the socket, hello, welcome, check the cluster id. */
export async function connectOnce(
  ctx: DialContext,
  endpoint: string,
  attempt: number,
  signal: AbortSignal,
): Promise<Connection> {
  const { options } = ctx;
  ctx.status({ type: 'connecting', endpoint, attempt });
  const timeout = new AbortController();
  const timer = options.clock.setTimeout(
    () =>
      timeout.abort(
        new UnavailableError(`no answer within connectTimeoutMs (${options.connectTimeoutMs} ms)`),
      ),
    options.connectTimeoutMs,
  );
  const attemptSignal = AbortSignal.any([signal, timeout.signal]);
  try {
    const socket = await ctx.transport.connect(endpoint, {
      subprotocols: Connection.subprotocols(),
      signal: attemptSignal,
    });
    const conn = await Connection.handshake(
      endpoint,
      socket,
      { clientName: options.clientName, authToken: options.authToken },
      ctx.events,
      attemptSignal,
    );
    if (options.credentials !== undefined)
      conn.auth = await ConnectionAuth.open(conn, options.credentials, ctx, attemptSignal);
    const clusterId = conn.welcome?.header.clusterId;
    if (options.expectedClusterId !== undefined && clusterId !== options.expectedClusterId) {
      conn.close(1000, 'wrong cluster');
      throw new InvalidArgumentError(
        `${endpoint} belongs to cluster ${String(clusterId)}, expected ${options.expectedClusterId}`,
        {
          details: { field: 'expectedClusterId' },
        },
      );
    }
    return conn;
  } catch (e) {
    ctx.pool.failed(endpoint);
    const error = e instanceof Error ? e : new Error(String(e));
    ctx.status({ type: 'connectFailed', endpoint, error });
    if (signal.aborted) throw signal.reason;
    if (isFatalDialError(error)) throw error;
    throw error instanceof ClientError
      ? error
      : new UnavailableError(
          `cannot connect to ${endpoint}: ${describeConnectFailure(endpoint, error).reason}`,
          {
            cause: error,
          },
        );
  } finally {
    options.clock.clearTimeout(timer);
  }
}

/** The dial loop stopped because nobody needed a connection any more (see Dialer). */
export class DialAbandoned extends UnavailableError {
  override name = 'DialAbandoned';
  constructor() {
    super('connecting stopped: nothing needs a connection');
  }
}

/**
 * The single-flight dial loop: attempts until one connects, `signal` aborts, or a fatal error
 * (authentication, version, wrong cluster). Attempts go in rounds: each round tries every endpoint
 * of the pool once without delay, and rounds after the first wait an exponential backoff with
 * jitter. `priorFailures` counts connections that were lost right after opening (a member accepting
 * and then dropping us): then every attempt backs off, so a flapping member cannot drive a tight
 * reconnect loop. It stops after a failed round once nothing needs a connection (no caller waits,
 * no watch or keep-alive is open). `hurry()` (a caller started waiting for a connection) cuts the current wait short
 * and starts the backoff over, so a caller never waits out a long delay earned before it came.
 */
export class Dialer {
  private wake: AbortController | undefined;
  private restart = false;
  /** The round of the loop running now (1 when none runs). */
  private round = 1;

  /** `wanted()`: someone still needs a connection (checked before each new round). */
  constructor(
    private readonly ctx: DialContext,
    private readonly wanted: () => boolean,
  ) {}

  hurry(): void {
    // In the first round nothing has been waited yet: nothing to cut short or start over.
    if (this.wake === undefined && this.round <= 1) return;
    this.restart = true;
    this.wake?.abort();
  }

  async run(signal: AbortSignal, priorFailures = 0): Promise<Connection> {
    try {
      return await this.loop(signal, priorFailures);
    } finally {
      this.round = 1;
      this.restart = false;
    }
  }

  private async loop(signal: AbortSignal, priorFailures: number): Promise<Connection> {
    const { options, pool } = this.ctx;
    this.round = 1;
    let triedThisRound = 0;
    let flaps = priorFailures;
    this.restart = false;
    const restartIfHurried = (): void => {
      if (!this.restart) return;
      // A caller is waiting: back off from the start again (the flapping penalty included: the
      // caller's own budget bounds how long that goes on).
      this.restart = false;
      this.round = 1;
      triedThisRound = 0;
      flaps = 0;
    };
    for (let attempt = 1; ; attempt++) {
      restartIfHurried();
      if (triedThisRound >= pool.size) {
        // Nobody waits and no stream needs a connection: stop, rather than keep timers and
        // sockets going (and the process alive) for nothing. The next caller dials again.
        if (!this.wanted()) throw new DialAbandoned();
        this.round++;
        triedThisRound = 0;
      }
      const backoffRound = flaps > 0 ? flaps + attempt - 1 : triedThisRound === 0 ? this.round - 1 : 0;
      if (backoffRound > 0) {
        await this.sleep(
          backoffDelayMs(backoffRound, options.initialDelayMs, options.maxDelayMs, options.random),
          signal,
        );
        restartIfHurried();
      }
      try {
        return await connectOnce(this.ctx, pool.next(), attempt, signal);
      } catch (e) {
        if (signal.aborted) throw signal.reason;
        if (isFatalDialError(e)) throw e;
        triedThisRound++;
      }
    }
  }

  /** Waits `ms`; returns early if hurried; throws `signal.reason` if it aborts. */
  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    const wake = new AbortController();
    this.wake = wake;
    try {
      await delay(this.ctx.options.clock, ms, AbortSignal.any([signal, wake.signal]));
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      if (!wake.signal.aborted) throw e;
    } finally {
      if (this.wake === wake) this.wake = undefined;
    }
  }
}
