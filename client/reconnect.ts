/**
 * Where to connect and how: the endpoint pool (round robin, with a preferred endpoint, e.g. the
 * leader named by a NOT_LEADER answer, tried first) and one connection attempt (socket, hello,
 * welcome, cluster check). The retry loop over attempts (p-retry, exponential backoff with jitter
 * on the injected clock) is `dialLoop`; the client core keeps it single-flight.
 */
import pRetry, { AbortError } from 'p-retry';
import { Connection, type ConnectionEvents } from './connection.js';
import { ClientError, InvalidArgumentError, UnavailableError } from './errors.js';
import { normalizeEndpoint, type ResolvedOptions } from './options.js';
import type { ClientStatus } from './status.js';
import type { ClientTransport } from './transport.js';
import { backoffDelayMs, delay } from './util.js';

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
      error.code === 'UNSUPPORTED_VERSION' ||
      error.code === 'PERMISSION_DENIED' ||
      error instanceof InvalidArgumentError)
  );
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
        new UnavailableError(`connecting to ${endpoint} took longer than ${options.connectTimeoutMs} ms`),
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
      : new UnavailableError(`cannot connect to ${endpoint}: ${error.message}`, { cause: error });
  } finally {
    options.clock.clearTimeout(timer);
  }
}

/**
 * Attempts until one connects, `signal` aborts, or a fatal error (authentication, version, wrong
 * cluster). Each endpoint of the pool is tried once without delay; after that, attempts are spaced
 * by exponential backoff with jitter. `priorFailures` counts connections that were lost right
 * after opening (a member accepting and then dropping us): then every attempt backs off, so a
 * flapping member cannot drive a tight reconnect loop.
 */
export function dialLoop(ctx: DialContext, signal: AbortSignal, priorFailures = 0): Promise<Connection> {
  const { options } = ctx;
  return pRetry(
    async (attempt) => {
      // priorFailures > 0: connections keep dying right after they open; back off from the start.
      const round = priorFailures > 0 ? priorFailures + attempt - 1 : attempt - ctx.pool.size;
      if (round > 0)
        await delay(
          options.clock,
          backoffDelayMs(round, options.initialDelayMs, options.maxDelayMs, options.random),
          signal,
        );
      try {
        return await connectOnce(ctx, ctx.pool.next(), attempt, signal);
      } catch (e) {
        if (signal.aborted || isFatalDialError(e))
          throw new AbortError(e instanceof Error ? e : new Error(String(e)));
        throw e;
      }
    },
    { retries: Number.POSITIVE_INFINITY, minTimeout: 0, factor: 1, signal },
  );
}
