/**
 * TLS material for the peer port, read once at `start()`. The same certificate serves both
 * directions (server on the listener, client when dialling), as with etcd's `--peer-cert-file`.
 * With `clientCertAuth` the listener requests a client certificate and refuses, during the TLS
 * handshake, any peer whose certificate does not chain to `trustedCaFile`.
 */
import { readFile } from 'node:fs/promises';
import type { PeerTlsOptions } from './options.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly clientCertAuth: boolean;
}

export async function loadTlsMaterial(tls: PeerTlsOptions): Promise<TlsMaterial> {
  const [cert, key, ca] = await Promise.all([
    readFile(tls.certFile),
    readFile(tls.keyFile),
    readFile(tls.trustedCaFile),
  ]);
  return { cert, key, ca, clientCertAuth: tls.clientCertAuth ?? false };
}
