/**
 * The gateway answers what etcd's gateway answers, in the cases a new user meets first: strict
 * base64 in bytes fields, `lease/timetolive` of a lease that is not there, and the `/v3/watch`
 * stream with several requests in one body or a compacted start revision.
 *
 * The expected answers were taken from a real etcd 3.4.23 (Debian's etcd-server, one member on
 * loopback, `curl -X POST ... -d BODY`); they are quoted as ETCD_* fixtures below. The tests do not
 * need etcd: they run against the fake backend (test/api/fake-backend.ts) and one in-process
 * Concord member. Revisions are read from responses, never assumed.
 */
import { expect } from 'chai';
import { request } from 'node:http';
import { Client } from '../../client/index.js';
import type { MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import {
  b64,
  gatewayCode,
  openLineStream,
  post,
  startTestServer,
  TestClient,
  type Json,
  type LineStream,
  type TestServer,
} from './helpers.js';

/**
 * etcd 3.4.23's answers to `{"key": TEXT}` on /v3/kv/range: 400 with
 * `{"error":"illegal base64 data at input byte N","message":"...","code":3}` (Go's
 * encoding/base64 StdEncoding behind encoding/json), N per input.
 */
const ETCD_REFUSED_BASE64: readonly (readonly [text: string, offset: number])[] = [
  ['foo', 0], // a length that is not a multiple of 4: the incomplete quantum's first byte
  ['Zm9', 0],
  ['Zg', 0],
  ['Z', 0],
  ['Zg=', 3], // "==" missing its second "=": the end of the input
  ['Z===', 1], // padding after one character
  ['Zm=v', 2], // "=" not followed by "="
  ['Zm9=v', 4], // something after the padding
  ['Zg==Zg==', 4],
  ['Zm9vYmFy=', 8],
  ['=Zm9', 0],
  ['Zm9v!', 4],
  ['Zm9vYmFyYmF6cXV4Zm9v!', 20],
  ['-_-_', 0], // the URL-safe alphabet is not accepted
  ['é', 0],
  ['Zm9vé', 4],
];

/** What etcd 3.4.23 accepts besides canonical text, and the bytes it reads. */
const ETCD_ACCEPTED_BASE64: readonly (readonly [text: string, bytes: string])[] = [
  ['Zh==', 'f'], // bits beyond the data are ignored
  ['Zm9v\n', 'foo'], // line breaks are skipped
  ['Z\r\nm9v', 'foo'],
];

/**
 * etcd 3.4.23, `/v3/lease/timetolive` of a lease it does not have (never granted, revoked or
 * expired), header elided: `{"header":{...},"ID":"12345","TTL":"-1"}` (200).
 */
const ETCD_UNKNOWN_LEASE_TTL = { ID: '12345', TTL: '-1' };

/**
 * etcd 3.4.23, `/v3/watch` with the body
 * `{"create_request":{"key":"YQ=="}} {"create_request":{"key":"Yg==","start_revision":"6"}}
 *  {"progress_request":{}}{"cancel_request":{"watch_id":"0"}} {"cancel_request":{"watch_id":"7"}}`
 * (headers elided; the stream stayed open afterwards):
 *   {"result":{"header":{...},"created":true}}
 *   {"result":{"header":{...},"watch_id":"1","created":true}}
 *   {"result":{"header":{...},"watch_id":"-1"}}
 *   {"result":{"header":{...},"canceled":true}}
 * With a start revision below the compaction (compacted at 5, start 2):
 *   {"result":{"header":{...},"created":true}}
 *   {"result":{"header":{... no revision},"canceled":true,"compact_revision":"5"}}
 * (Concord also gives the header's revision and the cancel_reason etcd's client reports.) A second
 * create with `watch_id` 3 while 3 is open:
 *   {"result":{"header":{...},"watch_id":"-1","created":true,"canceled":true,
 *              "cancel_reason":"mvcc: duplicate watch ID provided on the WatchStream"}}
 */
const ETCD_COMPACTED_REASON = 'etcdserver: mvcc: required revision has been compacted';

/** `/v3/watch` with a body sent as written; `next()` gives each line's `result`. */
async function openStream(url: string, body: string): Promise<LineStream> {
  const stream = await openLineStream(url + '/v3/watch', body);
  return {
    status: stream.status,
    abort: () => stream.abort(),
    next: async () => (await stream.next())?.['result'] as Json | undefined,
  };
}

const revisionOf = (json: Json): number => Number((json['header'] as Json)['revision'] ?? 0);
const withoutHeader = (result: Json | undefined): Json => {
  const { header: _header, ...rest } = result ?? { missing: true };
  return rest;
};

describe('Gateway compatibility with etcd (fake backend)', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
  });
  afterEach(async () => server.stop());

  describe('bytes fields (base64)', () => {
    for (const [text, offset] of ETCD_REFUSED_BASE64) {
      it(`refuses ${JSON.stringify(text)} with "illegal base64 data at input byte ${offset}"`, async () => {
        const res = await post(url, '/v3/kv/put', { key: text, value: 'YmFy' });
        expect(res.status).to.equal(400);
        const message = `illegal base64 data at input byte ${offset}`;
        expect(res.json).to.deep.include({ error: message, code: 3, message });
        expect(gatewayCode(res.json)).to.equal('INVALID_ARGUMENT');
        expect(server.backend.calls).to.equal(0);
      });
    }

    it('stores nothing under other bytes when a key is not base64', async () => {
      const before = await post(url, '/v3/kv/range', { key: 'AA==', range_end: 'AA==' });
      expect((await post(url, '/v3/kv/put', { key: 'foo', value: 'YmFy' })).status).to.equal(400);
      const after = await post(url, '/v3/kv/range', { key: 'AA==', range_end: 'AA==' });
      expect(revisionOf(after.json)).to.equal(revisionOf(before.json));
      expect(after.json['kvs']).to.equal(undefined);
    });

    it('accepts what etcd accepts and reads the same bytes', async () => {
      for (const [text, bytes] of ETCD_ACCEPTED_BASE64) {
        const put = await post(url, '/v3/kv/put', { key: text, value: b64(text), prev_kv: true });
        expect(put.status, text).to.equal(200);
        const got = await post(url, '/v3/kv/range', { key: b64(bytes) });
        expect(got.json['count'], text).to.equal('1');
      }
    });

    it('checks every bytes field: range_end, value, compare operands, txn operations, watch keys', async () => {
      const refused: [string, unknown][] = [
        ['/v3/kv/range', { key: 'Zm9v', range_end: 'Zm9' }],
        ['/v3/kv/put', { key: 'Zm9v', value: 'bar' }],
        ['/v3/kv/deleterange', { key: 'Zm9v', range_end: 'x' }],
        ['/v3/kv/txn', { compare: [{ target: 'VALUE', key: 'Zm9v', value: 'bar' }] }],
        ['/v3/kv/txn', { compare: [{ target: 'VERSION', key: 'Zm9v', range_end: 'x' }] }],
        ['/v3/kv/txn', { success: [{ request_put: { key: 'Zm9', value: 'YmFy' } }] }],
        ['/v3/kv/txn', { failure: [{ request_range: { key: 'Zm9v', range_end: 'x' } }] }],
        ['/v3/kv/txn', { success: [{ request_txn: { success: [{ request_delete_range: { key: 'a' } }] } }] }],
        ['/v3/watch', { create_request: { key: 'foo' } }],
        ['/v3/watch', { create_request: { key: 'Zm9v', range_end: 'Zm9' } }],
      ];
      for (const [path, body] of refused) {
        const res = await post(url, path, body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.json['error'], JSON.stringify(body)).to.match(/^illegal base64 data at input byte \d+$/);
      }
      expect(server.backend.calls).to.equal(0);
    });
  });

  describe('POST /v3/watch with several requests in one body', () => {
    it('serves create, create, progress and cancel in order, as etcd does', async () => {
      const body =
        '{"create_request":{"key":"YQ=="}} {"create_request":{"key":"Yg=="}}\n' +
        '{"progress_request":{}}{"cancel_request":{"watch_id":"0"}} {"cancel_request":{"watch_id":"7"}}';
      const stream = await openStream(url, body);
      expect(stream.status).to.equal(200);
      expect(withoutHeader(await stream.next())).to.deep.equal({ created: true });
      expect(withoutHeader(await stream.next())).to.deep.equal({ watch_id: '1', created: true });
      expect(withoutHeader(await stream.next())).to.deep.equal({ watch_id: '-1' });
      expect(withoutHeader(await stream.next())).to.deep.equal({ canceled: true });
      // Watch 1 is still open and sees a put of "b"; watch 0 ("a") was canceled.
      await post(url, '/v3/kv/put', { key: 'YQ==', value: 'MQ==' });
      await post(url, '/v3/kv/put', { key: 'Yg==', value: 'Mg==' });
      const events = (await stream.next()) as Json;
      expect(events['watch_id']).to.equal('1');
      expect((events['events'] as Json[]).map((e) => (e['kv'] as Json)['key'])).to.deep.equal(['Yg==']);
      const ended = server.log.when('gateway watch ended');
      stream.abort();
      await ended;
      await eventually('the watch to be canceled', () =>
        server.backend.watcherCount === 0 ? true : undefined,
      );
    });

    it('answers a duplicate watch_id with etcd canceled create (watch_id -1) and numbers the rest', async () => {
      const body =
        '{"create_request":{"key":"YQ==","watch_id":"3"}} {"create_request":{"key":"Yg==","watch_id":"3"}} ' +
        '{"create_request":{"key":"Yg=="}}';
      const stream = await openStream(url, body);
      expect(withoutHeader(await stream.next())).to.deep.equal({ watch_id: '3', created: true });
      expect(withoutHeader(await stream.next())).to.deep.equal({
        watch_id: '-1',
        created: true,
        canceled: true,
        cancel_reason: 'mvcc: duplicate watch ID provided on the WatchStream',
      });
      expect(withoutHeader(await stream.next())).to.deep.equal({ created: true });
      expect(server.backend.watcherCount).to.equal(2);
      stream.abort();
    });

    it('ignores a cancel of a watch that is not open, and ends a stream left without watches', async () => {
      const stream = await openStream(url, '{"cancel_request":{"watch_id":"1"}}');
      expect(stream.status).to.equal(200);
      expect(await stream.next()).to.equal(undefined);
    });

    it('serves the requests before one it cannot read, and ignores the rest (etcd stops reading)', async () => {
      const body =
        '{"create_request":{"key":"YQ=="}} {"create_request":{"key":"foo"}} {"create_request":{"key":"Yg=="}}';
      const stream = await openStream(url, body);
      expect(stream.status).to.equal(200);
      expect(withoutHeader(await stream.next())).to.deep.equal({ created: true });
      expect(server.backend.watcherCount).to.equal(1);
      const ended = server.log.when('gateway watch ended');
      stream.abort();
      await ended;
    });

    it('answers a start revision below the compaction with created, then canceled with compact_revision', async () => {
      const first = await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      const last = await post(url, '/v3/kv/put', { key: 'Zm9v', value: 'YmFy' });
      const compactAt = revisionOf(last.json);
      expect((await post(url, '/v3/kv/compaction', { revision: String(compactAt) })).status).to.equal(200);
      const start = revisionOf(first.json);
      const stream = await openStream(
        url,
        JSON.stringify({ create_request: { key: 'Zm9v', start_revision: String(start) } }),
      );
      expect(stream.status).to.equal(200);
      expect(withoutHeader(await stream.next())).to.deep.equal({ created: true });
      expect(withoutHeader(await stream.next())).to.deep.equal({
        canceled: true,
        compact_revision: String(compactAt),
        cancel_reason: ETCD_COMPACTED_REASON,
      });
      expect(await stream.next()).to.equal(undefined);
    });
  });

  describe('POST /v3/watch ending from the server side', () => {
    /** Reads a whole streamed response body as results. */
    const resultsOf = async (body: Promise<string>): Promise<Json[]> =>
      (await body)
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Json)['result'] as Json);

    it('gives every open watch a canceled line when the member shuts down', async () => {
      const res = await fetch(url + '/v3/watch', {
        method: 'POST',
        body: '{"create_request":{"key":"YQ=="}} {"create_request":{"key":"Yg=="}}',
      });
      const body = res.text();
      await eventually('both watches', () => (server.backend.watcherCount === 2 ? true : undefined));
      await server.api.close();
      const canceled = (await resultsOf(body)).filter((r) => r['canceled'] === true);
      expect(canceled.map((r) => r['watch_id'] ?? '0').sort()).to.deep.equal(['0', '1']);
      for (const r of canceled) expect(r['cancel_reason']).to.equal('member shutting down');
    });

    it('cancels every watch of a client that does not read, and ends the response', async () => {
      await server.stop();
      server = await startTestServer({ maxQueuedWatchBytes: 64 * 1024 });
      url = server.url;
      const lines: string[] = [];
      let resume: () => void = () => undefined;
      const ended = new Promise<void>((resolve) => {
        const req = request(url + '/v3/watch', { method: 'POST' }, (res) => {
          res.setEncoding('utf8');
          res.pause();
          resume = () => res.resume();
          res.on('data', (chunk: string) => lines.push(chunk));
          res.on('end', resolve);
        });
        req.end('{"create_request":{"key":"YQ=="}} {"create_request":{"key":"YQ==","prev_kv":true}}');
      });
      await eventually('both watches', () => (server.backend.watcherCount === 2 ? true : undefined));
      const value = Buffer.alloc(8 * 1024, 7).toString('base64');
      const slow = (): boolean =>
        server.log.lines.some(
          (l) => l.msg === 'gateway watch ended' && l.fields?.['code'] === 'SLOW_WATCHER',
        );
      for (let i = 0; i < 20_000 && !slow(); i++) await post(url, '/v3/kv/put', { key: 'YQ==', value });
      expect(slow()).to.equal(true);
      resume();
      await ended;
      const results = lines
        .join('')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as Json)['result'] as Json);
      const canceled = results.filter((r) => r['canceled'] === true);
      expect(canceled.map((r) => r['watch_id'] ?? '0').sort()).to.deep.equal(['0', '1']);
      for (const r of canceled) expect(r['cancel_reason']).to.match(/could not keep up/);
      expect(server.backend.watcherCount).to.equal(0);
    });
  });

  describe('POST /v3/lease/timetolive', () => {
    it('answers a lease it does not have with 200 and TTL -1', async () => {
      const res = await post(url, '/v3/lease/timetolive', { ID: '12345', keys: true });
      expect(res.status).to.equal(200);
      expect(withoutHeader(res.json)).to.deep.equal(ETCD_UNKNOWN_LEASE_TTL);
    });
  });
});

describe('Gateway and SDK compatibility with etcd (one in-process member)', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  let member: MemberHandle;
  let url: string;

  before(async () => {
    started = await startTestMember('c1');
    ({ member, url } = started);
  });

  after(async () => started?.stop());

  describe('POST /v3/lease/timetolive', () => {
    it('answers a never-granted lease with 200 and TTL -1', async () => {
      const res = await post(url, '/v3/lease/timetolive', { ID: '12345' });
      expect(res.status).to.equal(200);
      expect(withoutHeader(res.json)).to.deep.equal(ETCD_UNKNOWN_LEASE_TTL);
    });

    it('answers a revoked lease with TTL -1, keys or not', async () => {
      const grant = await post(url, '/v3/lease/grant', { TTL: 30 });
      const id = grant.json['ID'] as string;
      await post(url, '/v3/kv/put', { key: b64('leased'), value: 'MQ==', lease: id });
      expect((await post(url, '/v3/lease/revoke', { ID: id })).status).to.equal(200);
      for (const keys of [false, true]) {
        const res = await post(url, '/v3/lease/timetolive', { ID: id, keys });
        expect(res.status).to.equal(200);
        expect(withoutHeader(res.json)).to.deep.equal({ ID: id, TTL: '-1' });
      }
    });

    it('answers an expired lease with TTL -1', async () => {
      const grant = await post(url, '/v3/lease/grant', { TTL: 2 });
      const id = grant.json['ID'] as string;
      const live = await post(url, '/v3/lease/timetolive', { ID: id });
      expect(Number(live.json['TTL'])).to.be.greaterThan(0);
      const gone = await eventually('the lease to expire', async () => {
        const res = await post(url, '/v3/lease/timetolive', { ID: id });
        return res.json['TTL'] === '-1' ? res : undefined;
      });
      expect(gone.status).to.equal(200);
    });
  });

  describe('SDK lease.timeToLive', () => {
    it('returns ttlSec -1 for a lease that was never granted or was revoked, instead of throwing', async () => {
      await using client = new Client({ endpoints: [...member.clientUrls], requestTimeoutMs: 10_000 });
      const unknown = await client.lease.timeToLive(424242);
      expect(unknown).to.deep.include({ id: 424242, ttlSec: -1, grantedTtlSec: 0, keys: [] });
      const grant = await client.lease.grant(30);
      await client.lease.revoke(grant.id);
      expect((await client.lease.timeToLive(grant.id, { keys: true })).ttlSec).to.equal(-1);
    });
  });

  describe('base64', () => {
    it('refuses {"key":"foo"} and writes nothing', async () => {
      const before = await post(url, '/v3/kv/range', { key: 'AA==' });
      const res = await post(url, '/v3/kv/put', { key: 'foo', value: 'YmFy' });
      expect(res.status).to.equal(400);
      expect(res.json).to.deep.include({
        error: 'illegal base64 data at input byte 0',
        message: 'illegal base64 data at input byte 0',
        code: 3,
      });
      const after = await post(url, '/v3/kv/range', { key: 'AA==' });
      expect(revisionOf(after.json)).to.equal(revisionOf(before.json));
    });
  });

  describe('a watch from a compacted revision', () => {
    it('is created then canceled on the gateway, and refused with the same compact revision on the WebSocket', async () => {
      const key = b64('compacted');
      const first = await post(url, '/v3/kv/put', { key, value: 'MQ==' });
      const last = await post(url, '/v3/kv/put', { key, value: 'Mg==' });
      const compactAt = revisionOf(last.json);
      expect((await post(url, '/v3/kv/compaction', { revision: String(compactAt) })).status).to.equal(200);
      const start = String(revisionOf(first.json));

      const stream = await openStream(
        url,
        JSON.stringify({ create_request: { key, start_revision: start } }),
      );
      expect(stream.status).to.equal(200);
      expect(withoutHeader(await stream.next())).to.deep.equal({ created: true });
      const canceled = withoutHeader(await stream.next());
      expect(canceled).to.deep.equal({
        canceled: true,
        compact_revision: String(compactAt),
        cancel_reason: ETCD_COMPACTED_REASON,
      });
      expect(await stream.next()).to.equal(undefined);

      const ws = await TestClient.open(url);
      try {
        const res = await ws.call('watch.create', { key, start_revision: start });
        const error = res['error'] as Json;
        expect(error['code']).to.equal('COMPACTED');
        expect((error['details'] as Json)['compact_revision']).to.equal(compactAt);
      } finally {
        ws.close();
      }
    });
  });
});
