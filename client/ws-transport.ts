/**
 * The default ClientTransport for Node, on the `ws` package. TLS options (CA, client certificate)
 * are passed to the TLS socket for wss:// endpoints. Frames larger than `maxFrameBytes` close the
 * socket (1009), as the protocol says.
 *
 * In a browser bundle, `ws` resolves to its browser stub; use `nativeWebSocketTransport()` there.
 */
import WebSocket from 'ws';
import {
  FrameQueue,
  type ClientTransport,
  type ConnectOptions,
  type TransportClose,
  type TransportConnection,
} from './transport.js';

/** PEM text or bytes, or a list of them, as Node's `tls.connect` takes them. */
type TlsMaterial = string | Uint8Array | readonly (string | Uint8Array)[];

export interface WsTransportOptions {
  /** PEM or DER: CA certificates to trust for wss:// (default: Node's bundled roots). */
  readonly ca?: TlsMaterial;
  /** Client certificate chain and key for mutual TLS. */
  readonly cert?: TlsMaterial;
  readonly key?: TlsMaterial;
  /** Passphrase of an encrypted `key`. */
  readonly passphrase?: string;
  /** Default true. Only set false in tests. */
  readonly rejectUnauthorized?: boolean;
  /** TLS server name (SNI) when it differs from the URL's host. */
  readonly servername?: string;
  /** Largest frame accepted from the server, in bytes. Default 16 MiB (above the protocol's 8 MiB). */
  readonly maxFrameBytes?: number;
  /**
   * How long `close()` waits for the server's side of the close handshake before dropping the
   * socket. Default 1000 ms (ws's own default, 30 s, would keep a process alive that long after a
   * client closed against a member that stopped answering).
   */
  readonly closeTimeoutMs?: number;
}

const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 1000;

/** A mutable copy where ws's types want one; Buffers and strings pass through untouched. */
function material(value: TlsMaterial): string | Uint8Array | (string | Uint8Array)[] {
  return typeof value === 'string' || value instanceof Uint8Array ? value : [...value];
}

class WsConnection implements TransportConnection {
  private readonly queue = new FrameQueue();
  private readonly closedPromise: Promise<TransportClose>;

  constructor(private readonly socket: WebSocket) {
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', (code: number, reason: Buffer) => {
        this.queue.end();
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      // The JSON subprotocol is text only; a binary message is handed on as text and the codec
      // reports it as invalid.
      const text = Array.isArray(data)
        ? Buffer.concat(data).toString('utf8')
        : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.queue.push(isBinary ? `\u0000${text}` : text);
    });
    socket.on('error', () => {
      // 'close' follows every 'error'; the close code says what happened.
    });
  }

  get protocol(): string {
    return this.socket.protocol;
  }

  send(frame: string): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(frame);
  }

  close(code = 1000, reason = ''): void {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    else this.socket.close(code, reason);
  }

  terminate(): void {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
  }

  closed(): Promise<TransportClose> {
    return this.closedPromise;
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.queue[Symbol.asyncIterator]();
  }
}

/** Node's TLS takes PEM strings and any byte view; ws's typings name only Buffer. */
type WsTlsMaterial = string | Buffer | (string | Buffer)[];

/** `closeTimeout` is a ws option its typings do not list. */
function wsOptions(options: WsTransportOptions): WebSocket.ClientOptions & { closeTimeout: number } {
  return {
    maxPayload: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    perMessageDeflate: false,
    closeTimeout: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    ...(options.ca === undefined ? {} : { ca: material(options.ca) as WsTlsMaterial }),
    ...(options.cert === undefined ? {} : { cert: material(options.cert) as WsTlsMaterial }),
    ...(options.key === undefined ? {} : { key: material(options.key) as WsTlsMaterial }),
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    ...(options.servername === undefined ? {} : { servername: options.servername }),
  };
}

/** A ClientTransport on the `ws` package (Node). */
export function wsTransport(options: WsTransportOptions = {}): ClientTransport {
  return {
    connect(url: string, connect: ConnectOptions): Promise<TransportConnection> {
      return new Promise((resolve, reject) => {
        if (connect.signal.aborted) {
          reject(connect.signal.reason);
          return;
        }
        const socket = new WebSocket(url, [...connect.subprotocols], wsOptions(options));
        // Created before 'open' so that no early message is missed.
        const connection = new WsConnection(socket);
        const onAbort = (): void => {
          socket.terminate();
          reject(connect.signal.reason);
        };
        connect.signal.addEventListener('abort', onAbort, { once: true });
        socket.once('open', () => {
          connect.signal.removeEventListener('abort', onAbort);
          resolve(connection);
        });
        socket.once('error', (err: Error) => {
          connect.signal.removeEventListener('abort', onAbort);
          reject(err);
        });
      });
    },
  };
}
