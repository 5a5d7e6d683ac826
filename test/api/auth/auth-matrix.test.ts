/**
 * The permission matrix: users (root; readwrite, read-only and write-only on `app/`; no role) ×
 * operations (read, write, delete, txn inside the prefix and txn with an operation outside, range
 * over the prefix's end, watch, lease revoke with a key attached, lease time-to-live with and
 * without its keys, the lease list while a lease holds a key outside the prefix, compaction,
 * alarms, membership),
 * each expected allowed or denied, over the WebSocket protocol (the SDK) and the gateway. Every
 * denied case then proves, as root, that the keys are unchanged.
 */
import { expect } from 'chai';
import { Client, Cmp, Op, PermissionDeniedError } from '../../../client/index.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';

type UserName = 'root' | 'rw' | 'ro' | 'wo' | 'none';
const USERS: readonly UserName[] = ['root', 'rw', 'ro', 'wo', 'none'];
const pw = (u: UserName): string => `${u}-pw`;

/** What root sets up before a case's operation and removes after it (so "nothing changed" holds). */
interface Fixture {
  readonly leaseId: number;
  cleanup(): Promise<void>;
}

interface Case {
  readonly name: string;
  readonly allowed: readonly UserName[];
  readonly fixture?: (root: Client) => Promise<Fixture>;
  readonly ws: (c: Client, root: Client, fixture: Fixture | undefined) => Promise<unknown>;
  /** The gateway request, when the case has one: path and body (keys in base64). */
  readonly gateway?: {
    readonly path: string;
    readonly body: Record<string, unknown> | ((fixture: Fixture | undefined) => Record<string, unknown>);
  };
}

/** A lease held by root with `key` attached; cleanup revokes it (the key goes with it). */
function leaseHolding(key: string): (root: Client) => Promise<Fixture> {
  return async (root) => {
    const lease = await root.lease.grant(60);
    await root.put(key, 'leased', { lease: lease.id });
    return { leaseId: lease.id, cleanup: () => root.lease.revoke(lease.id) };
  };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const CASES: readonly Case[] = [
  {
    name: 'read app/a',
    allowed: ['root', 'rw', 'ro'],
    ws: (c) => c.get('app/a'),
    gateway: { path: '/v3/kv/range', body: { key: b64('app/a') } },
  },
  {
    name: 'write app/a',
    allowed: ['root', 'rw', 'wo'],
    ws: (c) => c.put('app/a', 'written'),
    gateway: { path: '/v3/kv/put', body: { key: b64('app/a'), value: b64('written') } },
  },
  {
    name: 'delete app/a',
    allowed: ['root', 'rw', 'wo'],
    ws: (c) => c.delete('app/a'),
    gateway: { path: '/v3/kv/deleterange', body: { key: b64('app/a') } },
  },
  {
    name: 'txn inside app/ (compare, put, get)',
    allowed: ['root', 'rw'],
    ws: (c) =>
      c
        .txn()
        .if(Cmp.version('app/a', '>', 0))
        .then(Op.put('app/b', 'txn'))
        .else(Op.get('app/b'))
        .commit(),
    gateway: {
      path: '/v3/kv/txn',
      body: {
        compare: [{ key: b64('app/a'), target: 'VERSION', result: 'GREATER', version: '0' }],
        success: [{ request_put: { key: b64('app/b'), value: b64('txn') } }],
        failure: [{ request_range: { key: b64('app/b') } }],
      },
    },
  },
  {
    name: 'txn with one operation outside app/ (in the branch not taken)',
    allowed: ['root'],
    ws: (c) =>
      c
        .txn()
        .if(Cmp.version('app/a', '>', 0))
        .then(Op.put('app/b', 'txn'))
        .else(Op.put('other', 'txn'))
        .commit(),
    gateway: {
      path: '/v3/kv/txn',
      body: {
        compare: [{ key: b64('app/a'), target: 'VERSION', result: 'GREATER', version: '0' }],
        success: [{ request_put: { key: b64('app/b'), value: b64('txn') } }],
        failure: [{ request_put: { key: b64('other'), value: b64('txn') } }],
      },
    },
  },
  {
    name: 'range over the end of app/',
    allowed: ['root'],
    ws: (c) => c.getRange('app/', 'b'),
    gateway: { path: '/v3/kv/range', body: { key: b64('app/'), range_end: b64('b') } },
  },
  {
    name: 'delete a range over the end of app/',
    allowed: ['root'],
    ws: (c) => c.deleteRange('app/z', 'b'),
    gateway: { path: '/v3/kv/deleterange', body: { key: b64('app/z'), range_end: b64('b') } },
  },
  {
    name: 'watch app/',
    allowed: ['root', 'rw', 'ro'],
    ws: async (c) => {
      await using w = c.watch({ prefix: 'app/' });
      await w.ready();
    },
  },
  {
    name: 'revoke a lease with app/lease attached',
    allowed: ['root', 'rw', 'wo'],
    ws: async (c, root) => {
      const lease = await root.lease.grant(60);
      await root.put('app/lease', 'held', { lease: lease.id });
      try {
        await c.lease.revoke(lease.id);
      } catch (e) {
        await root.lease.revoke(lease.id);
        throw e;
      }
    },
  },
  {
    name: 'lease time-to-live of a lease holding app/lease, with its keys',
    allowed: ['root', 'rw', 'ro'],
    fixture: leaseHolding('app/lease'),
    ws: async (c, _root, f) => {
      const ttl = await c.lease.timeToLive(f!.leaseId, { keys: true });
      expect(ttl.keys.map((k) => Buffer.from(k).toString())).to.deep.equal(['app/lease']);
    },
    gateway: { path: '/v3/lease/timetolive', body: (f) => ({ ID: String(f!.leaseId), keys: true }) },
  },
  {
    name: 'lease time-to-live of a lease holding other/lease, with its keys',
    allowed: ['root'],
    fixture: leaseHolding('other/lease'),
    ws: (c, _root, f) => c.lease.timeToLive(f!.leaseId, { keys: true }),
    gateway: { path: '/v3/lease/timetolive', body: (f) => ({ ID: String(f!.leaseId), keys: true }) },
  },
  {
    name: 'lease time-to-live of a lease holding other/lease, without its keys',
    allowed: ['root', 'rw', 'ro', 'wo', 'none'],
    fixture: leaseHolding('other/lease'),
    ws: (c, _root, f) => c.lease.timeToLive(f!.leaseId),
    gateway: { path: '/v3/lease/timetolive', body: (f) => ({ ID: String(f!.leaseId) }) },
  },
  {
    name: 'the lease list while a lease holds app/lease',
    allowed: ['root', 'rw', 'ro'],
    fixture: leaseHolding('app/lease'),
    ws: async (c, _root, f) => expect(await c.lease.leases()).to.include(f!.leaseId),
    gateway: { path: '/v3/lease/leases', body: {} },
  },
  {
    name: 'the lease list while a lease holds other/lease',
    allowed: ['root'],
    fixture: leaseHolding('other/lease'),
    ws: (c) => c.lease.leases(),
    gateway: { path: '/v3/lease/leases', body: {} },
  },
  {
    name: 'compaction',
    allowed: ['root'],
    ws: async (c, root) => c.compact((await root.getRange('app/a', '')).revision),
    gateway: { path: '/v3/kv/compaction', body: { revision: '1' } },
  },
  {
    name: 'alarm list',
    allowed: ['root'],
    ws: (c) => c.maintenance.alarmList(),
    gateway: { path: '/v3/maintenance/alarm', body: { action: 'GET' } },
  },
  {
    name: 'remove a member (an unknown id: root gets MEMBER_NOT_FOUND)',
    allowed: ['root'],
    ws: async (c) => {
      try {
        await c.cluster.memberRemove(12345);
      } catch (e) {
        if ((e as { code?: string }).code !== 'MEMBER_NOT_FOUND') throw e;
      }
    },
  },
];

describe('the permission matrix over the WebSocket protocol and the gateway', function () {
  this.timeout(180_000);
  let m: TestMember;
  const clients = new Map<UserName, Client>();
  const root = (): Client => clients.get('root')!;

  before(async () => {
    m = await startTestMember('auth-matrix');
    await using admin = new Client({ endpoints: [m.url] });
    for (const u of USERS) await admin.auth.userAdd(u, pw(u));
    await admin.auth.userGrantRole('root', 'root');
    for (const [role, type] of [
      ['rw', 'readwrite'],
      ['ro', 'read'],
      ['wo', 'write'],
    ] as const) {
      await admin.auth.roleAdd(role);
      await admin.auth.roleGrantPermission(role, { type, key: 'app/', prefix: true });
      await admin.auth.userGrantRole(role, role);
    }
    await admin.auth.enable();
    for (const u of USERS)
      clients.set(u, new Client({ endpoints: [m.url], auth: { username: u, password: pw(u) } }));
  });
  after(async () => {
    for (const c of clients.values()) await c.close();
    await m?.stop();
  });

  /** The keys the cases touch, as root reads them. */
  async function snapshot(): Promise<string> {
    const r = await root().getRange('\0', '\0');
    return JSON.stringify(
      r.kvs.map((kv) => [Buffer.from(kv.key).toString(), Buffer.from(kv.value).toString()]),
    );
  }

  async function reset(): Promise<void> {
    await root().put('app/a', 'initial');
    await root().put('app/b', 'initial');
    await root().put('other', 'initial');
  }

  for (const c of CASES) {
    for (const u of USERS) {
      const allowed = c.allowed.includes(u);
      it(`WebSocket: ${u} ${allowed ? 'may' : 'may not'} ${c.name}`, async () => {
        await reset();
        const fixture = await c.fixture?.(root());
        try {
          const before = await snapshot();
          const outcome = await c.ws(clients.get(u)!, root(), fixture).then(
            () => undefined,
            (e: unknown) => e,
          );
          if (allowed) {
            expect(outcome, String(outcome)).to.equal(undefined);
            return;
          }
          expect(outcome, String(outcome)).to.be.instanceOf(PermissionDeniedError);
          expect(await snapshot(), 'nothing changed').to.equal(before);
        } finally {
          await fixture?.cleanup();
        }
      });
    }
    const gw = c.gateway;
    if (gw === undefined) continue;
    for (const u of USERS) {
      const allowed = c.allowed.includes(u);
      it(`gateway: ${u} ${allowed ? 'may' : 'may not'} ${c.name}`, async () => {
        await reset();
        const fixture = await c.fixture?.(root());
        try {
          await gatewayCase(gw, u, allowed, fixture);
        } finally {
          await fixture?.cleanup();
        }
      });
    }
  }

  async function gatewayCase(
    gw: NonNullable<Case['gateway']>,
    u: UserName,
    allowed: boolean,
    fixture: Fixture | undefined,
  ): Promise<void> {
    const before = await snapshot();
    const auth = await fetch(`${m.url}/v3/auth/authenticate`, {
      method: 'POST',
      body: JSON.stringify({ name: u, password: pw(u) }),
    });
    const token = ((await auth.json()) as { token: string }).token;
    // Compaction: at the current revision (an older one may be compacted already).
    const body =
      gw.path === '/v3/kv/compaction'
        ? { revision: String((await root().getRange('app/a', '')).revision) }
        : typeof gw.body === 'function'
          ? gw.body(fixture)
          : gw.body;
    const res = await fetch(`${m.url}${gw.path}`, {
      method: 'POST',
      headers: { authorization: token },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (allowed) {
      expect(res.status, text).to.equal(200);
      return;
    }
    expect(res.status, text).to.equal(403);
    expect(text).to.contain('etcdserver: permission denied');
    expect(await snapshot(), 'nothing changed').to.equal(before);
  }
});
