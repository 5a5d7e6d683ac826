/**
 * Test certificates made with the `openssl` CLI in a fresh temp directory: a CA, and peer
 * certificates signed by it for 127.0.0.1/localhost, usable as server and client certificates.
 * `otherCa` is an unrelated CA, for "untrusted certificate" cases.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

async function makeLeaf(dir: string, ca: string, name: string): Promise<void> {
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
    'leaf.ext',
  ]);
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'concord-pki-'));
  await writeFile(
    join(dir, 'leaf.ext'),
    [
      'basicConstraints=CA:FALSE',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      '',
    ].join('\n'),
  );
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
): Promise<{ readonly certFile: string; readonly keyFile: string }> {
  await makeLeaf(pki.dir, 'ca', name);
  return { certFile: join(pki.dir, `${name}.crt`), keyFile: join(pki.dir, `${name}.key`) };
}
