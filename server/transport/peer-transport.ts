/**
 * `PeerTransport`: Raft messages between members over WebSockets on the peer port.
 *
 * ```ts
 * const transport = new PeerTransport({ clusterId, memberId: 1, listenUrls: ['http://127.0.0.1:2380'] });
 * transport.onMessage((m) => node.step(m));
 * transport.onSnapshotStatus((to, ok) => { if (!ok) node.reportSnapshotFailure(to); });
 * await transport.start();
 * transport.addPeer(2, ['http://10.0.0.2:2380']);
 * transport.send(ready.messages); // never blocks, never throws on network trouble
 * ```
 *
 * Per peer there is one outbound message stream (see outbound.ts) and at most one outbound
 * snapshot transfer (snapshot-sender.ts). Inbound connections arrive on the member's own
 * node:http(s) server; `ws` runs in `noServer` mode and is handed only upgrades that passed the
 * path and connection-limit checks, and a connection whose handshake fails (handshake.ts) is
 * closed before any of its frames is read. See docs/transport.md.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Message, MsgSnap } from '../raft/types.js';
import { noopLogger, type Logger } from '../platform/logger.js';
import { NodeTimers } from '../platform/node-timers.js';
import type { Random } from '../platform/random.js';
import type { Timers } from '../platform/timers.js';
import { encodeFrame } from './codec.js';
import {
  describeCause,
  newPeerStats,
  type MutablePeerStats,
  type PeerStats,
  type TransportContext,
} from './context.js';
import { InvalidConfigError, TransportStateError, type PeerProtocolError } from './errors.js';
import { Channel, CHANNEL_PATHS, checkHandshake, CloseCode } from './handshake.js';
import { InboundSnapshot, InboundStream, type InboundHooks } from './inbound.js';
import {
  resolveOptions,
  isValidMemberId,
  parsePeerUrl,
  type PeerTransportOptions,
  type ResolvedOptions,
} from './options.js';
import { OutboundStream } from './outbound.js';
import { SnapshotSender } from './snapshot-sender.js';
import type { SnapshotBody, SnapshotSinkFactory } from './snapshot-io.js';
import { loadTlsMaterial, peerCertificateRefusal, secureContextOptions, type TlsMaterial } from './tls.js';

export type MessageHandler = (message: Message) => void;
export type SnapshotStatusHandler = (to: number, ok: boolean) => void;
export type PeerStatusHandler = (peerId: number, status: 'connected' | 'disconnected') => void;
/**
 * The outbound stream to `peerId` was established (every time), or was closed and the immediate
 * redial failed ('lost'): the signals the early pre-vote is made of (`Replica.leaderConnectionLost`
 * and `leaderConnectionRestored`, docs/raft.md).
 */
export type PeerConnectionHandler = (peerId: number, event: 'established' | 'lost') => void;

export interface TransportStats {
  readonly peers: readonly PeerStats[];
  /** Messages for a member that was never added (or was removed). */
  readonly unknownPeerDrops: number;
  /** Inbound frames that failed to decode or broke the protocol (their connection was closed). */
  readonly protocolErrors: number;
  /** Inbound connections refused at the handshake (cluster id, target, version, sender, limits). */
  readonly refusedConnections: number;
  /** Messages that arrived while no handler was set. */
  readonly undeliverable: number;
}

type Lifecycle = 'new' | 'starting' | 'started' | 'closing' | 'closed';

interface Peer {
  readonly id: number;
  urls: readonly URL[];
  readonly stream: OutboundStream;
  snapshot: SnapshotSender | undefined;
}

const mathRandom: Random = {
  float: () => Math.random(),
  int: (n) => Math.floor(Math.random() * n),
};

export class PeerTransport implements AsyncDisposable {
  private readonly options: ResolvedOptions;
  private readonly timers: Timers;
  private readonly random: Random;
  private readonly logger: Logger;
  private readonly ctx: TransportContext;
  private lifecycle: Lifecycle = 'new';
  private tls: TlsMaterial | undefined;
  private readonly servers: HttpServer[] = [];
  private readonly boundUrls: string[] = [];
  private readonly wss: WebSocketServer;
  private readonly peers = new Map<number, Peer>();
  private readonly removed = new Set<number>();
  private readonly peerStats = new Map<number, MutablePeerStats>();
  private readonly inbound = new Set<InboundStream | InboundSnapshot>();
  /** Every upgraded socket, refused ones included, so that close() can cut them all. */
  private readonly upgraded = new Set<Duplex>();
  private readonly inboundStreams = new Map<number, InboundStream>();
  private inboundSnapshots = 0;
  private nextTransferId = 1;
  private messageHandler: MessageHandler | undefined;
  private snapshotHandler: SnapshotStatusHandler | undefined;
  private snapshotSinks: SnapshotSinkFactory | undefined;
  private peerStatusHandler: PeerStatusHandler | undefined;
  private peerConnectionHandler: PeerConnectionHandler | undefined;
  private unknownPeerDrops = 0;
  private protocolErrors = 0;
  private refusedConnections = 0;
  private undeliverable = 0;
  private closePromise: Promise<void> | undefined;

  constructor(options: PeerTransportOptions) {
    this.options = resolveOptions(options);
    this.timers = options.timers ?? new NodeTimers();
    this.random = options.random ?? mathRandom;
    this.logger = options.logger ?? noopLogger;
    const self = this;
    this.ctx = {
      options: this.options,
      timers: this.timers,
      random: this.random,
      logger: this.logger,
      get tls() {
        return self.tls;
      },
      get closing() {
        return self.lifecycle === 'closing' || self.lifecycle === 'closed';
      },
      statsFor: (id) => this.statsFor(id),
    };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: this.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Replaces the CRLs checked against peers' certificates (a reloaded `--peer-crl-file`): for
   * the listeners' next handshakes and the next dials. Connections already open stay, as in etcd.
   */
  setCrl(crl: Buffer[]): void {
    const tls = this.tls;
    if (tls === undefined) return;
    tls.crl = crl;
    for (const server of this.servers) {
      if (server instanceof HttpsServer) server.setSecureContext(secureContextOptions(tls));
    }
  }

  /** Loads TLS material and listens on every `listenUrls` entry. Rejects if any listener fails. */
  async start(): Promise<void> {
    if (this.lifecycle !== 'new') throw new TransportStateError(`start() called when ${this.lifecycle}`);
    this.lifecycle = 'starting';
    try {
      if (this.options.tls !== undefined) this.tls = await loadTlsMaterial(this.options.tls);
      for (const url of this.options.listenUrls) await this.listen(url);
    } catch (err) {
      await this.close();
      throw err;
    }
    if (this.lifecycle !== 'starting') throw new TransportStateError('closed during start()');
    this.lifecycle = 'started';
  }

  /** The URLs actually bound (port 0 resolved), in `listenUrls` order. Empty before `start()`. */
  listenUrls(): readonly string[] {
    return [...this.boundUrls];
  }

  /**
   * Stops listening, closes every connection, cancels every timer. Snapshot transfers in flight
   * are abandoned without a status callback; no handler is called after `close()` began.
   * Idempotent: every call returns the same promise.
   */
  close(): Promise<void> {
    this.closePromise ??= this.doClose();
    return this.closePromise;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async doClose(): Promise<void> {
    this.lifecycle = 'closing';
    for (const peer of this.peers.values()) {
      peer.stream.close();
      peer.snapshot?.abort();
      peer.snapshot = undefined;
    }
    for (const conn of [...this.inbound]) conn.close(CloseCode.GoingAway, 'member shutting down', true);
    for (const socket of this.upgraded) socket.destroy();
    this.upgraded.clear();
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    this.wss.close();
    this.lifecycle = 'closed';
    this.logger.info('peer transport closed', {});
  }

  // ------------------------------------------------------------------------------------------
  // Peers

  /**
   * Adds a peer, or replaces the URLs of a known one (used from its next dial). Nothing is
   * dialled until a message is sent to it. Throws `InvalidConfigError` for a bad id or URL.
   */
  addPeer(id: number, urls: readonly string[]): void {
    if (!isValidMemberId(id) || id === this.options.memberId) {
      throw new InvalidConfigError(
        'peer id',
        `${String(id)} is not a valid peer id for member ${this.options.memberId}`,
      );
    }
    if (urls.length === 0) throw new InvalidConfigError('peer urls', `member ${id} needs at least one URL`);
    const parsed = urls.map((u, i) => parsePeerUrl(`peer ${id} urls[${i}]`, u, false));
    for (const url of parsed) {
      if (url.protocol === 'https:' && this.options.tls === undefined) {
        throw new InvalidConfigError('tls', `dialling ${url.href} needs tls options`);
      }
    }
    this.removed.delete(id);
    const known = this.peers.get(id);
    if (known !== undefined) {
      known.urls = parsed;
      known.stream.setUrls(parsed);
      return;
    }
    const stream = new OutboundStream(this.ctx, id, parsed, {
      onConnected: (peerId) => {
        this.emitPeerStatus(peerId, 'connected');
        this.emitPeerConnection(peerId, 'established');
      },
      onDisconnected: (peerId) => this.emitPeerStatus(peerId, 'disconnected'),
      onConnectionLost: (peerId) => this.emitPeerConnection(peerId, 'lost'),
    });
    this.peers.set(id, { id, urls: parsed, stream, snapshot: undefined });
    this.logger.info('peer added', { peer: id, urls: parsed.map((u) => u.origin) });
  }

  /**
   * Starts dialling the peer's message stream now instead of on the first message (for example
   * right after boot, so the first election's votes are not dropped). No-op for an unknown peer,
   * before `start()`, or when the stream is already open, dialling or backing off.
   */
  connect(id: number): void {
    if (this.lifecycle !== 'started') return;
    this.peers.get(id)?.stream.wake();
  }

  /**
   * Forgets a peer: closes its outbound stream and inbound connections, fails its snapshot in
   * flight (reported through `onSnapshotStatus`), and refuses its future connections until it is
   * added again. Unknown ids are ignored.
   */
  removePeer(id: number): void {
    const peer = this.peers.get(id);
    this.removed.add(id);
    this.inboundStreams.get(id)?.close(CloseCode.PeerRejected, 'member removed');
    for (const conn of [...this.inbound]) {
      if (conn.from === id) conn.close(CloseCode.PeerRejected, 'member removed');
    }
    if (peer === undefined) return;
    this.peers.delete(id);
    peer.stream.close();
    peer.snapshot?.cancel('peer removed');
    this.logger.info('peer removed', { peer: id });
  }

  // ------------------------------------------------------------------------------------------
  // Messages

  /** Sets the single receiver of inbound Raft messages (replacing any previous one). */
  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  /** Sets the receiver of snapshot outcomes: `ok === false` → call `RaftNode.reportSnapshotFailure(to)`. */
  onSnapshotStatus(handler: SnapshotStatusHandler): void {
    this.snapshotHandler = handler;
  }

  /**
   * Sets where received snapshots are written as they arrive (the member's snap directory); without
   * it they are assembled in memory. See snapshot-io.ts.
   */
  onSnapshotSink(factory: SnapshotSinkFactory): void {
    this.snapshotSinks = factory;
  }

  /** Sets the receiver of outbound stream transitions (for logs and metrics; optional). */
  onPeerStatus(handler: PeerStatusHandler): void {
    this.peerStatusHandler = handler;
  }

  /** Sets the receiver of connection established / lost reports (see `PeerConnectionHandler`). */
  onPeerConnection(handler: PeerConnectionHandler): void {
    this.peerConnectionHandler = handler;
  }

  /**
   * Queues messages for their `to` members. Never blocks and never throws on network trouble:
   * messages that cannot go out now are dropped and counted (Raft retransmits). A MsgSnap starts a
   * snapshot transfer; its outcome is reported through `onSnapshotStatus`. Messages sent before
   * `start()` or after `close()` are dropped.
   */
  send(messages: readonly Message[]): void {
    for (const m of messages) {
      const peer = this.peers.get(m.to);
      if (peer === undefined) {
        this.unknownPeerDrops += 1;
        continue;
      }
      if (this.lifecycle !== 'started') {
        this.statsFor(m.to).droppedMessages += 1;
        continue;
      }
      if (m.type === 'MsgSnap') this.sendSnapshot(peer, m);
      else peer.stream.send(m);
    }
  }

  /**
   * Whether the outbound stream to `peerId` was closed by a reset or FIN and is not open again
   * (the replica holds proposals rather than forward them into it: replica.ts).
   */
  connectionClosed(peerId: number): boolean {
    return this.peers.get(peerId)?.stream.closedByPeerNow ?? false;
  }

  /** Counters per peer (every peer ever added or heard from) and transport-wide totals. */
  stats(): TransportStats {
    return {
      peers: [...this.peerStats.values()].map((s) => ({ ...s })).sort((a, b) => a.id - b.id),
      unknownPeerDrops: this.unknownPeerDrops,
      protocolErrors: this.protocolErrors,
      refusedConnections: this.refusedConnections,
      undeliverable: this.undeliverable,
    };
  }

  /**
   * Sends a MsgSnap whose data is read from `body` a chunk at a time (the member's snapshot file)
   * rather than carried by the message; otherwise as `send`. The body is closed in every case.
   */
  sendSnapshotStream(m: MsgSnap, body: SnapshotBody): void {
    const peer = this.peers.get(m.to);
    if (peer === undefined || this.lifecycle !== 'started') {
      body.close();
      if (peer === undefined) this.unknownPeerDrops += 1;
      else this.statsFor(m.to).droppedMessages += 1;
      return;
    }
    this.sendSnapshot(peer, m, body);
  }

  private sendSnapshot(peer: Peer, m: MsgSnap, body?: SnapshotBody): void {
    const stats = this.statsFor(peer.id);
    if (peer.snapshot !== undefined) {
      body?.close();
      // Raft keeps a follower in snapshot state until this one resolves; a duplicate adds nothing.
      stats.droppedMessages += 1;
      this.logger.debug('snapshot already in flight; dropping MsgSnap', { peer: peer.id });
      return;
    }
    const transferId = this.nextTransferId++;
    const sender = new SnapshotSender(
      this.ctx,
      peer.id,
      transferId,
      m,
      (ok, reason) => {
        if (peer.snapshot === sender) peer.snapshot = undefined;
        if (ok) stats.snapshotsSent += 1;
        else stats.snapshotsFailed += 1;
        if (ok) this.logger.info('snapshot sent', { peer: peer.id, transfer: transferId });
        else this.logger.warn('snapshot failed', { peer: peer.id, transfer: transferId, reason });
        if (!this.ctx.closing) this.snapshotHandler?.(peer.id, ok);
      },
      body,
    );
    peer.snapshot = sender;
    sender.start(peer.stream.currentUrl());
  }

  private statsFor(id: number): MutablePeerStats {
    let s = this.peerStats.get(id);
    if (s === undefined) {
      s = newPeerStats(id);
      this.peerStats.set(id, s);
    }
    return s;
  }

  private emitPeerStatus(peerId: number, status: 'connected' | 'disconnected'): void {
    if (!this.ctx.closing) this.peerStatusHandler?.(peerId, status);
  }

  private emitPeerConnection(peerId: number, event: 'established' | 'lost'): void {
    if (!this.ctx.closing && this.peers.has(peerId)) this.peerConnectionHandler?.(peerId, event);
  }

  // ------------------------------------------------------------------------------------------
  // Listener and inbound connections

  private async listen(url: URL): Promise<void> {
    const tls = this.tls;
    const server =
      url.protocol === 'https:' && tls !== undefined
        ? createHttpsServer({
            ...secureContextOptions(tls),
            requestCert: tls.clientCertAuth,
            rejectUnauthorized: tls.clientCertAuth,
          })
        : createHttpServer();
    server.on('request', (_req, res) => {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('concord peer port: WebSocket only\n');
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      this.refusedConnections += 1;
      // node:tls destroys a socket whose certificate failed verification without an error of its
      // own (the event says "socket hang up"); OpenSSL's reason (CERT_REVOKED, …) is on the socket.
      this.logger.warn('peer TLS handshake failed', {
        remote: socket.remoteAddress,
        err: describeCause(err),
        ...(socket.authorizationError !== undefined ? { reason: String(socket.authorizationError) } : {}),
      });
    });
    if (tls !== undefined && (tls.allowedCn !== '' || tls.allowedHostname !== '')) {
      // Checked once the handshake has verified the chain, ahead of node:https's own listener,
      // so no byte of the connection reaches the HTTP parser; the stranger sees only the close.
      server.prependListener('secureConnection', (socket: TLSSocket) => {
        const refusal = peerCertificateRefusal(
          socket.getPeerCertificate(),
          tls.allowedCn,
          tls.allowedHostname,
        );
        if (refusal === undefined) return;
        this.refusedConnections += 1;
        this.logger.warn('peer certificate refused', { remote: socket.remoteAddress, reason: refusal });
        socket.destroy();
      });
    }
    server.on('clientError', (err: Error, socket: Duplex) => {
      this.logger.debug('peer HTTP client error', { err: describeCause(err) });
      socket.destroy();
    });
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : url.port), host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err: Error) => this.logger.error('peer listener error', { err: describeCause(err) }));
    this.servers.push(server);
    const address = server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.boundUrls.push(`${url.protocol}//${shownHost}:${address.port}`);
    this.logger.info('peer listener started', { url: this.boundUrls[this.boundUrls.length - 1] });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    const channel =
      path === CHANNEL_PATHS.stream
        ? Channel.Stream
        : path === CHANNEL_PATHS.snapshot
          ? Channel.Snapshot
          : undefined;
    const reject = (status: number, text: string): void => {
      this.refusedConnections += 1;
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.lifecycle !== 'started') return reject(503, 'Service Unavailable');
    if (channel === undefined) return reject(404, 'Not Found');
    if (this.inbound.size >= this.options.maxInboundConnections) return reject(503, 'Service Unavailable');
    socket.on('error', () => {});
    this.upgraded.add(socket);
    socket.once('close', () => this.upgraded.delete(socket));
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onInbound(ws, req, channel));
  }

  private onInbound(ws: WebSocket, req: IncomingMessage, channel: Channel): void {
    ws.on('error', () => {});
    const remote = req.socket.remoteAddress;
    if (this.ctx.closing) {
      ws.terminate();
      return;
    }
    const check = checkHandshake(req.headers, { ...this.options, isMember: (id) => this.peers.has(id) });
    if (!check.ok || this.removed.has(check.from)) {
      const code = check.ok ? CloseCode.PeerRejected : check.code;
      const reason = check.ok ? `member ${check.from} was removed` : check.reason;
      this.refusedConnections += 1;
      this.logger.warn('peer connection refused', {
        remote,
        channel,
        code,
        reason,
        clusterId: req.headers['x-concord-cluster-id'],
        from: req.headers['x-concord-from'],
        to: req.headers['x-concord-to'],
      });
      ws.close(code, reason);
      return;
    }
    const from = check.from;
    if (channel === Channel.Snapshot && this.inboundSnapshots >= this.options.maxInboundSnapshots) {
      this.refusedConnections += 1;
      this.logger.warn('snapshot refused: too many in progress', { peer: from });
      ws.close(CloseCode.Busy, 'too many snapshots in progress');
      return;
    }
    ws.send(
      encodeFrame({ kind: 'hello', clusterId: this.options.clusterId, memberId: this.options.memberId }),
    );
    const hooks = this.inboundHooks(from, () => {
      this.inbound.delete(conn);
      if (channel === Channel.Snapshot) this.inboundSnapshots -= 1;
      else if (this.inboundStreams.get(from) === conn) this.inboundStreams.delete(from);
    });
    let conn: InboundStream | InboundSnapshot;
    if (channel === Channel.Snapshot) {
      this.inboundSnapshots += 1;
      conn = new InboundSnapshot(this.ctx, ws, from, hooks, this.snapshotSinks);
    } else {
      conn = new InboundStream(this.ctx, ws, from, hooks);
      // One stream per peer: a new one means the old is dead (perhaps half-open after a partition).
      this.inboundStreams.get(from)?.close(CloseCode.Replaced, 'replaced by a newer stream');
      this.inboundStreams.set(from, conn);
    }
    this.inbound.add(conn);
    this.logger.info('peer connection accepted', { peer: from, channel, remote });
  }

  private inboundHooks(from: number, closed: () => void): InboundHooks {
    return {
      deliver: (m, frameBytes) => {
        const stats = this.statsFor(from);
        stats.receivedBytes += frameBytes;
        const handler = this.messageHandler;
        if (handler === undefined || this.ctx.closing) {
          this.undeliverable += 1;
          return;
        }
        stats.receivedMessages += 1;
        handler(m);
      },
      protocolError: (peer: number, err: PeerProtocolError) => {
        this.protocolErrors += 1;
        this.logger.warn('peer protocol error', { peer, code: err.code, err: err.message });
      },
      snapshotReceived: (peer) => {
        this.statsFor(peer).snapshotsReceived += 1;
      },
      closed,
    };
  }
}
