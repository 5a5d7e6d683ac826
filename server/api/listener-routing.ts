/**
 * Tells an HTTP/2 connection from an HTTP/1.1 one by its first bytes. A cleartext HTTP/2 client
 * with prior knowledge (every gRPC client on an http:// endpoint) opens with the fixed connection
 * preface; an HTTP/1.1 request never does. The bytes read to decide are put back, so the chosen
 * server reads the connection from its start. An HTTP/2 connection is then routed once more by its
 * first request (h2-first-request.ts, with the same `readUntilDecided`).
 */
import type { Duplex } from 'node:stream';

/** RFC 9113 §3.4. */
export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/**
 * Reads a connection's first bytes until `decide`, given each chunk, returns the bytes to put back
 * and where the socket goes; the socket is then paused, the bytes unshifted and `next` called.
 * A connection that ends or fails first is destroyed.
 */
export function readUntilDecided(
  socket: Duplex,
  decide: (
    chunk: Buffer,
  ) => { readonly putBack: Buffer; readonly next: (socket: Duplex) => void } | undefined,
): void {
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
    const decision = decide(chunk);
    if (decision === undefined) return;
    stop();
    socket.pause();
    socket.unshift(decision.putBack);
    decision.next(socket);
  };
  socket.on('data', onData);
  socket.on('end', onGone);
  socket.on('error', onGone);
}

/**
 * Reads until the connection's first bytes either are the whole preface (→ `http2`) or differ from
 * it (→ `http1`; usually the first byte decides).
 */
export function routeByPreface(
  socket: Duplex,
  http2: (socket: Duplex) => void,
  http1: (socket: Duplex) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  readUntilDecided(socket, (chunk) => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const prefix = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (prefix && seen.length < HTTP2_PREFACE.length) return undefined;
    // node:http2 reads what the socket holds itself (on its next tick) and then reads the
    // socket's handle directly: resuming here would hand the held bytes to nobody.
    if (prefix) return { putBack: seen, next: http2 };
    return {
      putBack: seen,
      next: (s) => {
        // node:http reads through 'data' events, which a paused socket does not emit.
        http1(s);
        s.resume();
      },
    };
  });
}
