/**
 * The TLS flags of the client verbs against a member that serves clients over https with
 * client-certificate auth: --cacert/--cert/--key, their CONCORD_* variables (a flag wins), and
 * --insecure-skip-tls-verify with its variable read as a boolean.
 */
import { expect } from 'chai';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { ConcordProcess } from './concord-process.js';

describe('concord client verbs over TLS', function () {
  this.timeout(120_000);
  let pki: TestPki;
  let m: TestMember;

  async function run(args: readonly string[], env: Readonly<Record<string, string>> = {}) {
    const p = new ConcordProcess([...args, '--dial-timeout', '2s'], {
      env: { ...process.env, CONCORD_ENDPOINTS: m.url, ...env },
    });
    const { code } = await p.exit();
    return { code, stdout: p.stdout, stderr: p.stderr };
  }

  before(async () => {
    pki = await createTestPki();
    m = await startTestMember('cli-tls', { tls: pki });
  });
  after(async () => {
    await m?.stop();
    await pki?.remove();
  });

  it('--cacert, --cert and --key reach a member that requires client certificates', async () => {
    const mtls = ['--cacert', pki.caFile, '--cert', pki.peer.certFile, '--key', pki.peer.keyFile];
    const put = await run(['put', 'tls/k', 'v', ...mtls]);
    expect(put.code, put.stderr).to.equal(0);
    const get = await run(['get', 'tls/k', '--print-value-only', ...mtls]);
    expect(get.stdout).to.equal('v\n');
  });

  it('CONCORD_CACERT, CONCORD_CERT and CONCORD_KEY do the same; the flag wins over its variable', async () => {
    const env = {
      CONCORD_CACERT: pki.caFile,
      CONCORD_CERT: pki.peer.certFile,
      CONCORD_KEY: pki.peer.keyFile,
    };
    const viaEnv = await run(['get', 'tls/k', '--print-value-only'], env);
    expect(viaEnv.code, viaEnv.stderr).to.equal(0);
    expect(viaEnv.stdout).to.equal('v\n');
    // The variable names a CA that did not sign the member's certificate; the flag names the right one.
    const strangerCa = { ...env, CONCORD_CACERT: pki.otherCaFile };
    expect((await run(['get', 'tls/k'], strangerCa)).code).to.not.equal(0);
    const flagWins = await run(['get', 'tls/k', '--print-value-only', '--cacert', pki.caFile], strangerCa);
    expect(flagWins.code, flagWins.stderr).to.equal(0);
  });

  it('CONCORD_INSECURE_SKIP_TLS_VERIFY is a boolean: false verifies, true skips, junk is a usage error', async () => {
    const env = { CONCORD_CERT: pki.peer.certFile, CONCORD_KEY: pki.peer.keyFile };
    // No CA given: the member's certificate cannot be verified unless verification is skipped.
    expect((await run(['get', 'tls/k'], env)).code).to.equal(3);
    const no = await run(['get', 'tls/k'], { ...env, CONCORD_INSECURE_SKIP_TLS_VERIFY: 'false' });
    expect(no.code, `verification must stay on: ${no.stdout}`).to.equal(3);
    const yes = await run(['get', 'tls/k', '--print-value-only'], {
      ...env,
      CONCORD_INSECURE_SKIP_TLS_VERIFY: 'true',
    });
    expect(yes.code, yes.stderr).to.equal(0);
    expect(yes.stdout).to.equal('v\n');
    const flag = await run(['get', 'tls/k', '--print-value-only', '--insecure-skip-tls-verify'], {
      ...env,
      CONCORD_INSECURE_SKIP_TLS_VERIFY: 'false',
    });
    expect(flag.code, flag.stderr).to.equal(0);
    const junk = await run(['get', 'tls/k'], { ...env, CONCORD_INSECURE_SKIP_TLS_VERIFY: 'perhaps' });
    expect(junk.code).to.equal(2);
    expect(junk.stderr).to.include('CONCORD_INSECURE_SKIP_TLS_VERIFY=perhaps: expected true or false');
  });
});
