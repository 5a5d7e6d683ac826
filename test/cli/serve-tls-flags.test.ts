/**
 * `concord serve` with etcd's TLS hardening flags: a bad value stops it at start, exit status 2,
 * one line naming the flag, no data directory; `--help` lists them.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { ConcordProcess } from './concord-process.js';

describe('concord serve: TLS hardening flags', function () {
  this.timeout(60_000);
  let root: string;
  let pki: TestPki;
  const processes: ConcordProcess[] = [];

  before(async () => {
    pki = await createTestPki();
  });
  after(async () => {
    await pki.remove();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-tlsflags-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = new ConcordProcess(['serve', '--name=m1', '--log-level=warn', ...args]);
    processes.push(p);
    const { code } = await p.exit();
    return { code, stdout: p.stdout, stderr: p.stderr };
  }

  const tlsArgs = async (): Promise<string[]> => [
    `--data-dir=${join(root, 'm1')}`,
    `--listen-client-urls=https://127.0.0.1:${await freePort()}`,
    `--listen-peer-urls=https://127.0.0.1:${await freePort()}`,
    `--cert-file=${pki.peer.certFile}`,
    `--key-file=${pki.peer.keyFile}`,
    `--trusted-ca-file=${pki.caFile}`,
    '--client-cert-auth',
    `--peer-cert-file=${pki.peer.certFile}`,
    `--peer-key-file=${pki.peer.keyFile}`,
    `--peer-trusted-ca-file=${pki.caFile}`,
    '--peer-client-cert-auth',
  ];

  it('refuses an unknown cipher suite name: exit 2, the flag named, no data directory', async () => {
    const { code, stderr } = await run([
      ...(await tlsArgs()),
      '--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_NO_SUCH_SUITE',
    ]);
    expect(code, stderr).to.equal(2);
    expect(stderr).to.match(/^concord: --cipher-suites: unknown cipher suite 'TLS_NO_SUCH_SUITE'/m);
    expect(existsSync(join(root, 'm1'))).to.equal(false);
  });

  it('refuses a CRL file that holds no CRL, and a CRL without verified client certificates', async () => {
    const notCrl = await run([...(await tlsArgs()), `--peer-crl-file=${pki.caFile}`]);
    expect(notCrl.code, notCrl.stderr).to.equal(2);
    expect(notCrl.stderr).to.match(/^concord: --peer-crl-file: .*holds no PEM X509 CRL/m);
    const args = (await tlsArgs()).filter((a) => a !== '--client-cert-auth' && !a.startsWith('--trusted-ca'));
    const unverified = await run([...args, `--client-crl-file=${pki.caFile}`]);
    expect(unverified.code, unverified.stderr).to.equal(2);
    expect(unverified.stderr).to.match(/^concord: --client-crl-file: needs --client-cert-auth/m);
  });

  it('lists the flags in --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).to.equal(0);
    for (const flag of [
      '--client-crl-file',
      '--peer-crl-file',
      '--peer-cert-allowed-cn',
      '--peer-cert-allowed-hostname',
      '--cipher-suites',
      '--tls-min-version [TLS1.2|TLS1.3]',
      '--tls-max-version [TLS1.2|TLS1.3]',
    ])
      expect(stdout).to.include(flag);
  });
});
