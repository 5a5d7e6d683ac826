/**
 * The member's TLS files read and checked at start, before the data directory is touched: a
 * missing file, a file that holds no CRL, or a cipher list OpenSSL cannot use is a bad flag
 * (`InvalidConfigError` naming it), not a half start or a failure at the first connection.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { pemCrls } from '../transport/index.js';
import { InvalidConfigError, type MemberConfigField, type TlsFiles } from './config.js';

/** The node:tls options of the client listener. */
export interface ClientTlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly crl?: Buffer[];
  readonly ciphers?: string;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

async function read(field: MemberConfigField, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new InvalidConfigError(field, `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Reads a CRL file into its PEM blocks, or refuses it by `field`. */
export async function readCrlFile(field: MemberConfigField, path: string): Promise<Buffer[]> {
  const pem = await read(field, path);
  try {
    const crl = pemCrls(pem, path);
    createSecureContext({ crl });
    return crl;
  } catch (err) {
    throw new InvalidConfigError(field, `${path}: ${(err as Error).message}`);
  }
}

/** Checks that OpenSSL accepts the cipher list and the versions (Node throws at the first listener otherwise). */
function checkPolicy(tls: TlsFiles): void {
  try {
    createSecureContext({
      ...(tls.ciphers !== '' ? { ciphers: tls.ciphers } : {}),
      minVersion: tls.minVersion,
      maxVersion: tls.maxVersion,
    });
  } catch (err) {
    throw new InvalidConfigError('cipherSuites', `OpenSSL refuses the list: ${(err as Error).message}`);
  }
}

export async function clientTlsOptions(tls: TlsFiles): Promise<ClientTlsOptions> {
  checkPolicy(tls);
  return {
    cert: await read('certFile', tls.certFile),
    key: await read('keyFile', tls.keyFile),
    ...(tls.trustedCaFile !== '' ? { ca: await read('trustedCaFile', tls.trustedCaFile) } : {}),
    ...(tls.crlFile !== '' ? { crl: await readCrlFile('clientCrlFile', tls.crlFile) } : {}),
    ...(tls.ciphers !== '' ? { ciphers: tls.ciphers } : {}),
    minVersion: tls.minVersion,
    maxVersion: tls.maxVersion,
    requestCert: tls.clientCertAuth,
    rejectUnauthorized: tls.clientCertAuth,
  };
}

/**
 * The peer files are read by the transport at its start; checked here first so that errors name
 * the flag. Resolves with the peer CRLs read (none without `--peer-crl-file`).
 */
export async function checkPeerTls(tls: TlsFiles): Promise<Buffer[]> {
  checkPolicy(tls);
  return tls.crlFile !== '' ? await readCrlFile('peerCrlFile', tls.crlFile) : [];
}
