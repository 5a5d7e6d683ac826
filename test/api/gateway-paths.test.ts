/**
 * Every path of etcd 3.4's JSON gateway (the `google.api.http` bindings of its rpc.proto,
 * v3lock.proto and v3election.proto) is served by a member: none answers the gateway's unknown
 * path reply (404 "Not Found"), 405 or 501. Each is posted a small body, so an answer may be an
 * error of the method itself (400 for a missing field, 404 for an unknown lease, as etcd maps
 * NOT_FOUND): what counts is that a handler read the request. Streams (watch, keep-alive,
 * snapshot, observe) are closed once their headers arrive.
 */
import { expect } from 'chai';
import { CONCURRENCY_UNARY, OBSERVE_GATEWAY_PATH } from '../../server/api/concurrency/services.js';
import { CONCURRENCY_PREFIXES } from '../../server/api/http-gateway.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

/** etcd 3.4's gateway paths (46 bindings, plus the three lease paths' /v3/kv/lease aliases). */
const ETCD_34_GATEWAY_PATHS = [
  '/v3/kv/range',
  '/v3/kv/put',
  '/v3/kv/deleterange',
  '/v3/kv/txn',
  '/v3/kv/compaction',
  '/v3/watch',
  '/v3/lease/grant',
  '/v3/lease/revoke',
  '/v3/kv/lease/revoke',
  '/v3/lease/keepalive',
  '/v3/lease/timetolive',
  '/v3/kv/lease/timetolive',
  '/v3/lease/leases',
  '/v3/kv/lease/leases',
  '/v3/cluster/member/add',
  '/v3/cluster/member/remove',
  '/v3/cluster/member/update',
  '/v3/cluster/member/list',
  '/v3/cluster/member/promote',
  '/v3/maintenance/alarm',
  '/v3/maintenance/status',
  '/v3/maintenance/defragment',
  '/v3/maintenance/hash',
  '/v3/maintenance/hashkv',
  '/v3/maintenance/snapshot',
  '/v3/maintenance/transfer-leadership',
  '/v3/auth/enable',
  '/v3/auth/disable',
  '/v3/auth/authenticate',
  '/v3/auth/user/add',
  '/v3/auth/user/get',
  '/v3/auth/user/list',
  '/v3/auth/user/delete',
  '/v3/auth/user/changepw',
  '/v3/auth/user/grant',
  '/v3/auth/user/revoke',
  '/v3/auth/role/add',
  '/v3/auth/role/get',
  '/v3/auth/role/list',
  '/v3/auth/role/delete',
  '/v3/auth/role/grant',
  '/v3/auth/role/revoke',
  '/v3/lock/lock',
  '/v3/lock/unlock',
  '/v3/election/campaign',
  '/v3/election/proclaim',
  '/v3/election/leader',
  '/v3/election/observe',
  '/v3/election/resign',
] as const;

/** Bodies for the paths whose empty body would wait (a lock, a campaign) or stream forever. */
const BODIES: Partial<Record<(typeof ETCD_34_GATEWAY_PATHS)[number], unknown>> = {
  '/v3/watch': { create_request: { key: 'Zm9v' } },
  // An unknown lease: refused at once instead of waiting for a lock or a campaign.
  '/v3/lock/lock': { name: 'bA==', lease: '12345' },
  '/v3/election/campaign': { name: 'ZQ==', lease: '12345', value: 'dg==' },
  '/v3/election/observe': { name: 'ZQ==' },
};

describe('the JSON gateway serves every etcd 3.4 path', function () {
  this.timeout(60_000);
  let m: TestMember;
  before(async () => {
    m = await startTestMember('gateway-paths');
  });
  after(async () => m?.stop());

  for (const path of ETCD_34_GATEWAY_PATHS) {
    it(path, async () => {
      const abort = new AbortController();
      const res = await fetch(m.url + path, {
        method: 'POST',
        body: JSON.stringify(BODIES[path] ?? {}),
        signal: abort.signal,
      });
      const streamed = (res.headers.get('cache-control') ?? '') === 'no-cache';
      const text = streamed ? '' : await res.text();
      // A stream: its status is enough; stop reading.
      abort.abort();
      await res.body?.cancel().catch(() => undefined);
      expect(res.status, `${path} answered ${res.status}`).to.not.be.oneOf([405, 501]);
      if (res.status === 404) {
        const body = JSON.parse(text) as { message?: string };
        expect(body.message, `${path} is not routed`).to.not.equal('Not Found');
      }
    });
  }
});

describe('CONCURRENCY_PREFIXES', () => {
  it('holds every gateway path of the lock and election services (only those load them)', () => {
    const paths = [...Object.values(CONCURRENCY_UNARY).map((e) => e.gatewayPath), OBSERVE_GATEWAY_PATH];
    expect(paths).to.have.length.above(5);
    for (const path of paths)
      expect(
        CONCURRENCY_PREFIXES.some((p) => path.startsWith(p)),
        path,
      ).to.equal(true);
  });
});
