/**
 * Loopback test harness: transports on 127.0.0.1 port 0, an event-driven `Signal` to wait on
 * ("until this condition holds, re-checked on every event, failing after a bound"), a capturing
 * logger, and message factories. Nothing here sleeps: the only timer is the failure bound.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame, PeerTransport, type PeerTransportOptions } from '../../server/transport/index.js';
import type { LogFields, Logger } from '../../server/platform/logger.js';
import { NodeTimers } from '../../server/platform/node-timers.js';
import type { TimerHandle, Timers } from '../../server/platform/timers.js';
import type { Message, MsgApp, MsgHeartbeat } from '../../server/raft/types.js';

export const CLUSTER = 'test-cluster';

/** Re-checks waiting conditions whenever `notify()` is called (from transport callbacks). */
export class Signal {
  private waiters = new Set<() => void>();

  notify = (): void => {
    for (const w of [...this.waiters]) w();
  };

  /** Resolves once `condition()` is true; rejects after `boundMs` with `what` in the message. */
  until(condition: () => boolean, what: string, boundMs = 5_000): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${boundMs} ms waiting for ${what}`));
      }, boundMs);
      this.waiters.add(check);
    });
  }
}

export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly fields: LogFields;
}

export class CapturingLogger implements Logger {
  readonly records: LogRecord[] = [];
  constructor(private readonly signal?: Signal) {}
  private push(level: string, msg: string, fields?: LogFields): void {
    this.records.push({ level, msg, fields: fields ?? {} });
    this.signal?.notify();
  }
  debug(msg: string, fields?: LogFields): void {
    this.push('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.push('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.push('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.push('error', msg, fields);
  }
  has(level: string, msg: string, match: (f: LogFields) => boolean = () => true): boolean {
    return this.records.some((r) => r.level === level && r.msg === msg && match(r.fields));
  }
}

/** A started transport plus everything a test watches on it. */
export class Member {
  readonly inbox: Message[] = [];
  readonly snapshotStatus: { to: number; ok: boolean }[] = [];
  readonly logger: CapturingLogger;

  private constructor(
    readonly transport: PeerTransport,
    readonly id: number,
    readonly signal: Signal,
    logger: CapturingLogger,
  ) {
    this.logger = logger;
    transport.onMessage((m) => {
      this.inbox.push(m);
      signal.notify();
    });
    transport.onSnapshotStatus((to, ok) => {
      this.snapshotStatus.push({ to, ok });
      signal.notify();
    });
    transport.onPeerStatus(() => signal.notify());
  }

  static async start(
    id: number,
    signal: Signal,
    overrides: Partial<PeerTransportOptions> = {},
  ): Promise<Member> {
    const logger = new CapturingLogger(signal);
    const transport = new PeerTransport({
      clusterId: CLUSTER,
      memberId: id,
      listenUrls: ['http://127.0.0.1:0'],
      logger,
      reconnectBackoffMinMs: 5,
      reconnectBackoffMaxMs: 50,
      ...overrides,
    });
    await transport.start();
    return new Member(transport, id, signal, logger);
  }

  get url(): string {
    return this.transport.listenUrls()[0] as string;
  }

  peerStats(id: number) {
    return this.transport.stats().peers.find((p) => p.id === id);
  }

  isConnectedTo(id: number): boolean {
    return this.peerStats(id)?.connected === true;
  }

  /** Dials `peer` now (instead of lazily) and waits until the stream is open. */
  async connect(peer: Member): Promise<void> {
    this.transport.connect(peer.id);
    await this.signal.until(() => this.isConnectedTo(peer.id), `${this.id} connected to ${peer.id}`);
  }
}

/**
 * Makes `m` accept connections from member `id` (the handshake accepts only current members), for
 * a test that dials it by hand: `id` is added as a peer at a closed port, so `m`'s dials to it fail.
 */
export function knows(m: Member, id: number): void {
  m.transport.addPeer(id, [m.url.replace(/:\d+$/, ':1')]);
}

/** Adds every member to every other member's peer table. */
export function meshAll(members: readonly Member[]): void {
  for (const a of members) for (const b of members) if (a !== b) a.transport.addPeer(b.id, [b.url]);
}

export function heartbeat(from: number, to: number, commit: number): MsgHeartbeat {
  return { type: 'MsgHeartbeat', from, to, term: 1, commit, context: '' };
}

export function append(from: number, to: number, index: number, dataBytes: number): MsgApp {
  const data = new Uint8Array(dataBytes).fill(index % 251);
  return {
    type: 'MsgApp',
    from,
    to,
    term: 2,
    index: index - 1,
    logTerm: 2,
    commit: index - 1,
    entries: [{ term: 2, index, type: 'normal', data }],
  };
}

/**
 * A hand-driven acceptor speaking just enough of the peer protocol (it answers the handshake
 * with Hello) so tests can misbehave on purpose: never read, never ack, close mid-transfer.
 */
export class FakePeer {
  readonly connections: WebSocket[] = [];
  readonly frames: Uint8Array[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(
    memberId: number,
    signal: Signal,
    onConnection: (ws: WebSocket, path: string) => void = () => {},
    options: { readonly autoPong?: boolean } = {},
  ): Promise<FakePeer> {
    const server = new WebSocketServer({
      port: 0,
      host: '127.0.0.1',
      perMessageDeflate: false,
      autoPong: options.autoPong ?? true,
    });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const { port } = server.address() as AddressInfo;
    const fake = new FakePeer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (ws, req) => {
      ws.on('error', () => {});
      fake.connections.push(ws);
      ws.on('message', (data: Buffer) => {
        fake.frames.push(new Uint8Array(data));
        signal.notify();
      });
      ws.send(encodeFrame({ kind: 'hello', clusterId: CLUSTER, memberId }));
      onConnection(ws, req.url ?? '');
      signal.notify();
    });
    return fake;
  }

  async close(): Promise<void> {
    for (const ws of this.connections) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on (bound, read back, released). */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/**
 * Real timers, except that timers of exactly `heldDelayMs` are kept until `fireHeld()`: lets a
 * test decide when a particular timeout expires without waiting for it. Every delay is recorded.
 */
export class ControlledTimers implements Timers {
  readonly delays: number[] = [];
  private readonly real = new NodeTimers();
  private readonly held = new Map<number, () => void>();
  private nextHeldId = -1;

  constructor(
    private readonly heldDelayMs: number,
    /** Delays for which the callback runs right away (next macrotask) instead of after the delay. */
    private readonly fastForward: (delayMs: number) => boolean = () => false,
  ) {}

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    this.delays.push(delayMs);
    if (delayMs === this.heldDelayMs) {
      const id = this.nextHeldId--;
      this.held.set(id, callback);
      return { id };
    }
    return this.real.setTimeout(callback, this.fastForward(delayMs) ? 0 : delayMs);
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle.id < 0) this.held.delete(handle.id);
    else this.real.clearTimeout(handle);
  }

  get heldCount(): number {
    return this.held.size;
  }

  fireHeld(): void {
    const callbacks = [...this.held.values()];
    this.held.clear();
    for (const cb of callbacks) cb();
  }

  /** Timers still scheduled (real and held): 0 after a clean shutdown. */
  pending(): number {
    return this.real.pending() + this.held.size;
  }
}
