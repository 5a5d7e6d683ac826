/**
 * `concord user|role|auth` as an operator runs them, and `--user` on the other verbs: the real
 * binary as a child process against a real member, etcdctl's sentences, `-w json`, the password
 * read from stdin, and exit status 9 for a refused request (each refused write leaves the key as it
 * was).
 */
import { expect } from 'chai';
import { Client } from '../../client/index.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { ConcordProcess } from './concord-process.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describe('concord user, role and auth verbs', function () {
  this.timeout(180_000);
  let m: TestMember;

  async function run(
    args: readonly string[],
    opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<Run> {
    const p = new ConcordProcess(args, {
      env: { ...process.env, CONCORD_ENDPOINTS: m.url, ...opts.env },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (opts.stdin !== undefined) p.child.stdin!.end(opts.stdin);
    const { code } = await p.exit(60_000);
    return { code, stdout: p.stdout, stderr: p.stderr };
  }
  async function ok(
    args: readonly string[],
    opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
  ): Promise<string> {
    const r = await run(args, opts);
    expect(r.code, `concord ${args.join(' ')}\n${r.stderr}`).to.equal(0);
    return r.stdout;
  }
  const root = ['--user', 'root:rootpw'];

  before(async () => {
    m = await startTestMember('cli-auth');
  });
  after(async () => m?.stop());

  it('sets up users and roles, enables auth, and a limited user gets exactly its prefix', async () => {
    // The password on stdin (no terminal): one line, as `--interactive=false` reads it.
    expect(await ok(['user', 'add', 'root'], { stdin: 'rootpw\n' })).to.equal('User root created\n');
    // etcdctl's `auth enable`: root has no root role yet, so the verb adds and grants it first.
    expect(await ok(['auth', 'enable'])).to.equal('Authentication Enabled\n');

    // Auth is on: without a user the request is refused with status 9 …
    const anon = await run(['put', 'app/x', '1']);
    expect(anon.code).to.equal(9);
    expect(anon.stderr).to.match(/user name is empty/);
    // … and with a wrong password too.
    expect((await run(['get', 'app/x', '--user', 'root:nope'])).code).to.equal(9);

    expect(await ok(['role', 'add', 'app', ...root])).to.equal('Role app created\n');
    expect(await ok(['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix', ...root])).to.equal(
      'Role app updated\n',
    );
    expect(await ok(['role', 'grant-permission', 'app', 'read', 'shared', ...root])).to.equal(
      'Role app updated\n',
    );
    expect(await ok(['role', 'grant-permission', 'app', 'write', 'zz/', '--from-key', ...root])).to.equal(
      'Role app updated\n',
    );
    expect(await ok(['role', 'get', 'app', ...root])).to.equal(
      [
        'Role app',
        'KV Read:',
        '\t[app/, app0) (prefix app/)',
        '\tshared',
        'KV Write:',
        '\t[app/, app0) (prefix app/)',
        '\t[zz/, <open ended>',
        '',
      ].join('\n'),
    );
    const perms = JSON.parse(await ok(['role', 'get', 'app', '-w', 'json', ...root])) as {
      perm: { permType: string; key: string; range_end?: string }[];
    };
    expect(perms.perm.map((p) => p.permType)).to.have.members(['READWRITE', 'READ', 'WRITE']);

    // The new user's password from the flag; another from `name:password`.
    expect(await ok(['user', 'add', 'svc', '--new-user-password', 'svcpw', ...root])).to.equal(
      'User svc created\n',
    );
    expect(await ok(['user', 'add', 'tmp:tmppw', ...root])).to.equal('User tmp created\n');
    expect(await ok(['user', 'grant-role', 'svc', 'app', ...root])).to.equal(
      'Role app is granted to user svc\n',
    );
    expect(await ok(['user', 'get', 'svc', ...root])).to.equal('User: svc\nRoles: app\n');
    expect(await ok(['user', 'get', 'svc', '--detail', ...root])).to.contain('\nRole app\nKV Read:\n');
    expect(await ok(['user', 'list', ...root])).to.equal('root\nsvc\ntmp\n');
    expect(JSON.parse(await ok(['role', 'list', '-w', 'json', ...root]))).to.deep.equal({
      roles: ['app', 'root'],
    });
    expect(await ok(['auth', 'status', ...root])).to.match(
      /^Authentication Status: true\nAuthRevision: \d+\n$/,
    );

    // The limited user, from the environment (CONCORD_USER + CONCORD_PASSWORD), and with a prompt.
    const svc = { CONCORD_USER: 'svc', CONCORD_PASSWORD: 'svcpw' };
    expect(await ok(['put', 'app/x', 'one'], { env: svc })).to.equal('OK\n');
    expect(await ok(['get', 'app/x', '--print-value-only', '--user', 'svc'], { stdin: 'svcpw\n' })).to.equal(
      'one\n',
    );
    const outside = await run(['put', 'other', 'x'], { env: svc });
    expect(outside.code).to.equal(9);
    expect(outside.stderr).to.match(/permission denied/);
    const wide = await run(['get', 'app/', 'b'], { env: svc }); // [app/, b) crosses the prefix's end
    expect(wide.code).to.equal(9);
    expect((await run(['user', 'list'], { env: svc })).code).to.equal(9);
    expect(await ok(['get', 'other', '--count-only', ...root])).to.equal('0\n');

    // Revoking takes effect on the next request.
    expect(await ok(['role', 'revoke-permission', 'app', 'app/', '--prefix', ...root])).to.equal(
      'Permission of range [app/, app0) is revoked from role app\n',
    );
    expect(await ok(['role', 'revoke-permission', 'app', 'shared', ...root])).to.equal(
      'Permission of key shared is revoked from role app\n',
    );
    expect((await run(['put', 'app/x', 'two'], { env: svc })).code).to.equal(9);
    expect(await ok(['get', 'app/x', '--print-value-only', ...root])).to.equal('one\n');

    // A new password: the old one stops working.
    expect(
      await ok(['user', 'passwd', 'tmp', '--interactive=false', ...root], { stdin: 'newpw\n' }),
    ).to.equal('Password updated\n');
    expect((await run(['auth', 'status', '--user', 'tmp:tmppw'])).code).to.equal(9);
    await ok(['auth', 'status', '--user', 'tmp:newpw']);

    expect(await ok(['user', 'revoke-role', 'svc', 'app', ...root])).to.equal(
      'Role app is revoked from user svc\n',
    );
    expect(await ok(['user', 'delete', 'tmp', ...root])).to.equal('User tmp deleted\n');
    expect(await ok(['role', 'delete', 'app', ...root])).to.equal('Role app deleted\n');
    const gone = await run(['user', 'get', 'tmp', ...root]);
    expect(gone.code).to.equal(6);
    expect(await ok(['auth', 'disable', ...root])).to.equal('Authentication Disabled\n');
    expect(await ok(['put', 'other', 'x'])).to.equal('OK\n');
    expect(await ok(['auth', 'status'])).to.match(/^Authentication Status: false\n/);
  });

  it('refuses bad operands before sending anything (status 2)', async () => {
    expect((await run(['role', 'grant-permission', 'r', 'readish', 'k'])).code).to.equal(2);
    expect((await run(['role', 'grant-permission', 'r', 'read', 'k', 'z', '--prefix'])).code).to.equal(2);
    expect((await run(['get', 'k', '--password', 'pw'])).code).to.equal(2);
    expect((await run(['get', 'k', '--user', 'a:b', '--password', 'pw'])).code).to.equal(2);
    // No terminal and nothing on stdin: the prompt cannot be answered.
    const noPw = await run(['user', 'add', 'nobody']);
    expect(noPw.code).to.equal(2);
    const c = new Client({ endpoints: [m.url] });
    try {
      expect(await c.auth.userList()).to.not.include('nobody');
    } finally {
      await c.close();
    }
  });

  it('adds a user without a password (certificate-only)', async () => {
    expect(await ok(['user', 'add', 'certonly', '--no-password'])).to.equal('User certonly created\n');
    expect(await ok(['user', 'get', 'certonly'])).to.equal('User: certonly\nRoles:\n');
    await ok(['user', 'delete', 'certonly']);
  });
});
