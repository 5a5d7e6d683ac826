/**
 * Access control on the WebSocket protocol and on the gRPC door, with etcd's own clients: the
 * `etcd3` npm client (credentials in its options, roles and users through its API) and etcdctl
 * (`--user root:pw user add / role add / role grant-permission / user grant-role / auth enable`,
 * then put/get as a limited user), on one member.
 */
import { expect } from 'chai';
import { Etcd3 } from 'etcd3';
import { requireEtcdctl, runEtcdctl, type EtcdctlRun } from '../../helpers/etcdctl.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';
import { b64, TestClient, unb64, type Json } from '../helpers.js';

async function hello(url: string, token?: string): Promise<TestClient> {
  const c = await TestClient.open(url, { hello: false });
  const frame: Json = { type: 'hello', protocol_version: 1, client_name: 'auth-test' };
  if (token !== undefined) frame['auth_token'] = token;
  c.send(frame);
  c.welcome = await c.next((f) => f.type === 'welcome');
  return c;
}

const errorCode = (res: Json): unknown => (res['error'] as Json | undefined)?.['code'];

describe('auth on the WebSocket protocol and the gRPC door', function () {
  this.timeout(120_000);
  let m: TestMember;
  let hostPort: string;

  before(async () => {
    m = await startTestMember('doorsauth');
    hostPort = m.url.replace(/^http:\/\//, '');
  });
  after(async () => m?.stop());

  describe('WebSocket', () => {
    let admin: TestClient;
    before(async () => {
      admin = await hello(m.url);
      await admin.ok('auth.userAdd', { name: 'root', password: 'rootpw' });
      await admin.ok('auth.userGrantRole', { user: 'root', role: 'root' });
      await admin.ok('auth.roleAdd', { name: 'ws' });
      await admin.ok('auth.roleGrantPermission', {
        name: 'ws',
        perm: { permType: 'READWRITE', key: b64('ws/'), range_end: b64('ws0') },
      });
      await admin.ok('auth.userAdd', { name: 'wsuser', password: 'wspw' });
      await admin.ok('auth.userGrantRole', { user: 'wsuser', role: 'ws' });
      await admin.ok('kv.put', { key: b64('secret'), value: b64('s') });
      await admin.ok('auth.enable', {});
    });
    after(() => admin?.close());

    it('refuses every request of a socket without a token with USER_EMPTY', async () => {
      const c = await hello(m.url);
      expect(errorCode(await c.call('kv.range', { key: b64('ws/a') }))).to.equal('USER_EMPTY');
      expect(errorCode(await c.call('kv.put', { key: b64('ws/a'), value: b64('x') }))).to.equal('USER_EMPTY');
      expect(errorCode(await c.call('watch.create', { key: b64('ws/a') }))).to.equal('USER_EMPTY');
      c.close();
    });

    it('refuses a forged hello token with UNAUTHENTICATED', async () => {
      const c = await hello(m.url, 'forged.1');
      expect(errorCode(await c.call('kv.range', { key: b64('ws/a') }))).to.equal('UNAUTHENTICATED');
      c.close();
    });

    it('authenticates on the socket with auth.authenticate, then checks every request', async () => {
      const c = await hello(m.url);
      const auth = await c.ok('auth.authenticate', { name: 'wsuser', password: 'wspw' });
      expect(auth['token']).to.be.a('string');
      await c.ok('kv.put', { key: b64('ws/a'), value: b64('1') });
      const got = await c.ok('kv.range', { key: b64('ws/a') });
      expect(unb64((got['kvs'] as Json[])[0]?.['value'])).to.equal('1');
      expect(errorCode(await c.call('kv.range', { key: b64('secret') }))).to.equal('PERMISSION_DENIED');
      // A watch is checked at creation against its whole range.
      expect(errorCode(await c.call('watch.create', { key: b64('ws/'), range_end: b64('\0') }))).to.equal(
        'PERMISSION_DENIED',
      );
      expect(await c.call('watch.create', { key: b64('ws/'), range_end: b64('ws0') })).to.not.have.property(
        'error',
      );
      c.close();
    });

    it('accepts a token in the hello, and one that names a deleted user no more', async () => {
      const root = await hello(m.url);
      const rootToken = (await root.ok('auth.authenticate', { name: 'root', password: 'rootpw' }))[
        'token'
      ] as string;
      await root.ok('auth.userAdd', { name: 'temp', password: 'temppw' });
      await root.ok('auth.userGrantRole', { user: 'temp', role: 'ws' });
      const probe = await hello(m.url);
      const token = (await probe.ok('auth.authenticate', { name: 'temp', password: 'temppw' }))[
        'token'
      ] as string;
      const c = await hello(m.url, token);
      await c.ok('kv.range', { key: b64('ws/a') });
      const viaRoot = await hello(m.url, rootToken);
      await viaRoot.ok('auth.userDelete', { name: 'temp' });
      expect(errorCode(await c.call('kv.range', { key: b64('ws/a') }))).to.equal('UNAUTHENTICATED');
      for (const x of [root, probe, c, viaRoot]) x.close();
    });
  });

  describe('gRPC with the etcd3 client', () => {
    it('authenticates from its options, serves its prefix and refuses outside it', async () => {
      const user = new Etcd3({ hosts: hostPort, auth: { username: 'wsuser', password: 'wspw' } });
      try {
        await user.put('ws/grpc').value('g');
        expect(await user.get('ws/grpc').string()).to.equal('g');
        const denied = await user
          .get('secret')
          .string()
          .then(
            () => undefined,
            (err: Error) => err,
          );
        expect(denied?.message).to.match(/permission denied/);
      } finally {
        user.close();
      }
    });

    it("answers LeaseTimeToLive with keys and LeaseLeases only to a user who may read the leases' keys", async () => {
      const root = new Etcd3({ hosts: hostPort, auth: { username: 'root', password: 'rootpw' } });
      const user = new Etcd3({ hosts: hostPort, auth: { username: 'wsuser', password: 'wspw' } });
      const lease = root.lease(60, { autoKeepAlive: false });
      try {
        await lease.put('secret/leased').value('x');
        const ID = await lease.grant();
        const refusal = (p: Promise<unknown>): Promise<string | undefined> =>
          p.then(
            () => undefined,
            (err: Error) => err.message,
          );
        expect(await refusal(user.leaseClient.leaseTimeToLive({ ID, keys: true }))).to.match(
          /permission denied/,
        );
        expect(await refusal(user.leaseClient.leaseLeases())).to.match(/permission denied/);
        // Without its keys the answer names nothing: any authenticated user gets it, as in etcd.
        expect(Number((await user.leaseClient.leaseTimeToLive({ ID })).TTL)).to.be.greaterThan(0);
        const asRoot = await root.leaseClient.leaseTimeToLive({ ID, keys: true });
        expect(asRoot.keys.map((k) => Buffer.from(k).toString())).to.deep.equal(['secret/leased']);
      } finally {
        await lease.revoke();
        user.close();
        root.close();
      }
    });

    it('manages users and roles through the Auth service as root', async () => {
      const root = new Etcd3({ hosts: hostPort, auth: { username: 'root', password: 'rootpw' } });
      try {
        await root.role('grpcrole').create();
        await root.role('grpcrole').grant({ permission: 'Read', range: root.range({ prefix: 'g/' }) });
        await root.user('grpcuser').create('gpw');
        await root.user('grpcuser').addRole('grpcrole');
        expect((await root.user('grpcuser').roles()).map((r) => r.name)).to.deep.equal(['grpcrole']);
        const perms = await root.role('grpcrole').permissions();
        expect(perms.map((p) => p.permission)).to.deep.equal(['Read']);
      } finally {
        root.close();
      }
      const noAuth = new Etcd3({ hosts: hostPort });
      try {
        const err = await noAuth
          .get('ws/a')
          .string()
          .then(
            () => undefined,
            (e: Error) => e,
          );
        expect(err?.message).to.match(/user name is empty/);
      } finally {
        noAuth.close();
      }
    });
  });

  describe('etcdctl', () => {
    let ctl: TestMember;
    before(async function () {
      requireEtcdctl(this);
      ctl = await startTestMember('ctlauth');
    });
    after(async () => ctl?.stop());

    function etcdctl(args: readonly string[]): Promise<EtcdctlRun> {
      return runEtcdctl([ctl.url.replace(/^http:\/\//, '')], args);
    }

    it('runs the user/role/auth verbs, then put/get as a limited user, as against etcd', async () => {
      const ok = async (args: string[]): Promise<string> => {
        const r = await etcdctl(args);
        expect(r.code, `etcdctl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
        return r.stdout;
      };
      expect((await etcdctl(['auth', 'enable'])).stderr).to.include('etcdserver: root user does not exist');
      expect(await ok(['user', 'add', 'root:rootpw', '--interactive=false'])).to.include('User root created');
      expect(await ok(['auth', 'enable'])).to.include('Authentication Enabled');
      const asRoot = ['--user', 'root:rootpw'];
      expect((await etcdctl(['user', 'list'])).stderr).to.include('etcdserver: user name is empty');
      expect(await ok([...asRoot, 'user', 'list'])).to.equal('root\n');
      expect(await ok([...asRoot, 'user', 'add', 'carol:carolpw', '--interactive=false'])).to.include(
        'User carol created',
      );
      expect(await ok([...asRoot, 'role', 'add', 'app'])).to.include('Role app created');
      expect(
        await ok([...asRoot, 'role', 'grant-permission', 'app', '--prefix=true', 'readwrite', 'app/']),
      ).to.include('Role app updated');
      expect(await ok([...asRoot, 'user', 'grant-role', 'carol', 'app'])).to.include(
        'Role app is granted to user carol',
      );
      const asCarol = ['--user', 'carol:carolpw'];
      expect(await ok([...asCarol, 'put', 'app/k', 'v'])).to.equal('OK\n');
      expect(await ok([...asCarol, 'get', 'app/k', '--print-value-only'])).to.equal('v\n');
      const denied = await etcdctl([...asCarol, 'put', 'other', 'v']);
      expect(denied.code).to.not.equal(0);
      expect(denied.stderr).to.include('etcdserver: permission denied');
      const wrong = await etcdctl(['--user', 'carol:wrong', 'get', 'app/k']);
      expect(wrong.stderr).to.include('etcdserver: authentication failed, invalid user ID or password');
      expect(await ok([...asRoot, 'role', 'get', 'app'])).to.include('[app/, app0) (prefix app/)');
      expect(await ok([...asRoot, 'auth', 'disable'])).to.include('Authentication Disabled');
    });
  });
});
