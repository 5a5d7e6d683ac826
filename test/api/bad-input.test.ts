/**
 * Issue 5's bad-input list over the WebSocket protocol: each case gets its stable code, and the
 * member serves the next request (on the same connection where the frame was parseable, on a new
 * one otherwise).
 */
import { expect } from 'chai';
import { b64, startTestServer, TestClient, type Json, type TestServer } from './helpers.js';

describe('ClientSession bad input', () => {
  let server: TestServer;
  let client: TestClient;

  beforeEach(async () => {
    server = await startTestServer({
      maxRequestBytes: 16 * 1024,
      maxFrameBytes: 100_000,
      maxTxnOps: 4,
      maxTxnDepth: 2,
    });
    client = await server.client();
  });
  afterEach(async () => server.stop());

  async function stillServes(c: TestClient = client): Promise<void> {
    const put = await c.ok('kv.put', { key: b64('alive'), value: b64('yes') });
    expect(put['header']).to.have.property('member_id', '22');
  }

  const errorFrame = (c: TestClient = client): Promise<Json> =>
    c.next((f) => f.type === 'error', 'an error frame');

  context('when a frame is not JSON', () => {
    it('answers an error frame INVALID_ARGUMENT and keeps the connection', async () => {
      client.send('{"type":"request","id":1,');
      expect(((await errorFrame())['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  context('when a frame is JSON but not an object', () => {
    it('answers an error frame for arrays, numbers, strings and null', async () => {
      for (const text of ['[1,2]', '42', '"hello"', 'null']) {
        client.send(text);
        expect(((await errorFrame())['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      }
      await stillServes();
    });
  });

  context('when the frame type is unknown or missing', () => {
    it('answers an error frame naming the type field', async () => {
      client.send({ type: 'subscribe', id: 1 });
      expect((await errorFrame())['error']).to.deep.include({
        code: 'INVALID_ARGUMENT',
        details: { field: 'type' },
      });
      client.send({ id: 2, method: 'kv.range' });
      expect((await errorFrame())['error']).to.deep.include({ details: { field: 'type' } });
      await stillServes();
    });
  });

  context('when a request has no valid id', () => {
    it('answers an error frame naming id for a missing, zero, fractional or string id', async () => {
      for (const id of [undefined, 0, 1.5, '7', -3]) {
        client.send(JSON.stringify({ type: 'request', id, method: 'kv.range', params: { key: b64('a') } }));
        expect((await errorFrame())['error']).to.deep.include({
          code: 'INVALID_ARGUMENT',
          details: { field: 'id' },
        });
      }
      await stillServes();
    });
  });

  context('when the method is unknown', () => {
    it('answers the request with UNIMPLEMENTED naming method', async () => {
      const res = await client.call('kv.frobnicate', {});
      expect(res['error']).to.deep.include({ code: 'UNIMPLEMENTED', details: { field: 'method' } });
      const notString = await client.call(42 as unknown as string, {});
      expect((notString['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  context('when required fields are missing', () => {
    it('answers INVALID_ARGUMENT naming the field', async () => {
      const put = await client.call('kv.put', { value: b64('v') });
      expect(put['error']).to.deep.include({ code: 'INVALID_ARGUMENT', details: { field: 'params.key' } });
      const nested = await client.call('kv.txn', { success: [{ request_put: { value: b64('v') } }] });
      expect((nested['error'] as Json)['details']).to.deep.equal({
        field: 'params.success[0].request_put.key',
      });
      await stillServes();
    });
  });

  context('when fields have the wrong types', () => {
    it('answers INVALID_ARGUMENT naming each field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ key: 123 }, 'params.key'],
        [{ key: b64('a'), limit: 'lots' }, 'params.limit'],
        [{ key: b64('a'), serializable: 'yes' }, 'params.serializable'],
        [{ key: b64('a'), sort_order: 'SIDEWAYS' }, 'params.sort_order'],
        [{ key: b64('a'), revision: '99999999999999999999' }, 'params.revision'],
        [{ key: 'not base64!' }, 'params.key'],
      ];
      for (const [params, field] of cases) {
        const res = await client.call('kv.range', params);
        expect(res['error'], JSON.stringify(params)).to.deep.include({
          code: 'INVALID_ARGUMENT',
          details: { field },
        });
      }
      const notObject = await client.call('kv.range', 'key=a' as unknown as Record<string, unknown>);
      expect((notObject['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  context('when a txn has too many ops or is nested too deep', () => {
    it('answers INVALID_ARGUMENT naming the list or the nested txn', async () => {
      const put = { request_put: { key: b64('k'), value: b64('v') } };
      const many = await client.call('kv.txn', { success: [put, put, put, put, put] });
      expect(many['error']).to.deep.include({
        code: 'INVALID_ARGUMENT',
        details: { field: 'params.success' },
      });
      const deep = await client.call('kv.txn', {
        success: [{ request_txn: { success: [{ request_txn: {} }] } }],
      });
      expect((deep['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  context('when a request is larger than max_request_bytes', () => {
    it('answers REQUEST_TOO_LARGE with the limit and keeps the connection', async () => {
      const res = await client.call('kv.put', {
        key: b64('big'),
        value: Buffer.alloc(20 * 1024).toString('base64'),
      });
      expect(res['error']).to.deep.include({ code: 'REQUEST_TOO_LARGE', details: { limit: 16 * 1024 } });
      expect(server.backend.calls).to.equal(0);
      await stillServes();
    });
  });

  context('when a frame is larger than max_frame_bytes', () => {
    it('closes that connection with 1009 and serves other connections', async () => {
      const other = await server.client();
      client.send('x'.repeat(150_000));
      expect((await client.closed).code).to.equal(1009);
      await stillServes(other);
      await stillServes(await server.client());
    });
  });

  context('when a binary message arrives', () => {
    it('answers an error frame INVALID_ARGUMENT and keeps the connection', async () => {
      client.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff]));
      expect(((await errorFrame())['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  context('when an id is reused while its request is in flight', () => {
    it('drops the duplicate with an error frame naming id and answers the original once', async () => {
      const release = server.backend.hold();
      client.send({ type: 'request', id: 9, method: 'kv.put', params: { key: b64('d'), value: b64('1') } });
      await server.backend.whenActive(1);
      client.send({ type: 'request', id: 9, method: 'kv.put', params: { key: b64('d'), value: b64('2') } });
      expect((await errorFrame())['error']).to.deep.include({ details: { field: 'id' } });
      release();
      await client.next((f) => f.type === 'response' && f.id === 9);
      const range = await client.ok('kv.range', { key: b64('d') });
      expect(((range['kvs'] as Json[])[0] as Json)['version']).to.equal('1');
      expect(client.pending().filter((f) => f.type === 'response' && f.id === 9)).to.deep.equal([]);
    });
  });

  context('when renew or cancel name no open stream', () => {
    it('ignores them', async () => {
      client.send({ type: 'renew', id: 404 });
      client.send({ type: 'cancel', id: 405 });
      await stillServes();
      expect(client.pending()).to.deep.equal([]);
    });
  });

  context('when a second hello arrives', () => {
    it('answers an error frame and stays open', async () => {
      client.send({ type: 'hello', protocol_version: 1 });
      expect(((await errorFrame())['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      await stillServes();
    });
  });

  describe('handshake', () => {
    it('closes with 1002 when the first frame is not a hello', async () => {
      const c = await server.client({ hello: false });
      c.send({ type: 'request', id: 1, method: 'kv.range', params: { key: b64('a') } });
      expect(((await errorFrame(c))['error'] as Json)['code']).to.equal('INVALID_ARGUMENT');
      expect((await c.closed).code).to.equal(1002);
      await stillServes();
    });

    it('closes with 1002 when the hello does not decode', async () => {
      const c = await server.client({ hello: false });
      c.send({ type: 'hello', protocol_version: 'one' });
      expect((await errorFrame(c))['error']).to.deep.include({
        code: 'INVALID_ARGUMENT',
        details: { field: 'protocol_version' },
      });
      expect((await c.closed).code).to.equal(1002);
    });

    it('closes with 1008 and UNSUPPORTED_VERSION for another protocol version', async () => {
      const c = await server.client({ hello: false });
      c.send({ type: 'hello', protocol_version: 2 });
      expect(((await errorFrame(c))['error'] as Json)['code']).to.equal('UNSUPPORTED_VERSION');
      expect((await c.closed).code).to.equal(1008);
    });

    it('refuses an upgrade without a supported subprotocol with HTTP 400', async () => {
      const err = await TestClient.open(server.url, { protocols: ['mqtt'] }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.match(/400/);
      await stillServes();
    });

    it('refuses an upgrade on another path with HTTP 404', async () => {
      const err = await TestClient.open(server.url, { path: '/v3/watch' }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(err?.message).to.match(/404/);
    });
  });
});

describe('ClientSession hello timeout', () => {
  it('closes a connection that sends no hello with 1008', async () => {
    const server = await startTestServer({ helloTimeoutMs: 30 });
    try {
      const c = await server.client({ hello: false });
      expect((await c.closed).code).to.equal(1008);
    } finally {
      await server.stop();
    }
  });
});
