/**
 * Tells an HTTP/2 connection from an HTTP/1.1 one by its first bytes. A cleartext HTTP/2 client
 * with prior knowledge (every gRPC client on an http:// endpoint) opens with the fixed connection
 * preface; an HTTP/1.1 request never does. The bytes read to decide are put back, so the chosen
 * server reads the connection from its start.
 */
import type { Duplex } from 'node:stream';

/** RFC 9113 §3.4. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads until the connection's first bytes either are the whole preface (→ `http2`) or differ from
 * it (→ `http1`; usually the first byte decides). A connection that ends or fails before that is
 * destroyed.
 */
export function routeByPreface(
  socket: Duplex,
  http2: (socket: Duplex) => void,
  http1: (socket: Duplex) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const stop = (): void => {
    socket.off('data', onData);
    socket.off('end', onGone);
    socket.off('error', onGone);
  };
  const onGone = (): void => {
    stop();
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const prefix = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (prefix && seen.length < HTTP2_PREFACE.length) return;
    stop();
    socket.pause();
    socket.unshift(seen);
    if (prefix) {
      // node:http2 reads what the socket holds itself (on its next tick) and then reads the
      // socket's handle directly: resuming here would hand the held bytes to nobody.
      http2(socket);
    } else {
      // node:http reads through 'data' events, which a paused socket does not emit.
      http1(socket);
      socket.resume();
    }
  };
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('error', onGone);
}
