/**
 * The etcd-compatible HTTP JSON gateway on the client port (docs/protocol.md §12): `POST /v3/...`
 * with etcd's request bodies (proto3 JSON: lowerCamelCase or proto names, base64 bytes, 64-bit
 * numbers as strings) answered with etcd's response bodies (proto names, defaults omitted) or
 * etcd's gateway error shape. Streams (`/v3/watch`, `/v3/lease/keepalive`,
 * `/v3/maintenance/snapshot`) answer with newline-delimited `{"result": ...}` objects; the watch
 * stream is gateway-watch.ts.
 *
 * Also the operational endpoints /health (etcd's shape) and /metrics (/version: version.ts).
 */
import { etcdAnswer } from './etcd-answer.js';
import { certUserOf, certUserOption } from './cert-user.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  codecs,
  decodeMessage,
  ErrorCode,
  gatewayError,
  gatewayRoute,
  gatewayStreamError,
  gatewayStreamResult,
  methodSpec,
  ProtocolError,
  requestSizeBytes,
  type Codec,
  type ErrorBody,
  type Method,
} from '../../client/protocol/index.js';
import type { Logger } from '../platform/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { callUnary, isUnary, type UnaryCall } from './dispatch.js';
import { etcdMessage, toErrorBody } from './errors.js';
import type * as GatewayConcurrency from './gateway-concurrency.js';
import { GatewayWatchStream, watchRequestsOf } from './gateway-watch.js';
import type { HttpReply } from './http-server.js';
import { parseJsonSequence } from './json-sequence.js';
import type { MetricsRegistry } from './metrics.js';
import type { ApiLimits } from './options.js';
import { rechunk } from './rechunk.js';

export interface HttpGatewayContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  readonly registry: MetricsRegistry;
  readonly serverVersion: string;
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/**
 * Where etcd's lock and election services live on the gateway (concurrency/services.ts; a test
 * checks that every one of their paths is under these). Only a request there loads them: their
 * modules read the protobuf descriptors, which a boot need not wait for (lazy-grpc-door.ts).
 */
export const CONCURRENCY_PREFIXES: readonly string[] = ['/v3/lock/', '/v3/election/'];
let gatewayConcurrency: Promise<typeof GatewayConcurrency> | undefined;

function loadGatewayConcurrency(): Promise<typeof GatewayConcurrency> {
  gatewayConcurrency ??= import('./gateway-concurrency.js').catch((err: unknown) => {
    gatewayConcurrency = undefined;
    throw err;
  });
  return gatewayConcurrency;
}

/** The gateway's error reply for a body: etcd's texts on top, Concord's code and message in details. */
export function gatewayErrorReply(body: ErrorBody): HttpReply {
  const { httpStatus, json } = gatewayError(body);
  const text = etcdMessage(body);
  return {
    status: httpStatus,
    headers: JSON_HEADERS,
    body: JSON.stringify({ ...json, error: text, message: text }),
  };
}

function send(res: ServerResponse, reply: HttpReply): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(reply.status, { ...JSON_HEADERS, ...reply.headers });
  res.end(reply.body);
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProtocolError(ErrorCode.InvalidArgument, 'request body is not valid JSON', { cause });
  }
}

export class HttpGateway {
  private readonly streams = new Set<{ close(reason: string): void }>();
  private closing = false;

  constructor(private readonly ctx: HttpGatewayContext) {}

  get openStreams(): number {
    return this.streams.size;
  }

  health(): HttpReply {
    const h = this.ctx.backend.health();
    let reason = '';
    if (h.ready === false) reason = 'NOT READY';
    else if (h.leaderId === 0) reason = 'RAFT NO LEADER';
    else if (h.alarms.length > 0) reason = `ALARM ${h.alarms.map((a) => a.toUpperCase()).join(',')}`;
    return reason === ''
      ? { status: 200, headers: JSON_HEADERS, body: JSON.stringify({ health: 'true' }) }
      : { status: 503, headers: JSON_HEADERS, body: JSON.stringify({ health: 'false', reason }) };
  }

  metrics(): HttpReply {
    return {
      status: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: this.ctx.registry.render(),
    };
  }

  /** Starts loading the lock and election handlers now (see CONCURRENCY_PREFIXES). */
  preload(): void {
    loadGatewayConcurrency().catch((err: unknown) =>
      this.ctx.logger.warn('gateway: the lock and election handlers could not be loaded', { error: err }),
    );
  }

  /** Serves one `POST /v3/...`; never throws (failures become error replies). */
  async handle(path: string, body: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (CONCURRENCY_PREFIXES.some((prefix) => path.startsWith(prefix))) {
      let concurrency: typeof GatewayConcurrency;
      try {
        concurrency = await loadGatewayConcurrency();
      } catch (err) {
        send(
          res,
          gatewayErrorReply(
            toErrorBody(err, (e) => this.ctx.logger.error('gateway: load failed', { error: e })),
          ),
        );
        return;
      }
      if (concurrency.isConcurrencyPath(path)) {
        await this.concurrency(concurrency, path, body, res);
        return;
      }
    }
    const route = gatewayRoute(path);
    if (route === undefined) {
      send(res, {
        status: 404,
        headers: JSON_HEADERS,
        body: JSON.stringify({ error: 'Not Found', code: 5, message: 'Not Found' }),
      });
      return;
    }
    const method: Method = route.kind === 'watch' ? 'watch.create' : route.method;
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new ProtocolError(ErrorCode.Unavailable, 'client went away'));
    };
    res.on('close', onClose);
    // etcd's gateway takes the token from the Authorization header (the raw token, as etcd's).
    const header = req.headers.authorization;
    const token = typeof header === 'string' && header !== '' ? header : undefined;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    const certUser = certUserOption(certUserOf(req.socket));
    const options: CallOptions =
      token === undefined
        ? { signal: abort.signal, peer, ...certUser }
        : { signal: abort.signal, token, peer, ...certUser };
    try {
      if (this.closing) throw new ProtocolError(ErrorCode.Unavailable, 'the member is shutting down');
      if (route.kind === 'watch') {
        await this.watch(body, res, abort.signal, token, certUser.certUser);
        return;
      }
      const json = parseBody(body);
      const params = this.decode(methodSpec(method).params, json);
      if (method === 'lease.keepAlive') {
        await this.keepAlive((params as { id: number }).id, res, options);
      } else if (method === 'maintenance.snapshot') {
        await this.snapshot(res, options);
      } else if (isUnary(method)) {
        const result = await callUnary(this.ctx.backend, { method, params } as UnaryCall, options);
        const codec = methodSpec(method).result as Codec<unknown, unknown>;
        const text = JSON.stringify(codec.toWire(etcdAnswer(method, result)));
        this.ctx.metrics.observe('http', method, 'OK');
        send(res, { status: 200, body: text });
      } else {
        throw new ProtocolError(ErrorCode.Unimplemented, `${path} is not served`);
      }
    } catch (err) {
      const error = toErrorBody(err, (e) =>
        this.ctx.logger.error('gateway request failed unexpectedly', { path, error: e }),
      );
      this.ctx.metrics.observe('http', method, error.code);
      if (res.headersSent) res.end();
      else send(res, gatewayErrorReply(error));
    } finally {
      res.off('close', onClose);
    }
  }

  /** `/v3/lock/*` and `/v3/election/*` (gateway-concurrency.ts), with the replies of every path. */
  private async concurrency(
    { OBSERVE_GATEWAY_PATH, serveConcurrencyUnary, serveObserveLines }: typeof GatewayConcurrency,
    path: string,
    body: string,
    res: ServerResponse,
  ): Promise<void> {
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort(new ProtocolError(ErrorCode.Unavailable, 'client went away'));
    };
    res.on('close', onClose);
    const stream = {
      close: () => abort.abort(new ProtocolError(ErrorCode.Unavailable, 'the member is shutting down')),
    };
    try {
      if (this.closing) throw new ProtocolError(ErrorCode.Unavailable, 'the member is shutting down');
      if (path === OBSERVE_GATEWAY_PATH) {
        await serveObserveLines(
          this.ctx,
          body,
          res,
          () => {
            this.startStream(res);
            // Nobody may lead yet: the client learns the stream is open before the first line.
            res.flushHeaders();
            this.streams.add(stream);
          },
          abort.signal,
        );
      } else {
        send(res, { status: 200, body: await serveConcurrencyUnary(this.ctx, path, body, abort.signal) });
      }
      this.ctx.metrics.observe('http', path, 'OK');
    } catch (err) {
      const error = toErrorBody(err, (e) =>
        this.ctx.logger.error('gateway request failed unexpectedly', { path, error: e }),
      );
      this.ctx.metrics.observe('http', path, error.code);
      if (!res.headersSent) send(res, gatewayErrorReply(error));
      else if (!res.writableEnded) res.end(abort.signal.aborted ? undefined : gatewayStreamError(error));
    } finally {
      this.streams.delete(stream);
      res.off('close', onClose);
      if (res.headersSent && !res.writableEnded) res.end();
    }
  }

  /** Ends every open stream (member shutting down). */
  close(): void {
    this.closing = true;
    for (const s of [...this.streams]) s.close('member shutting down');
  }

  private decode<D>(codec: Codec<D, unknown>, json: unknown): D {
    const params = decodeMessage(codec, json, { limits: this.ctx.limits });
    if (params instanceof ProtocolError) throw params;
    const size = requestSizeBytes(params);
    if (size > this.ctx.limits.maxRequestBytes) {
      throw new ProtocolError(
        ErrorCode.RequestTooLarge,
        `request is ${size} bytes, more than ${this.ctx.limits.maxRequestBytes}`,
        {
          details: { limit: this.ctx.limits.maxRequestBytes },
        },
      );
    }
    return params;
  }

  private checkStreamLimit(): void {
    if (this.streams.size >= this.ctx.limits.maxGatewayStreams) {
      throw new ProtocolError(
        ErrorCode.TooManyStreams,
        `the gateway has its maximum of ${this.ctx.limits.maxGatewayStreams} streams`,
        {
          details: { limit: this.ctx.limits.maxGatewayStreams },
        },
      );
    }
  }

  private startStream(res: ServerResponse): void {
    this.checkStreamLimit();
    res.writeHead(200, { ...JSON_HEADERS, 'cache-control': 'no-cache' });
  }

  private async keepAlive(id: number, res: ServerResponse, options: CallOptions): Promise<void> {
    let result;
    try {
      result = await this.ctx.backend.leaseKeepAlive(id, options);
    } catch (err) {
      // etcd answers a keep-alive of an unknown lease with TTL 0, not an error.
      if (toErrorBody(err).code !== ErrorCode.LeaseNotFound) throw err;
      result = { header: this.ctx.backend.header(), id, ttlSec: 0 };
    }
    this.ctx.metrics.observe('http', 'lease.keepAlive', 'OK');
    send(res, { status: 200, body: gatewayStreamResult(codecs.LEASE_KEEP_ALIVE_RESPONSE.toWire(result)) });
  }

  private async snapshot(res: ServerResponse, options: CallOptions): Promise<void> {
    const signal = options.signal as AbortSignal;
    const snap = await this.ctx.backend.snapshot(options);
    this.startStream(res);
    const chunkBytes = this.ctx.limits.snapshotChunkBytes;
    let remaining = snap.sizeBytes;
    const stream = { close: () => res.end() };
    this.streams.add(stream);
    try {
      for await (const blob of rechunk(snap.chunks, chunkBytes)) {
        if (signal.aborted || res.writableEnded) return;
        remaining -= blob.length;
        const line = gatewayStreamResult(
          codecs.SNAPSHOT_RESPONSE.toWire({
            header: snap.header,
            remainingBytes: remaining,
            blob,
            version: snap.version,
          }),
        );
        if (!res.write(line))
          await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      }
      this.ctx.metrics.observe('http', 'maintenance.snapshot', 'OK');
      res.end();
    } finally {
      this.streams.delete(stream);
    }
  }

  /**
   * `/v3/watch`: the body's WatchRequests, served by a GatewayWatchStream. Refused with an error
   * reply (no stream) only when its first request cannot be read or the gateway has no stream left;
   * a later request that cannot be read ends the requests served, as etcd's gateway stops reading.
   */
  private async watch(
    body: string,
    res: ServerResponse,
    signal: AbortSignal,
    token?: string,
    certUser?: string,
  ): Promise<void> {
    const sequence = parseJsonSequence(body);
    const { requests, error } = watchRequestsOf(sequence.values, (value) =>
      decodeMessage(codecs.WATCH_REQUEST, value, { limits: this.ctx.limits }),
    );
    const unreadable =
      error ??
      (sequence.error === undefined
        ? undefined
        : new ProtocolError(ErrorCode.InvalidArgument, sequence.error));
    if (unreadable !== undefined) {
      if (requests.length === 0) throw unreadable;
      this.ctx.logger.debug('gateway watch: requests after an unreadable one are ignored', {
        served: requests.length,
        error: unreadable.message,
      });
    }
    this.checkStreamLimit();
    const stream = new GatewayWatchStream(this.ctx, res, signal, token, certUser);
    const entry = { close: (reason: string) => stream.close(reason) };
    this.streams.add(entry);
    try {
      await stream.run(requests);
    } finally {
      this.streams.delete(entry);
    }
  }
}
