/**
 * A ClientTransport on the platform's own WebSocket (`globalThis.WebSocket`): browsers, Deno, Bun,
 * Node ≥ 22. No TLS options: a browser uses its own trust store for wss://.
 */
import {
  FrameQueue,
  type ClientTransport,
  type ConnectOptions,
  type TransportClose,
  type TransportConnection,
} from './transport.js';

/** The part of the standard WebSocket this transport uses. */
interface StandardWebSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: unknown) => void, options?: { once?: boolean }): void;
}
type StandardWebSocketConstructor = new (url: string, protocols: string[]) => StandardWebSocket;

const OPEN = 1;

function nativeWebSocket(): StandardWebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: StandardWebSocketConstructor }).WebSocket;
  if (ctor === undefined) throw new Error('no global WebSocket on this platform: use wsTransport()');
  return ctor;
}

/** A ClientTransport on `globalThis.WebSocket`. */
export function nativeWebSocketTransport(): ClientTransport {
  return {
    connect(url: string, options: ConnectOptions): Promise<TransportConnection> {
      const Ctor = nativeWebSocket();
      return new Promise((resolve, reject) => {
        if (options.signal.aborted) {
          reject(options.signal.reason);
          return;
        }
        const socket = new Ctor(url, [...options.subprotocols]);
        const queue = new FrameQueue();
        let resolveClosed: (c: TransportClose) => void = () => undefined;
        const closed = new Promise<TransportClose>((r) => {
          resolveClosed = r;
        });
        let opened = false;
        socket.addEventListener('message', (event) => {
          const data = (event as { data?: unknown }).data;
          queue.push(typeof data === 'string' ? data : '\u0000binary');
        });
        socket.addEventListener('close', (event) => {
          const e = event as { code?: number; reason?: string };
          queue.end();
          resolveClosed({ code: e.code ?? 1006, reason: e.reason ?? '' });
          if (!opened) reject(new Error(`WebSocket to ${url} closed before opening (${e.code ?? 1006})`));
        });
        const onAbort = (): void => {
          socket.close();
          reject(options.signal.reason);
        };
        options.signal.addEventListener('abort', onAbort, { once: true });
        socket.addEventListener(
          'open',
          () => {
            opened = true;
            options.signal.removeEventListener('abort', onAbort);
            resolve({
              get protocol() {
                return socket.protocol;
              },
              send: (frame) => {
                if (socket.readyState === OPEN) socket.send(frame);
              },
              close: (code = 1000, reason = '') => socket.close(code, reason),
              closed: () => closed,
              [Symbol.asyncIterator]: () => queue[Symbol.asyncIterator](),
            });
          },
          { once: true },
        );
      });
    },
  };
}
