/**
 * The seam between the SDK and the network. The SDK only ever sees text frames: a transport opens a
 * connection to one endpoint (a ws:// or wss:// URL) offering the protocol's subprotocol, and hands
 * back an object to send frames on and to iterate the frames that arrive. The default is
 * `wsTransport()` (ws-transport.ts, Node, on the `ws` package); `nativeWebSocketTransport()`
 * (native-transport.ts) uses the platform's WebSocket (browsers, Deno, Node ≥ 22); the simulator
 * plugs in a transport bound to simulated members.
 */

/** How a connection ended. */
export interface TransportClose {
  /** WebSocket close code (1006 when the connection dropped without a close frame). */
  readonly code: number;
  readonly reason: string;
}

export interface TransportConnection extends AsyncIterable<string> {
  /** The subprotocol the server selected. */
  readonly protocol: string;
  /** Queues one text frame. Throws nothing once closed: frames sent after close are dropped. */
  send(frame: string): void;
  /** Closes the connection (idempotent). The iterator then ends. */
  close(code?: number, reason?: string): void;
  /**
   * Drops the connection at once, without waiting for the peer's side of the close handshake (a
   * peer that stopped answering would never send it). Optional: without it the SDK calls `close`.
   */
  terminate?(): void;
  /** Resolves (never rejects) once the connection is closed, with how it closed. */
  closed(): Promise<TransportClose>;
}

export interface ConnectOptions {
  readonly subprotocols: readonly string[];
  /** Aborts the attempt (connect timeout, client closed). */
  readonly signal: AbortSignal;
}

export interface ClientTransport {
  /**
   * Opens a connection to `url` (`ws://host:port/ws`). Rejects if the connection cannot be opened
   * or `signal` aborts first. The returned connection's iterator yields every text frame in order
   * and ends when the connection closes.
   */
  connect(url: string, options: ConnectOptions): Promise<TransportConnection>;
}

/**
 * A small single-consumer frame queue that transports build their iterator on: `push` frames,
 * `end()` once, iterate once.
 */
export class FrameQueue implements AsyncIterable<string> {
  private readonly frames: string[] = [];
  private waiter: ((r: IteratorResult<string>) => void) | undefined;
  private ended = false;
  private iterated = false;

  push(frame: string): void {
    if (this.ended) return;
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w({ value: frame, done: false });
    } else {
      this.frames.push(frame);
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.iterated) throw new Error('a transport connection can be iterated only once');
    this.iterated = true;
    return {
      next: () => {
        const frame = this.frames.shift();
        if (frame !== undefined) return Promise.resolve({ value: frame, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
