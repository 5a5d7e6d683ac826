/**
 * The WebSocket side of the client port: accepts upgrades on `/ws` with the `concord.v1.json`
 * subprotocol (ws in `noServer` mode, fed by the HTTP server's upgrade hook), runs one
 * ClientSession per connection, and drives the connection-wide timers (pings, watch progress) and
 * backend notifications (lease revoked, leader changed).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { SUPPORTED_SUBPROTOCOLS, WEBSOCKET_PATH } from '../../client/protocol/index.js';
import { ClientSession, type SessionContext } from './client-session.js';

/** The subprotocol to speak: the first one the client offers that this server supports. */
export function chooseSubprotocol(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const offered of header.split(',').map((s) => s.trim())) {
    if (SUPPORTED_SUBPROTOCOLS.includes(offered)) return offered;
  }
  return undefined;
}

/** Refuses an upgrade with a plain HTTP answer and closes the connection. */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  reason: string,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

export class ClientGateway {
  private readonly wss: WebSocketServer;
  private readonly sessions = new Set<ClientSession>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly unsubscribe: (() => void)[] = [];
  private closing = false;

  constructor(private readonly ctx: SessionContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: ctx.limits.maxFrameBytes,
      clientTracking: false,
      perMessageDeflate: false,
      handleProtocols: (protocols) => chooseSubprotocol([...protocols].join(',')) ?? false,
    });
    const limits = ctx.limits;
    const ping = setInterval(() => {
      const now = Date.now();
      for (const s of this.sessions) s.ping(now);
    }, limits.pingIntervalMs);
    const progress = setInterval(() => {
      for (const s of this.sessions) s.progressTick();
    }, limits.progressIntervalMs);
    ping.unref();
    progress.unref();
    this.timers.push(ping, progress);
    this.unsubscribe.push(
      ctx.backend.onLeaseRevoked((leaseId) => {
        for (const s of this.sessions) s.leaseRevoked(leaseId);
      }),
    );
    const onLeader = ctx.backend.onLeaderChange?.bind(ctx.backend);
    if (onLeader !== undefined) {
      this.unsubscribe.push(
        onLeader((leaderId) => {
          for (const s of this.sessions) s.leaderChanged(leaderId);
        }),
      );
    }
  }

  /** Open watches and keep-alive streams over every connection (for metrics). */
  streamCounts(): { watchers: number; keepAlives: number } {
    let watchers = 0;
    let keepAlives = 0;
    for (const s of this.sessions) {
      watchers += s.watchCount;
      keepAlives += s.keepAliveCount;
    }
    return { watchers, keepAlives };
  }

  /** The HTTP server's upgrade hook. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (this.closing) {
      refuseUpgrade(socket, 503, 'Service Unavailable', 'member shutting down\n');
      return;
    }
    if (path !== WEBSOCKET_PATH) {
      refuseUpgrade(socket, 404, 'Not Found', `the WebSocket endpoint is ${WEBSOCKET_PATH}\n`);
      return;
    }
    const offered = req.headers['sec-websocket-protocol'];
    if (chooseSubprotocol(offered) === undefined) {
      refuseUpgrade(
        socket,
        400,
        'Bad Request',
        `supported subprotocols: ${SUPPORTED_SUBPROTOCOLS.join(', ')}\n`,
      );
      return;
    }
    socket.on('error', () => socket.destroy());
    this.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => this.accept(ws, req));
  }

  private accept(ws: WebSocket, req: IncomingMessage): void {
    if (this.closing) {
      ws.close(1001, 'member shutting down');
      return;
    }
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? 0}`;
    // req.socket is the socket ws writes to: the session corks it around a watch flush.
    const session = new ClientSession(ws, this.ctx, remote, req.socket);
    this.sessions.add(session);
    this.ctx.metrics.connectionOpened();
    void session.closed().then(() => {
      this.sessions.delete(session);
      this.ctx.metrics.connectionClosed();
    });
  }

  /** Sends going-away notices, ends streams, lets requests finish, closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    for (const u of this.unsubscribe.splice(0)) u();
    await Promise.all([...this.sessions].map((s) => s.goAway('member shutting down')));
    this.wss.close();
  }
}
