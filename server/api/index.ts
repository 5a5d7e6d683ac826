/**
 * The client port (2379): etcd's v3 gRPC API (HTTP/2 connections), the Concord WebSocket protocol
 * on `/ws`, the etcd-compatible JSON gateway on `POST /v3/...`, and `/health`, `/metrics`,
 * `/version`, all on every listen URL.
 *
 *   await using api = await startClientApi({ listenUrls: ['http://127.0.0.1:0'], backend, logger, metrics });
 *   api.urls; // ['http://127.0.0.1:41234']
 *
 * `close()` stops accepting, sends each WebSocket client a `going_away` notice, ends every stream
 * with UNAVAILABLE, lets in-flight requests finish (closeGraceMs), closes sockets with 1001, and
 * ends the gateway's streams. It is idempotent.
 */
import { noopLogger, type Logger } from '../platform/logger.js';
import { ApiMetrics } from './api-metrics.js';
import type { ClientBackend } from './backend.js';
import {
  BrowserAccess,
  BrowserAccessConfigError,
  resolveBrowserAccess,
  type BrowserAccessOptions,
} from './browser-access.js';
import { ClientGateway } from './client-gateway.js';
import { AuthorityShim } from './h2-authority-shim.js';
import { routeByFirstRequest } from './h2-first-request.js';
import { gatewayErrorReply, HttpGateway } from './http-gateway.js';
import { LazyGrpcDoor } from './lazy-grpc-door.js';
import { ClientHttpServer, type ClientHttpOptions } from './http-server.js';
import { MetricsRegistry } from './metrics.js';
import { InvalidConfigError, resolveApiLimits, type ApiLimits } from './options.js';
import { packageVersion, versionReply } from './version.js';

export type {
  ClientBackend,
  WatchSink,
  WatchHandle,
  BackendSnapshot,
  BackendHealth,
  CallOptions,
} from './backend.js';
export { NotLeaderError } from './backend.js';
export { API_DEFAULTS, InvalidConfigError, resolveApiLimits } from './options.js';
export {
  BROWSER_ACCESS_DEFAULTS,
  resolveBrowserAccess,
  type BrowserAccessOptions,
} from './browser-access.js';
export type { ApiLimits, ApiServerLimits } from './options.js';
export { MetricsRegistry } from './metrics.js';
export { toErrorBody } from './errors.js';
export {
  ETCD_API_VERSION,
  ETCD_CLUSTER_VERSION,
  packageVersion,
  versionInfo,
  type VersionInfo,
} from './version.js';

export interface ClientApiOptions {
  /** `http://host:port` or `https://host:port` (port 0: any free port). */
  readonly listenUrls: readonly string[];
  /** Required for https URLs. */
  readonly tls?: ClientHttpOptions['tls'];
  readonly backend: ClientBackend;
  /** Overrides of the defaults (client/protocol DEFAULT_LIMITS and API_DEFAULTS). */
  readonly limits?: Partial<ApiLimits>;
  readonly logger?: Logger;
  /** The registry /metrics renders; a fresh one if absent. */
  readonly metrics?: MetricsRegistry;
  /** Reported in welcome and /version; default: this package's version. */
  readonly serverVersion?: string;
  /** The web console at /ui offers put and delete (console-assets.ts). Default false. */
  readonly consoleWrites?: boolean;
  /** The members' client URLs now: the only hosts the console page may open WebSockets to. */
  readonly consoleConnectTo?: () => readonly string[];
  /**
   * Browser page origins allowed besides the cluster's own client URLs and the same origin
   * (etcd's `--cors`; `*`: every origin). Default none (docs/security.md).
   */
  readonly cors?: readonly string[];
  /** Host names accepted in the Host header of cleartext requests (etcd's `--host-whitelist`). Default `*`. */
  readonly hostWhitelist?: readonly string[];
}

export interface ClientApi {
  /** The bound URLs (a port 0 replaced by the real port), one per listen URL. */
  readonly urls: readonly string[];
  readonly limits: ApiLimits;
  /** New TLS material (a reloaded CRL) for the connections that come next. */
  setTls(tls: NonNullable<ClientApiOptions['tls']>): void;
  /**
   * Loads the gRPC door and the gateway's lock and election handlers in the background (they are
   * not loaded at start: lazy-grpc-door.ts). A member calls it once its boot is done, so the
   * modules' evaluation neither delays the boot nor stalls a first gRPC request.
   */
  warmUp(): void;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startClientApi(options: ClientApiOptions): Promise<ClientApi> {
  if (options.listenUrls.length === 0)
    throw new InvalidConfigError('listenUrls', 'at least one URL is required');
  for (const raw of options.listenUrls) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new InvalidConfigError('listenUrls', `${raw} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new InvalidConfigError('listenUrls', `${raw}: the scheme must be http or https`);
    }
    if (url.protocol === 'https:' && options.tls === undefined) {
      throw new InvalidConfigError('tls', `${raw} needs TLS options (cert and key)`);
    }
  }
  const limits = resolveApiLimits(options.limits);
  let browserOptions: BrowserAccessOptions;
  try {
    browserOptions = resolveBrowserAccess({
      ...(options.cors === undefined ? {} : { corsOrigins: options.cors }),
      ...(options.hostWhitelist === undefined ? {} : { hostWhitelist: options.hostWhitelist }),
    });
  } catch (err) {
    if (!(err instanceof BrowserAccessConfigError)) throw err;
    throw new InvalidConfigError(err.field === 'corsOrigins' ? 'cors' : 'hostWhitelist', err.message);
  }
  // The port's own URLs are known once it listens; the members' come from the membership.
  let boundUrls: readonly string[] = [];
  const access = new BrowserAccess(browserOptions, () => [
    ...boundUrls,
    ...(options.consoleConnectTo?.() ?? []),
  ]);
  const logger = options.logger ?? noopLogger;
  const registry = options.metrics ?? new MetricsRegistry();
  const serverVersion = options.serverVersion ?? packageVersion();
  const backend = options.backend;

  let wsGateway: ClientGateway | undefined;
  let httpGateway: HttpGateway | undefined;
  let grpcDoor: LazyGrpcDoor | undefined;
  const metrics = new ApiMetrics(registry, () => {
    const ws = wsGateway?.streamCounts() ?? { watchers: 0, keepAlives: 0 };
    const grpc = grpcDoor?.streamCounts() ?? { watchers: 0, keepAlives: 0 };
    return {
      watchers: ws.watchers + grpc.watchers + (httpGateway?.openStreams ?? 0),
      keepAlives: ws.keepAlives + grpc.keepAlives,
    };
  });
  backend.registerMetrics?.(registry);
  wsGateway = new ClientGateway({ backend, limits, logger, metrics, serverVersion });
  httpGateway = new HttpGateway({ backend, limits, logger, metrics, registry, serverVersion });
  // Loaded with the first HTTP/2 connection (lazy-grpc-door.ts), not on the boot's critical path.
  grpcDoor = new LazyGrpcDoor(async () => {
    const [{ GrpcDoor }, { LeaseForwarder }] = await Promise.all([
      import('./grpc/door.js'),
      import('./grpc/lease-forward.js'),
    ]);
    return new GrpcDoor({ backend, limits, logger, metrics, forwarder: new LeaseForwarder(options.tls) });
  }, logger);
  const ws = wsGateway;
  const http = httpGateway;
  const grpc = grpcDoor;
  const server = new ClientHttpServer(
    {
      listenUrls: options.listenUrls,
      maxBodyBytes: limits.maxFrameBytes,
      errorReply: gatewayErrorReply,
      consoleWrites: options.consoleWrites === true,
      access,
      ...(options.consoleConnectTo === undefined ? {} : { consoleConnectTo: options.consoleConnectTo }),
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      onTlsClientError: (info) => logger.warn('client TLS handshake failed', info),
    },
    {
      health: () => http.health(),
      metrics: () => http.metrics(),
      version: () => versionReply(serverVersion),
      gateway: (path, body, req, res) => http.handle(path, body, req, res),
      upgrade: (req, socket, head) => ws.upgrade(req, socket, head),
      // etcdctl 3.4 sends `:authority` with a scheme, which node:http2 refuses: a connection
      // whose first request does goes through the authority shim (h2-first-request.ts).
      http2: (socket) =>
        routeByFirstRequest(socket, {
          native: (s) => grpc.inject(s),
          shim: (s) => grpc.inject(new AuthorityShim(s, { onMalformed: () => metrics.malformedHttp2() })),
        }),
    },
  );
  let urls: string[];
  try {
    urls = await server.start();
    boundUrls = urls;
  } catch (err) {
    await server.close();
    await ws.close();
    await grpc.close(0);
    throw err;
  }
  logger.info('client API listening', { urls });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      server.stopListening();
      http.close();
      await Promise.all([ws.close(), grpc.close(limits.closeGraceMs)]);
      await server.close();
      logger.info('client API closed', { urls });
    })();
    return closing;
  };
  const setTls = (tls: NonNullable<ClientApiOptions['tls']>): void => server.setSecureContext(tls);
  const warmUp = (): void => {
    grpc.preload();
    http.preload();
  };
  return { urls, limits, setTls, warmUp, close, [Symbol.asyncDispose]: close };
}
