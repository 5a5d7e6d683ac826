/**
 * Test certificates made with the `openssl` CLI in a fresh temp directory: a CA, and peer
 * certificates signed by it for 127.0.0.1/localhost, usable as server and client certificates.
 * `otherCa` is an unrelated CA, for "untrusted certificate" cases.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  /** A second, unrelated CA (its certificates are not trusted by `caFile`). */
  readonly otherCaFile: string;
  /** Signed by the CA: CN=peer, SAN IP:127.0.0.1 + DNS:localhost, serverAuth + clientAuth. */
  readonly peer: { readonly certFile: string; readonly keyFile: string };
  /** Signed by the other CA. */
  readonly stranger: { readonly certFile: string; readonly keyFile: string };
  remove(): Promise<void>;
}

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  await run('openssl', args, { cwd });
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

async function makeLeaf(dir: string, ca: string, name: string, extFile = 'leaf.ext'): Promise<void> {
  await openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    extFile,
  ]);
}

function leafExtensions(subjectAltName: string): string {
  return [
    'basicConstraints=CA:FALSE',
    `subjectAltName=${subjectAltName}`,
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth,clientAuth',
    '',
  ].join('\n');
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-pki-'));
  await writeFile(join(dir, 'leaf.ext'), leafExtensions('IP:127.0.0.1,DNS:localhost'));
  await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'other-ca')]);
  await Promise.all([makeLeaf(dir, 'ca', 'peer'), makeLeaf(dir, 'other-ca', 'stranger')]);
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    peer: { certFile: join(dir, 'peer.crt'), keyFile: join(dir, 'peer.key') },
    stranger: { certFile: join(dir, 'stranger.crt'), keyFile: join(dir, 'stranger.key') },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * One more certificate signed by the PKI's CA with CN=`name` (a client certificate whose CN names
 * a user, for `--client-cert-auth`): its files in the PKI's directory.
 */
export async function createLeafCertificate(
  pki: TestPki,
  name: string,
  options: { readonly subjectAltName?: string } = {},
): Promise<{ readonly certFile: string; readonly keyFile: string }> {
  let extFile = 'leaf.ext';
  if (options.subjectAltName !== undefined) {
    extFile = `${name}.ext`;
    await writeFile(join(pki.dir, extFile), leafExtensions(options.subjectAltName));
  }
  await makeLeaf(pki.dir, 'ca', name, extFile);
  return { certFile: join(pki.dir, `${name}.crt`), keyFile: join(pki.dir, `${name}.key`) };
}

/**
 * A CRL signed by the PKI's CA revoking exactly `revokedCertFiles` (PEM), written to `crlFile`
 * (default `<dir>/ca.crl`; overwritten, so a test can revoke more later). Made with `openssl ca`
 * over a fresh database each time.
 */
export async function writeCrl(
  pki: TestPki,
  revokedCertFiles: readonly string[],
  crlFile = join(pki.dir, 'ca.crl'),
): Promise<string> {
  const db = await mkdtemp(join(pki.dir, 'crl-db-'));
  await writeFile(join(db, 'index.txt'), '');
  await writeFile(join(db, 'crlnumber'), '01\n');
  await writeFile(
    join(db, 'ca.cnf'),
    [
      '[ ca ]',
      'default_ca = db',
      '[ db ]',
      `database = ${join(db, 'index.txt')}`,
      `crlnumber = ${join(db, 'crlnumber')}`,
      'default_md = sha256',
      'default_crl_days = 2',
      '',
    ].join('\n'),
  );
  const ca = ['-config', join(db, 'ca.cnf'), '-keyfile', 'ca.key', '-cert', 'ca.crt'];
  for (const cert of revokedCertFiles) await openssl(pki.dir, ['ca', ...ca, '-revoke', cert]);
  // Written beside the target and renamed over it, so a reader never sees half a file.
  await openssl(pki.dir, ['ca', ...ca, '-gencrl', '-out', join(db, 'crl.pem')]);
  await rename(join(db, 'crl.pem'), crlFile);
  await rm(db, { recursive: true, force: true });
  return crlFile;
}

type CertFiles = { readonly certFile: string; readonly keyFile: string };

/**
 * The cipher suite a TLS client presenting the PKI's peer certificate negotiates with `url`
 * (https://host:port), or `error: …` when the handshake fails.
 */
export function negotiatedCipher(
  url: string,
  pki: TestPki,
  options: { readonly maxVersion: 'TLSv1.2' | 'TLSv1.3'; readonly ciphers?: string },
): Promise<string> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const socket = connect({
      host: u.hostname,
      port: Number(u.port),
      ca: readFileSync(pki.caFile),
      cert: readFileSync(pki.peer.certFile),
      key: readFileSync(pki.peer.keyFile),
      ...options,
    });
    socket.once('secureConnect', () => {
      resolve(socket.getCipher().name);
      socket.destroy();
    });
    socket.once('error', (err) => resolve(`error: ${err.message}`));
  });
}

/**
 * One https request trusting the PKI's CA and presenting `cert` (default the peer certificate),
 * on a fresh connection: its status and body, or `refused: …` when the connection fails.
 */
export function httpsRequest(
  url: string,
  pki: TestPki,
  options: { readonly cert?: CertFiles; readonly body?: unknown } = {},
): Promise<{ readonly status: number; readonly text: string } | `refused: ${string}`> {
  const cert = options.cert ?? pki.peer;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: options.body === undefined ? 'GET' : 'POST',
        ca: readFileSync(pki.caFile),
        cert: readFileSync(cert.certFile),
        key: readFileSync(cert.keyFile),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', (err) => resolve(`refused: ${err.message}`));
      },
    );
    req.on('error', (err) => resolve(`refused: ${err.message}`));
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}
