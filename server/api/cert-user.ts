/**
 * The user a verified TLS client certificate names: its subject's CN, as etcd reads it with
 * `--client-cert-auth`. A request with no token is then served as that user (server/member/
 * auth-handlers.ts checks the user exists and its permissions); a token, when sent, wins. Only a
 * certificate the listener verified counts: it asks for one only with `--client-cert-auth`, so
 * without that flag no request ever has a certificate user.
 */
import { TLSSocket, type PeerCertificate } from 'node:tls';

/** The CN of a certificate's subject (the first, if several); undefined when absent or empty. */
export function commonNameOf(cert: Pick<PeerCertificate, 'subject'> | undefined): string | undefined {
  const cn: unknown = cert?.subject?.CN;
  const name = Array.isArray(cn) ? (cn[0] as unknown) : cn;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** The certificate user of a connection: a TLS socket whose client certificate was verified. */
export function certUserOf(socket: unknown): string | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return commonNameOf(socket.getPeerCertificate());
}

/** `{ certUser }` to spread into a call's options, or nothing. */
export function certUserOption(user: string | undefined): { readonly certUser?: string } {
  return user === undefined ? {} : { certUser: user };
}
