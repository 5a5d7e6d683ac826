/**
 * A listener that cannot bind, told in the operator's terms: which flag, which address, and why
 * (`--listen-client-urls: 127.0.0.1:2379 is already in use (EADDRINUSE)`), rather than the
 * socket layer's stack trace.
 */

/** The socket errors a listen can fail with that are the operator's to fix. */
const REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'is already in use',
  EACCES: 'may not be bound by this user (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'is not an address of this host',
};

export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    /** The flag that named the address, without dashes (`listen-client-urls`). */
    readonly flag: string,
    /** `host:port`. */
    readonly address: string,
    /** The socket error's code (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`). */
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(`--${flag}: ${address} ${REASONS[code] ?? 'cannot be listened on'} (${code})`, options);
  }
}

/** `err` as a ListenError when it is a listen failure of a kind above, else unchanged. */
export function listenError(flag: string, err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const e = err as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  if (e.syscall !== 'listen' || typeof e.code !== 'string' || REASONS[e.code] === undefined) return err;
  const host = typeof e.address === 'string' ? (e.address.includes(':') ? `[${e.address}]` : e.address) : '?';
  const port = typeof e.port === 'number' ? e.port : '?';
  return new ListenError(flag, `${host}:${port}`, e.code, { cause: err });
}
