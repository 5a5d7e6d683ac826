/**
 * etcd's `--cipher-suites` takes Go's names of TLS cipher suites (IANA names, such as
 * `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`); Node's `ciphers` option takes OpenSSL's
 * (`ECDHE-RSA-AES128-GCM-SHA256`). This table maps the TLS 1.0–1.2 suites Go knows (its secure
 * and insecure lists, which etcd accepts alike) to OpenSSL's names, so an operator's etcd flag
 * carries over unchanged.
 *
 * TLS 1.3 suites are not configurable in Go, hence not in etcd: `--cipher-suites` restricts what
 * TLS 1.2 negotiates, and a TLS 1.3 handshake uses Node's TLS 1.3 suites whatever the list says.
 * Naming a TLS 1.3 suite is therefore refused (it would do nothing), as is a name Go does not
 * know. Restrict TLS 1.3 away with `--tls-max-version TLS1.2` if only the listed suites may be used.
 */

/** A cipher suite name that is not one of Go's TLS 1.0–1.2 suites. */
export class CipherSuiteError extends Error {
  override readonly name = 'CipherSuiteError';
  readonly code = 'INVALID_ARGUMENT' as const;
}

/** Go's TLS ≤1.2 suite names (crypto/tls) → OpenSSL's. */
export const GO_CIPHER_SUITES: Readonly<Record<string, string>> = Object.freeze({
  TLS_RSA_WITH_RC4_128_SHA: 'RC4-SHA',
  TLS_RSA_WITH_3DES_EDE_CBC_SHA: 'DES-CBC3-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_RC4_128_SHA: 'ECDHE-ECDSA-RC4-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_RC4_128_SHA: 'ECDHE-RSA-RC4-SHA',
  TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA: 'ECDHE-RSA-DES-CBC3-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  // Go's older spellings of the two ChaCha20 suites, still accepted by etcd.
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
});

const TLS13_SUITES = new Set([
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
]);

/**
 * The OpenSSL cipher list for Node's `ciphers` option from Go's names (surrounding blanks and
 * empty entries ignored, as etcd's comma-separated flag). Throws `CipherSuiteError` naming the
 * first unknown or TLS 1.3 name, or when the list is empty.
 */
export function opensslCipherList(names: readonly string[]): string {
  const out: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '') continue;
    if (TLS13_SUITES.has(name))
      throw new CipherSuiteError(
        `${name} is a TLS 1.3 suite; TLS 1.3 suites are not configurable (as in etcd)`,
      );
    const openssl = GO_CIPHER_SUITES[name];
    if (openssl === undefined)
      throw new CipherSuiteError(
        `unknown cipher suite '${name}' (use Go's names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)`,
      );
    if (!out.includes(openssl)) out.push(openssl);
  }
  if (out.length === 0) throw new CipherSuiteError('names no cipher suite');
  // With no TLS_* entry in the list, Node keeps its default TLS 1.3 suites (as Go does).
  return out.join(':');
}
