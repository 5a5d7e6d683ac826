/**
 * The client port's HTTP server: one listener per listen URL (a TCP server, or a TLS server for
 * https URLs), routing each connection by the protocol it speaks (listener-routing.ts):
 *
 *   HTTP/2 (cleartext prior knowledge, or ALPN h2 under TLS)   etcd's gRPC API (injected handler)
 *   HTTP/1.1, then by request:
 *     GET  /health, /metrics, /version     operational endpoints
 *     GET  /ui, /ui/<file>                 the web console's static files (console-assets.ts)
 *     POST /v3/...                          the etcd-compatible JSON gateway (injected handler)
 *     GET  (Upgrade: websocket)             the Concord WebSocket protocol (injected handler)
 *
 *   OPTIONS (any path)                    a CORS preflight: 200, with CORS headers for an allowed origin
 *
 * Every request and upgrade passes the browser access check first (browser-access.ts: `--cors`,
 * `--host-whitelist`): a refused one never reaches a route or a door. Bodies are read with a byte
 * limit; malformed requests get a JSON error and never reach the handlers. Nothing a client sends
 * can throw out of this module.
 */
import {
  createServer as createHttpServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  createServer as createTlsServer,
  Server as TlsServer,
  type SecureContextOptions,
  type TLSSocket,
} from 'node:tls';
import { ErrorCode, type ErrorBody } from '../../client/protocol/index.js';
import type { BrowserAccess } from './browser-access.js';
import { refuseUpgrade } from './client-gateway.js';
import { consoleAsset } from './console-assets.js';
import { routeByPreface } from './listener-routing.js';

export interface HttpReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface ClientHttpHandlers {
  health(): HttpReply;
  metrics(): HttpReply;
  version(): HttpReply;
  /** The JSON gateway: `body` is the raw request text (already within the size limit). */
  gateway(path: string, body: string, req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** A WebSocket upgrade request on any path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * A connection speaking HTTP/2 (etcd's gRPC API), TLS already terminated, its first bytes still
   * to be read. Without it, every connection is served as HTTP/1.1 (and h2 is not offered by ALPN).
   */
  http2?(socket: Duplex): void;
}

export interface ClientHttpOptions {
  readonly listenUrls: readonly string[];
  /** Largest request body read (the gateway's maxFrameBytes); a larger one gets REQUEST_TOO_LARGE. */
  readonly maxBodyBytes: number;
  /** The body of an error reply (the gateway's error shape). */
  readonly errorReply: (error: ErrorBody) => HttpReply;
  /** The web console offers put and delete (console-assets.ts). */
  readonly consoleWrites?: boolean;
  /** The members' client URLs now, for the console's Content-Security-Policy. */
  readonly consoleConnectTo?: () => readonly string[];
  /** Which browser pages may use the port (`--cors`, `--host-whitelist`); absent: no check. */
  readonly access?: BrowserAccess;
  readonly tls?: SecureContextOptions & {
    readonly requestCert?: boolean;
    readonly rejectUnauthorized?: boolean;
  };
  /**
   * A TLS handshake failed (a revoked or untrusted client certificate, no shared cipher, …):
   * `reason` is OpenSSL's verdict on the certificate when there is one (CERT_REVOKED, …).
   */
  readonly onTlsClientError?: (info: {
    readonly remote: string | undefined;
    readonly reason: string;
  }) => void;
}

export class ClientHttpServer {
  private readonly servers: Server[] = [];
  private readonly listeners: NetServer[] = [];
  private readonly sockets = new Set<Duplex>();
  private closedListening: Promise<void> | undefined;

  constructor(
    private readonly options: ClientHttpOptions,
    private readonly handlers: ClientHttpHandlers,
  ) {}

  /** Listens on every URL; resolves with the bound URLs (port 0 becomes the real port). */
  async start(): Promise<string[]> {
    const bound: string[] = [];
    for (const raw of this.options.listenUrls) {
      const url = new URL(raw);
      const secure = url.protocol === 'https:';
      if (secure && this.options.tls === undefined)
        throw new Error(`api: ${raw} needs --cert-file and --key-file`);
      const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
        this.handle(req, res).catch(() =>
          reply(
            res,
            this.options.errorReply({ code: ErrorCode.Internal, message: 'internal error', details: {} }),
          ),
        );
      };
      // node:http parses HTTP/1.1 on whatever connection it is handed; the listener below owns
      // the port, terminates TLS and hands it only the connections that do not speak HTTP/2.
      const server: Server = createHttpServer(onRequest);
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        try {
          // A page on any origin may open a WebSocket (no CORS applies): the origin is checked here.
          const verdict = this.options.access?.check(req, true);
          if (verdict !== undefined && !verdict.allowed) {
            const r = this.options.errorReply(verdict.error);
            refuseUpgrade(
              socket,
              verdict.status,
              STATUS_CODES[verdict.status] ?? '',
              r.body,
              'application/json',
            );
            return;
          }
          this.handlers.upgrade(req, socket, head);
        } catch {
          socket.destroy();
        }
      });
      server.on('clientError', (_err, socket: Duplex) => {
        if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else socket.destroy();
      });
      const http2 = this.handlers.http2?.bind(this.handlers);
      const toHttp1 = (socket: Duplex): void => {
        server.emit('connection', socket);
      };
      const route = (socket: Duplex): void => {
        if (http2 === undefined) toHttp1(socket);
        else if ((socket as TLSSocket).alpnProtocol === 'h2') http2(socket);
        else routeByPreface(socket, http2, toHttp1);
      };
      const listener: NetServer = secure
        ? createTlsServer({ ...this.options.tls, ALPNCallback: chooseProtocol(http2 !== undefined) }, route)
        : createNetServer(route);
      listener.on('connection', (socket: Socket) => {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
      });
      // A TLS handshake that fails: the socket is destroyed by node:tls; nothing to answer. A
      // certificate that failed verification leaves its reason on the socket, not in the error.
      listener.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        const verdict = socket.authorizationError;
        this.options.onTlsClientError?.({
          remote: socket.remoteAddress,
          reason: verdict !== undefined ? String(verdict) : err.message,
        });
      });
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(Number(url.port), url.hostname.replace(/^\[|\]$/g, ''), () => {
          listener.off('error', reject);
          resolve();
        });
      });
      // node:http starts checking its headers and request timeouts when it sees 'listening'.
      server.emit('listening');
      const addr = listener.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : Number(url.port);
      bound.push(`${url.protocol}//${url.hostname}:${port}`);
      this.servers.push(server);
      this.listeners.push(listener);
    }
    return bound;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const preflight = req.method === 'OPTIONS';
    const gateway = path.startsWith('/v3/') || path.startsWith('/v3beta/');
    // Every gateway path may change state or read keys: a page whose origin is not allowed is
    // refused there (and on preflights); elsewhere its answer only lacks CORS headers.
    const verdict = this.options.access?.check(req, preflight || gateway);
    if (verdict !== undefined) {
      if (!verdict.allowed)
        return reply(res, { ...this.options.errorReply(verdict.error), status: verdict.status });
      for (const [name, value] of Object.entries(verdict.corsHeaders)) res.setHeader(name, value);
    }
    // etcd answers every OPTIONS with 200 and its CORS headers, whatever the path.
    if (preflight) return reply(res, { status: 200, body: '' });
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (path === '/health') return reply(res, this.handlers.health());
      if (path === '/metrics') return reply(res, this.handlers.metrics());
      if (path === '/version') return reply(res, this.handlers.version());
      if (path === '/ui' || path.startsWith('/ui/'))
        return reply(
          res,
          consoleAsset(path, {
            writes: this.options.consoleWrites === true,
            connectTo: this.options.consoleConnectTo?.() ?? [],
          }),
        );
    }
    if (gateway) {
      if (req.method !== 'POST') {
        return reply(res, {
          status: 405,
          headers: { allow: 'POST' },
          body: JSON.stringify({
            error: 'Method Not Allowed',
            code: 12,
            message: `${req.method} not allowed; use POST`,
          }),
        });
      }
      const body = await readBody(req, this.options.maxBodyBytes);
      if (body === undefined) {
        const error: ErrorBody = {
          code: ErrorCode.RequestTooLarge,
          message: `request body exceeds ${this.options.maxBodyBytes} bytes`,
          details: { limit: this.options.maxBodyBytes },
        };
        return reply(res, { ...this.options.errorReply(error), headers: { connection: 'close' } });
      }
      return this.handlers.gateway(path, body, req, res);
    }
    return reply(res, {
      status: 404,
      body: JSON.stringify({ error: 'Not Found', code: 5, message: `no route for ${req.method} ${path}` }),
    });
  }

  /**
   * Replaces the TLS material of the https listeners for the connections that come next (a
   * reloaded CRL); connections already open keep theirs, as in etcd.
   */
  setSecureContext(tls: NonNullable<ClientHttpOptions['tls']>): void {
    for (const listener of this.listeners) {
      if (listener instanceof TlsServer) listener.setSecureContext(tls);
    }
  }

  /** Stops accepting connections; open ones (WebSockets, streams) stay until close(). */
  stopListening(): void {
    if (this.closedListening !== undefined) return;
    this.closedListening = Promise.all(
      this.listeners.map(
        (s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve())),
      ),
    ).then(() => undefined);
  }

  /** Stops listening and destroys every remaining connection. */
  async close(): Promise<void> {
    this.stopListening();
    for (const socket of this.sockets) socket.destroy();
    await this.closedListening;
    for (const server of this.servers) server.close();
    this.servers.length = 0;
    this.listeners.length = 0;
  }
}

/**
 * The TLS listener's ALPN choice. h2 goes only to a client that offers h2 and not http/1.1: gRPC
 * clients offer h2 alone, while curl and browsers offer both and are given http/1.1, so that their
 * requests (the gateway, /health, /metrics, WebSocket upgrades) reach the HTTP/1.1 server instead
 * of the gRPC one, which owns every HTTP/2 connection. (A client offering neither gets its first
 * choice: answering undefined would abort its handshake.)
 */
function chooseProtocol(grpc: boolean): (args: { protocols: string[] }) => string | undefined {
  return ({ protocols }) => {
    if (protocols.includes('http/1.1')) return 'http/1.1';
    if (grpc && protocols.includes('h2')) return 'h2';
    return protocols[0];
  };
}

function reply(res: ServerResponse, r: HttpReply): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
  res.end(r.body);
}

/**
 * Reads the whole body, or resolves undefined as soon as it exceeds `limit` bytes (a declared
 * Content-Length above the limit is refused before reading; the reply closes the connection, so the
 * rest is never read).
 */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
      } else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
