/**
 * The etcd-compatible JSON gateway, driven with the bodies of etcd's documented curl examples
 * (Documentation/dev-guide/api_grpc_gateway.md), plus /health, /metrics and /version.
 */
import { expect } from 'chai';
import {
  gatewayCode,
  openLineStream,
  post,
  startTestServer,
  unb64,
  type Json,
  type TestServer,
} from './helpers.js';
import { CodedError } from './fake-backend.js';

const HEADER = { cluster_id: '11', member_id: '22', raft_term: '3' };

describe('HttpGateway', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer({ maxRequestBytes: 16 * 1024, maxFrameBytes: 100_000 });
    url = server.url;
  });
  afterEach(async () => server.stop());

  describe('POST /v3/kv/*', () => {
    it('puts and reads with etcd bodies and answers etcd JSON', async () => {
      const put = await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      expect(put.status).to.equal(200);
      expect(put.text).to.equal(
        '{"header":{"cluster_id":"11","member_id":"22","revision":"2","raft_term":"3"}}',
      );
      const range = await post(url, '/v3/kv/range', { key: 'Zm9v' });
      expect(range.text).to.equal(
        '{"header":{"cluster_id":"11","member_id":"22","revision":"2","raft_term":"3"},' +
          '"kvs":[{"key":"Zm9v","create_revision":"2","mod_revision":"2","version":"1","value":"YmFy"}],"count":"1"}',
      );
    });

    it('runs etcd documented txns (lowerCamelCase requests, snake_case answers)', async () => {
      const create = await post(url, '/v3/kv/txn', {
        compare: [{ target: 'CREATE', key: 'Zm9v', createRevision: '0' }],
        success: [{ requestPut: { key: 'Zm9v', value: 'YmFy' } }],
        failure: [{ requestRange: { key: 'Zm9v' } }],
      });
      expect(create.status).to.equal(200);
      expect(create.json['succeeded']).to.equal(true);
      expect(Object.keys((create.json['responses'] as Json[])[0] as Json)).to.deep.equal(['response_put']);
      const version = await post(url, '/v3/kv/txn', {
        compare: [{ version: '4', result: 'EQUAL', target: 'VERSION', key: 'Zm9v' }],
        success: [{ requestRange: { key: 'Zm9v' } }],
      });
      expect(version.json['succeeded']).to.equal(undefined); // false is the default: omitted
    });

    it('serves prefix ranges, deleterange with prev_kv, and compaction', async () => {
      for (const k of ['foo1', 'foo2', 'fop'])
        await post(url, '/v3/kv/put', { key: Buffer.from(k).toString('base64'), value: 'YmFy' });
      const prefix = await post(url, '/v3/kv/range', {
        key: 'Zm9v',
        range_end: 'Zm9w',
        sort_order: 'DESCEND',
        keys_only: true,
      });
      expect((prefix.json['kvs'] as Json[]).map((kv) => unb64(kv['key']))).to.deep.equal(['foo2', 'foo1']);
      const del = await post(url, '/v3/kv/deleterange', { key: 'Zm9v', range_end: 'Zm9w', prev_kv: true });
      expect(del.json['deleted']).to.equal('2');
      expect(del.json['prev_kvs']).to.have.length(2);
      const compact = await post(url, '/v3/kv/compaction', { revision: '3' });
      expect(compact.status).to.equal(200);
      const old = await post(url, '/v3/kv/range', { key: 'Zm9v', revision: '2' });
      expect(old.status).to.equal(400);
      expect(old.json).to.deep.include({
        error: 'etcdserver: mvcc: required revision has been compacted',
        code: 11,
        message: 'etcdserver: mvcc: required revision has been compacted',
      });
      expect(gatewayCode(old.json)).to.equal('COMPACTED');
      expect((old.json['details'] as Json[])[0]).to.deep.include({
        '@type': 'type.googleapis.com/concord.v1.ErrorInfo',
        details: { compact_revision: 3 },
      });
    });

    it('accepts the deprecated /v3beta/ prefix', async () => {
      expect((await post(url, '/v3beta/kv/put', { key: 'Zm9v', value: 'YmFy' })).status).to.equal(200);
    });
  });

  describe('POST /v3/lease/*', () => {
    it('grants, keeps alive, inspects, lists and revokes (and the /v3/kv/lease aliases)', async () => {
      const grant = await post(url, '/v3/lease/grant', { TTL: 30 });
      expect(grant.json).to.deep.include({ TTL: '30' });
      const id = grant.json['ID'] as string;
      await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy', lease: id });
      const ka = await post(url, '/v3/lease/keepalive', { ID: id });
      expect(ka.text.endsWith('\n')).to.equal(true);
      expect(JSON.parse(ka.text)).to.deep.equal({
        result: { header: { ...HEADER, revision: '2' }, ID: id, TTL: '30' },
      });
      const ttl = await post(url, '/v3/lease/timetolive', { ID: id, keys: true });
      expect(ttl.json).to.deep.include({ ID: id, TTL: '30', grantedTTL: '30', keys: ['Zm9v'] });
      expect((await post(url, '/v3/kv/lease/timetolive', { ID: id })).json).to.deep.include({ TTL: '30' });
      expect((await post(url, '/v3/lease/leases', {})).json['leases']).to.deep.equal([{ ID: id }]);
      expect((await post(url, '/v3/kv/lease/leases', {})).json['leases']).to.deep.equal([{ ID: id }]);
      expect((await post(url, '/v3/kv/lease/revoke', { ID: id })).status).to.equal(200);
      const gone = await post(url, '/v3/lease/revoke', { ID: id });
      expect(gone.status).to.equal(404);
      expect(gone.json).to.deep.include({ code: 5, error: 'etcdserver: requested lease not found' });
    });

    it('answers a keep-alive of an unknown lease with TTL 0 (omitted), as etcd does', async () => {
      const ka = await post(url, '/v3/lease/keepalive', { ID: '999' });
      expect(ka.status).to.equal(200);
      expect(JSON.parse(ka.text)).to.deep.equal({
        result: { header: { ...HEADER, revision: '1' }, ID: '999' },
      });
    });
  });

  describe('POST /v3/cluster and /v3/maintenance', () => {
    it('lists members, reports status and alarms', async () => {
      const members = await post(url, '/v3/cluster/member/list', {});
      expect((members.json['members'] as Json[])[0]).to.deep.include({
        ID: '22',
        peerURLs: ['http://127.0.0.1:2380'],
      });
      const status = await post(url, '/v3/maintenance/status', {});
      expect(status.json).to.deep.include({ leader: '22', raftTerm: '3', dbSize: '4096' });
      const alarm = await post(url, '/v3/maintenance/alarm', { action: 'GET' });
      expect(alarm.status).to.equal(200);
    });

    it('streams a snapshot as lines of results', async () => {
      server.backend.snapshotBytes = new Uint8Array(40_000).fill(7);
      const res = await post(url, '/v3/maintenance/snapshot', {});
      const lines = res.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Json);
      const blobs = lines.map((l) => Buffer.from(String((l['result'] as Json)['blob']), 'base64'));
      expect(Buffer.concat(blobs).length).to.equal(40_000);
      expect((lines.at(-1)?.['result'] as Json)['remaining_bytes']).to.equal(undefined);
    });
  });

  describe('POST /v3/watch', () => {
    it('streams created, then events, and stops the watch when the client goes away', async () => {
      const stream = await openLineStream(url + '/v3/watch', { create_request: { key: 'Zm9v' } });
      expect(stream.status).to.equal(200);
      expect(await stream.next()).to.deep.equal({
        result: { header: { ...HEADER, revision: '1' }, created: true },
      });
      await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      const ev = (await stream.next()) as Json;
      expect(((ev['result'] as Json)['events'] as Json[])[0]).to.deep.equal({
        kv: { key: 'Zm9v', create_revision: '2', mod_revision: '2', version: '1', value: 'YmFy' },
      });
      const ended = server.log.when('gateway watch ended');
      stream.abort();
      await ended;
      expect(server.backend.watcherCount).to.equal(0);
    });

    it('ends the stream with etcd canceled response carrying compact_revision', async () => {
      const stream = await openLineStream(url + '/v3/watch', { create_request: { key: 'Zm9v' } });
      await stream.next();
      server.backend.endWatches(
        new CodedError('COMPACTED', 'mvcc: required revision has been compacted', { compactRevision: 5 }),
      );
      const canceled = (await stream.next()) as Json;
      expect(canceled['result']).to.deep.include({ canceled: true, compact_revision: '5' });
      expect(await stream.next()).to.equal(undefined);
    });

    it('answers a compacted start revision in the stream: created, then canceled with compact_revision', async () => {
      for (let i = 0; i < 3; i++) await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      await post(url, '/v3/kv/compaction', { revision: '3' });
      const stream = await openLineStream(url + '/v3/watch', {
        create_request: { key: 'Zm9v', start_revision: '2' },
      });
      expect(stream.status).to.equal(200);
      expect(((await stream.next()) as Json)['result']).to.deep.include({ created: true });
      expect(((await stream.next()) as Json)['result']).to.deep.include({
        canceled: true,
        compact_revision: '3',
      });
      expect(await stream.next()).to.equal(undefined);
    });
  });

  describe('bad input', () => {
    async function stillServes(): Promise<void> {
      expect((await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' })).status).to.equal(200);
    }

    it('answers malformed JSON with 400 INVALID_ARGUMENT', async () => {
      const res = await post(url, '/v3/kv/put', '{"key": "Zm9v",');
      expect(res.status).to.equal(400);
      expect(res.json['code']).to.equal(3);
      expect(gatewayCode(res.json)).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });

    it('answers a missing key with etcd\'s "key is not provided"', async () => {
      const res = await post(url, '/v3/kv/range', {});
      expect(res.status).to.equal(400);
      expect(res.json['error']).to.equal('etcdserver: key is not provided');
      await stillServes();
    });

    it('answers wrong types with 400 naming the field', async () => {
      const res = await post(url, '/v3/kv/range', { key: 'Zm9v', limit: { many: true } });
      expect(res.status).to.equal(400);
      expect(((res.json['details'] as Json[])[0]?.['details'] as Json)['field']).to.equal('limit');
      await stillServes();
    });

    it('answers an unknown path with 404 and another verb with 405', async () => {
      expect((await post(url, '/v3/kv/frobnicate', {})).status).to.equal(404);
      expect((await fetch(url + '/v3/kv/range')).status).to.equal(405);
      expect((await fetch(url + '/nothing')).status).to.equal(404);
      await stillServes();
    });

    it('answers a body above max_frame_bytes and a request above max_request_bytes with REQUEST_TOO_LARGE', async () => {
      const huge = await post(url, '/v3/kv/put', JSON.stringify({ key: 'Zm9v', value: 'A'.repeat(200_000) }));
      expect(huge.status).to.equal(400);
      expect(gatewayCode(huge.json)).to.equal('REQUEST_TOO_LARGE');
      const big = await post(url, '/v3/kv/put', {
        key: 'Zm9v',
        value: Buffer.alloc(20_000).toString('base64'),
      });
      expect(big.status).to.equal(400);
      expect(big.json['error']).to.equal('etcdserver: request is too large');
      expect(server.backend.calls).to.equal(0);
      await stillServes();
    });

    it('answers a /v3/watch body whose first request is not a WatchRequest with 400', async () => {
      const res = await post(url, '/v3/watch', { cancel_request: { watch_id: '1' }, progress_request: {} });
      expect(res.status).to.equal(400);
      expect(gatewayCode(res.json)).to.equal('INVALID_ARGUMENT');
      expect((await post(url, '/v3/watch', '{"create_request": {"key": "Zm9v"}')).status).to.equal(400);
      await stillServes();
    });
  });

  describe('GET /health, /metrics, /version', () => {
    it('reports health as etcd does', async () => {
      const ok = await fetch(url + '/health');
      expect(ok.status).to.equal(200);
      expect(await ok.json()).to.deep.equal({ health: 'true' });
      server.backend.leaderId = 0;
      const noLeader = await fetch(url + '/health');
      expect(noLeader.status).to.equal(503);
      expect(await noLeader.json()).to.deep.equal({ health: 'false', reason: 'RAFT NO LEADER' });
      server.backend.leaderId = 22;
      server.backend.alarms = ['noSpace'];
      expect(await (await fetch(url + '/health')).json()).to.deep.equal({
        health: 'false',
        reason: 'ALARM NOSPACE',
      });
      server.backend.alarms = [];
      server.backend.ready = false;
      const notReady = await fetch(url + '/health');
      expect(notReady.status).to.equal(503);
      expect(await notReady.json()).to.deep.equal({ health: 'false', reason: 'NOT READY' });
    });

    it('exposes client metrics in the Prometheus text format', async () => {
      const client = await server.client();
      await client.ok('watch.create', { key: 'Zm9v' }, 1);
      await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      await post(url, '/v3/kv/range', {});
      const res = await fetch(url + '/metrics');
      expect(res.headers.get('content-type')).to.match(/^text\/plain; version=0.0.4/);
      const text = await res.text();
      expect(text).to.match(/^concord_client_connections 1$/m);
      expect(text).to.match(/^concord_client_watchers 1$/m);
      expect(text).to.match(
        /^concord_client_requests_total\{transport="http",method="kv.put",code="OK"\} 1$/m,
      );
      expect(text).to.match(
        /^concord_client_requests_total\{transport="http",method="kv.range",code="INVALID_ARGUMENT"\} 1$/m,
      );
      expect(text).to.match(
        /^concord_client_requests_total\{transport="ws",method="watch.create",code="OK"\} 1$/m,
      );
    });

    it('reports versions', async () => {
      const res = await fetch(url + '/version');
      expect(await res.json()).to.deep.equal({
        etcdserver: '3.4.0',
        etcdcluster: '3.4.0',
        concord: '9.9.9-test',
      });
    });
  });
});
