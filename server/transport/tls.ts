/**
 * TLS material for the peer port, read at `start()`. The same certificate serves both
 * directions (server on the listener, client when dialling), as with etcd's `--peer-cert-file`.
 * With `clientCertAuth` the listener requests a client certificate and refuses, during the TLS
 * handshake, any peer whose certificate does not chain to `trustedCaFile`.
 *
 * The hardening options apply in both directions, so that a member whose certificate was revoked
 * or does not carry the allowed name can neither send to the cluster nor receive from it:
 * - `crlFile` (etcd's `--peer-crl-file`): OpenSSL checks the other side's chain against it during
 *   the handshake. The file is re-read when it changes (`CrlFile`), as etcd reads it per
 *   connection, so a revocation needs no restart.
 * - `allowedCn` / `allowedHostname` (etcd's `--peer-cert-allowed-cn/-hostname`): checked on the
 *   verified certificate once the handshake is done (inbound) or inside it (dialling:
 *   `checkServerIdentity`). etcd checks the same in both directions (its `VerifyPeerCertificate`
 *   is set on the client and the server configuration alike).
 * - `ciphers`, `minVersion`, `maxVersion` (etcd's `--cipher-suites`, `--tls-min/max-version`).
 */
import { readFile } from 'node:fs/promises';
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls';
import type { PeerTlsOptions } from './options.js';

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer;
  readonly clientCertAuth: boolean;
  /** The CRLs now in force (one PEM block each); empty without `crlFile`. Replaced on reload. */
  crl: Buffer[];
  readonly allowedCn: string;
  readonly allowedHostname: string;
  readonly ciphers: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  readonly maxVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
}

export async function loadTlsMaterial(tls: PeerTlsOptions): Promise<TlsMaterial> {
  const [cert, key, ca, crl] = await Promise.all([
    readFile(tls.certFile),
    readFile(tls.keyFile),
    readFile(tls.trustedCaFile),
    tls.crlFile !== undefined && tls.crlFile !== '' ? readFile(tls.crlFile) : undefined,
  ]);
  const material: TlsMaterial = {
    cert,
    key,
    ca,
    clientCertAuth: tls.clientCertAuth ?? false,
    crl: crl === undefined ? [] : pemCrls(crl, tls.crlFile!),
    allowedCn: tls.allowedCn ?? '',
    allowedHostname: tls.allowedHostname ?? '',
    ciphers: tls.ciphers !== undefined && tls.ciphers !== '' ? tls.ciphers : undefined,
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
  };
  // Fail at start, naming the option, rather than at the first connection.
  createSecureContext(secureContextOptions(material));
  return material;
}

/** What node:tls takes from the material, for a listener or a dial. */
export function secureContextOptions(m: TlsMaterial): {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  crl?: Buffer[];
  ciphers?: string;
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
} {
  return {
    cert: m.cert,
    key: m.key,
    ca: m.ca,
    ...(m.crl.length > 0 ? { crl: m.crl } : {}),
    ...(m.ciphers !== undefined ? { ciphers: m.ciphers } : {}),
    ...(m.minVersion !== undefined ? { minVersion: m.minVersion } : {}),
    ...(m.maxVersion !== undefined ? { maxVersion: m.maxVersion } : {}),
  };
}

const PEM_CRL = /-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g;

/**
 * The PEM CRL blocks of a file, each on its own: node:tls reads only the first CRL of a buffer,
 * and OpenSSL needs the CRL of every issuing CA (a CA with no CRL fails every certificate it
 * issued: revocation checking fails closed).
 */
export function pemCrls(pem: Buffer, path: string): Buffer[] {
  const blocks = pem.toString('latin1').match(PEM_CRL);
  if (blocks === null) throw new Error(`${path} holds no PEM X509 CRL`);
  return blocks.map((b) => Buffer.from(b, 'latin1'));
}

/**
 * Why a peer's (verified) certificate is refused by `allowedCn` / `allowedHostname`, or undefined
 * when it passes (or neither is set). The host name is matched against the certificate's SANs
 * only, as Go's `VerifyHostname` does (no CommonName fallback).
 */
export function peerCertificateRefusal(
  cert: PeerCertificate | undefined,
  allowedCn: string,
  allowedHostname: string,
): string | undefined {
  if (allowedCn === '' && allowedHostname === '') return undefined;
  if (cert === undefined || Object.keys(cert).length === 0) return 'no peer certificate';
  if (allowedCn !== '') {
    const cn: unknown = cert.subject?.CN;
    const names = Array.isArray(cn) ? (cn as unknown[]) : [cn];
    return names.includes(allowedCn)
      ? undefined
      : `certificate CN ${JSON.stringify(cn ?? '')} is not the allowed CN`;
  }
  if (cert.subjectaltname === undefined || cert.subjectaltname === '')
    return `certificate has no subject alternative names (allowed hostname ${allowedHostname})`;
  const err = checkServerIdentity(allowedHostname, cert);
  return err === undefined ? undefined : `certificate is not valid for the allowed hostname: ${err.message}`;
}

/**
 * node:tls options of a dial: the secure context, and the peer name check inside the handshake
 * (after the usual check that the certificate is valid for the URL's host).
 */
export function dialTlsOptions(m: TlsMaterial): ReturnType<typeof secureContextOptions> & {
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
} {
  const base = secureContextOptions(m);
  if (m.allowedCn === '' && m.allowedHostname === '') return base;
  return {
    ...base,
    checkServerIdentity: (host, cert) => {
      const hostError = checkServerIdentity(host, cert);
      if (hostError !== undefined) return hostError;
      const refusal = peerCertificateRefusal(cert, m.allowedCn, m.allowedHostname);
      return refusal === undefined ? undefined : new Error(`peer certificate refused: ${refusal}`);
    },
  };
}
