import { expect } from 'chai';
import { b64, startTestServer, unb64, type Json, type TestClient, type TestServer } from './helpers.js';

describe('ClientSession (WebSocket)', () => {
  let server: TestServer;
  let client: TestClient;

  beforeEach(async () => {
    server = await startTestServer();
    client = await server.client();
  });
  afterEach(async () => server.stop());

  describe('handshake', () => {
    it('answers hello with welcome, the header and the limits it enforces', () => {
      const w = client.welcome as Json;
      expect(w['protocol_version']).to.equal(1);
      expect(w['server_version']).to.equal('9.9.9-test');
      expect(w['header']).to.deep.equal({ cluster_id: '11', member_id: '22', revision: '1', raft_term: '3' });
      expect(w['limits']).to.include({
        max_frame_bytes: 8388608,
        max_in_flight_requests: 1024,
        max_txn_ops: 128,
      });
    });

    it('selects the concord.v1.json subprotocol', () => {
      expect(client.ws.protocol).to.equal('concord.v1.json');
    });
  });

  describe('kv methods', () => {
    it('puts, reads, deletes and runs txns with headers on every response', async () => {
      const put = await client.ok('kv.put', { key: b64('foo'), value: b64('bar') });
      expect(put['header']).to.include({ cluster_id: '11', member_id: '22', revision: '2', raft_term: '3' });

      const range = await client.ok('kv.range', { key: b64('foo') });
      expect(range['count']).to.equal('1');
      const kvs = range['kvs'] as Json[];
      expect(unb64(kvs[0]?.['value'])).to.equal('bar');
      expect(kvs[0]).to.include({ create_revision: '2', mod_revision: '2', version: '1' });

      const txn = await client.ok('kv.txn', {
        compare: [{ target: 'VALUE', key: b64('foo'), value: b64('bar') }],
        success: [
          { request_put: { key: b64('foo'), value: b64('baz') } },
          { request_range: { key: b64('foo') } },
        ],
        failure: [],
      });
      expect(txn['succeeded']).to.equal(true);
      const responses = txn['responses'] as Json[];
      expect(Object.keys(responses[0] as Json)).to.deep.equal(['response_put']);
      expect(unb64(((responses[1]?.['response_range'] as Json)['kvs'] as Json[])[0]?.['value'])).to.equal(
        'baz',
      );

      const del = await client.ok('kv.deleteRange', { key: b64('foo'), prev_kv: true });
      expect(del['deleted']).to.equal('1');
      expect(unb64((del['prev_kvs'] as Json[])[0]?.['value'])).to.equal('baz');

      const compact = await client.ok('kv.compact', { revision: '3' });
      expect(compact['header']).to.include({ revision: '4' });
    });

    it('answers many concurrent requests on one connection, each by its id', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => i + 100);
      const responses = await Promise.all(
        ids.map((id) => client.call('kv.put', { key: b64(`k${id}`), value: b64(String(id)) }, id)),
      );
      expect(responses.map((r) => r.id)).to.deep.equal(ids);
      const range = await client.ok('kv.range', { key: b64('k'), range_end: b64('l'), count_only: true });
      expect(range['count']).to.equal('50');
    });

    it('passes backend errors with their stable code and details', async () => {
      await client.ok('kv.put', { key: b64('a'), value: b64('1') });
      await client.ok('kv.put', { key: b64('a'), value: b64('2') });
      await client.ok('kv.compact', { revision: '3' });
      const res = await client.call('kv.range', { key: b64('a'), revision: '2' });
      expect(res['error']).to.deep.include({ code: 'COMPACTED' });
      expect((res['error'] as Json)['details']).to.deep.equal({ compact_revision: 3 });
      const future = await client.call('kv.range', { key: b64('a'), revision: '99' });
      expect((future['error'] as Json)['code']).to.equal('FUTURE_REVISION');
      expect((future['error'] as Json)['details']).to.deep.equal({ current_revision: 3 });
    });
  });

  describe('lease methods', () => {
    it('grants, lists, inspects and revokes a lease', async () => {
      const grant = await client.ok('lease.grant', { TTL: '30' });
      expect(grant['TTL']).to.equal('30');
      const id = grant['ID'] as string;
      await client.ok('kv.put', { key: b64('leased'), value: b64('v'), lease: id });
      const ttl = await client.ok('lease.timeToLive', { ID: id, keys: true });
      expect(ttl).to.include({ ID: id, TTL: '30', grantedTTL: '30' });
      expect((ttl['keys'] as string[]).map(unb64)).to.deep.equal(['leased']);
      const leases = await client.ok('lease.leases');
      expect(leases['leases']).to.deep.equal([{ ID: id }]);
      await client.ok('lease.revoke', { ID: id });
      const range = await client.ok('kv.range', { key: b64('leased') });
      expect(range['count']).to.equal(undefined);
      const again = await client.call('lease.revoke', { ID: id });
      expect((again['error'] as Json)['code']).to.equal('LEASE_NOT_FOUND');
    });
  });

  describe('cluster and maintenance methods', () => {
    it('lists members, reports status and manages alarms', async () => {
      const members = await client.ok('cluster.memberList', {});
      expect((members['members'] as Json[])[0]).to.include({ ID: '22', name: 'm1' });
      const status = await client.ok('maintenance.status');
      expect(status).to.include({ version: '0.1.0', leader: '22', dbSize: '4096' });
      const alarm = await client.ok('maintenance.alarm', { action: 'ACTIVATE', alarm: 'NOSPACE' });
      expect(alarm['alarms']).to.deep.equal([{ memberID: '22', alarm: 'NOSPACE' }]);
    });
  });
});
