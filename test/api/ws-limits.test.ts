/**
 * Per-connection limits: requests in flight, open streams, slow consumers, liveness. Blocking is
 * done with the fake backend's gate and the client's paused socket; waiting is on events (frames,
 * log lines), never on time.
 */
import { expect } from 'chai';
import { b64, startTestServer, type Json, type TestClient, type TestServer } from './helpers.js';

describe('ClientSession limits', () => {
  let server: TestServer;
  afterEach(async () => server.stop());

  describe('max_in_flight_requests', () => {
    it('answers a flood beyond the limit with TOO_MANY_REQUESTS, runs at most the limit, then serves again', async () => {
      server = await startTestServer({ maxInFlightRequests: 8 });
      const client = await server.client();
      const release = server.backend.hold();
      const ids = Array.from({ length: 40 }, (_, i) => i + 1);
      const responses = ids.map((id) =>
        client.next((f) => f.type === 'response' && f.id === id, `response #${id}`),
      );
      for (const id of ids)
        client.send({
          type: 'request',
          id,
          method: 'kv.put',
          params: { key: b64(`f${id}`), value: b64('v') },
        });
      const refused = await Promise.all(responses.slice(8));
      for (const r of refused) {
        expect(r['error']).to.deep.equal({
          code: 'TOO_MANY_REQUESTS',
          message: 'more than 8 requests in flight on this connection',
          details: { limit: 8, retry_after_ms: 100 },
        });
      }
      release();
      const accepted = await Promise.all(responses.slice(0, 8));
      expect(accepted.every((r) => r['result'] !== undefined)).to.equal(true);
      expect(server.backend.maxActive).to.equal(8);
      const count = await client.ok('kv.range', { key: b64('f'), range_end: b64('g'), count_only: true });
      expect(count['count']).to.equal('8');
    });
  });

  describe('max_watches and max_keep_alives', () => {
    it('answers TOO_MANY_STREAMS beyond the limit and accepts again after a cancel', async () => {
      server = await startTestServer({ maxWatches: 2, maxKeepAlives: 1 });
      const client = await server.client();
      await client.ok('watch.create', { key: b64('a') }, 1);
      await client.ok('watch.create', { key: b64('b') }, 2);
      const third = await client.call('watch.create', { key: b64('c') }, 3);
      expect(third['error']).to.deep.include({ code: 'TOO_MANY_STREAMS', details: { limit: 2 } });
      client.send({ type: 'cancel', id: 1 });
      await client.next((f) => f.type === 'end' && f.id === 1);
      expect(await client.ok('watch.create', { key: b64('c') }, 3)).to.include({ created: true });

      const lease = (await client.ok('lease.grant', { TTL: 10 }))['ID'];
      await client.ok('lease.keepAlive', { ID: lease }, 10);
      const second = await client.call('lease.keepAlive', { ID: lease }, 11);
      expect(second['error']).to.deep.include({ code: 'TOO_MANY_STREAMS', details: { limit: 1 } });
    });

    it('counts watches whose create is still in flight', async () => {
      server = await startTestServer({ maxWatches: 1 });
      const client = await server.client();
      const release = server.backend.hold();
      client.send({ type: 'request', id: 1, method: 'watch.create', params: { key: b64('a') } });
      await server.backend.whenActive(1);
      const second = await client.call('watch.create', { key: b64('b') }, 2);
      expect((second['error'] as Json)['code']).to.equal('TOO_MANY_STREAMS');
      release();
      expect((await client.next((f) => f.type === 'response' && f.id === 1))['result']).to.include({
        created: true,
      });
    });

    it('counts a watch whose create is in flight once, not twice', async () => {
      // Regression: a create in flight was counted both as an opening request and as a watch of
      // the hub (which registers it when the create starts), so 950 open watches + 50 creates in
      // flight hit a limit of 1024.
      server = await startTestServer({ maxWatches: 4 });
      const client = await server.client();
      await client.ok('watch.create', { key: b64('a') }, 1);
      const release = server.backend.hold();
      const ids = [2, 3, 4];
      const responses = ids.map((id) => client.next((f) => f.type === 'response' && f.id === id));
      for (const id of ids)
        client.send({ type: 'request', id, method: 'watch.create', params: { key: b64(`k${id}`) } });
      // All three creates are waiting in the backend (or one was refused: the bug).
      await Promise.race([server.backend.whenActive(3), responses[2]]);
      release();
      for (const r of await Promise.all(responses)) {
        expect(r['error'], JSON.stringify(r['error'])).to.equal(undefined);
        expect(r['result']).to.include({ created: true });
      }
      const fifth = await client.call('watch.create', { key: b64('e') }, 5);
      expect((fifth['error'] as Json)['code']).to.equal('TOO_MANY_STREAMS');
    });
  });

  describe('slow consumers', () => {
    const limits = {
      maxRequestBytes: 16 * 1024,
      maxFrameBytes: 100_000,
      outgoingBufferBytes: 64 * 1024,
      maxOutgoingBufferBytes: 400 * 1024,
      maxQueuedWatchBytes: 256 * 1024,
      closeGraceMs: 20_000,
    };
    const value = new Uint8Array(10_000).fill(120);

    async function pausedClient(): Promise<TestClient> {
      const client = await server.client();
      expect(client.socket, 'the client socket').to.not.equal(undefined);
      return client;
    }

    it('ends a watch that the client does not read with SLOW_WATCHER and keeps the connection', async () => {
      server = await startTestServer(limits);
      const client = await pausedClient();
      await client.ok('watch.create', { key: b64('s'), range_end: b64('t') }, 1);
      client.socket?.pause();
      const ended = server.log.when('slow watcher ended');
      let writes = 0;
      // Kernel buffers absorb the first megabytes; the bound is on what the member keeps after that.
      while (!server.log.has('slow watcher ended') && writes < 5000) {
        await server.backend.put(
          {
            key: Buffer.from(`s${writes++}`),
            value,
            lease: 0,
            prevKv: false,
            ignoreValue: false,
            ignoreLease: false,
          },
          {},
        );
      }
      await ended;
      expect(server.backend.watcherCount).to.equal(0);
      client.socket?.resume();
      const end = await client.next((f) => f.type === 'end' && f.id === 1);
      expect(end['error']).to.deep.include({ code: 'SLOW_WATCHER' });
      const received = client.pending().filter((f) => f.type === 'watch').length;
      expect(received).to.be.lessThan(writes);
      expect(await client.ok('kv.range', { key: b64('s0'), keys_only: true })).to.have.property('count', '1');
    });

    it('closes a connection whose unread responses exceed the hard bound with 1008', async () => {
      server = await startTestServer(limits);
      for (let i = 0; i < 6; i++) {
        await server.backend.put(
          {
            key: Buffer.from(`r${i}`),
            value,
            lease: 0,
            prevKv: false,
            ignoreValue: false,
            ignoreLease: false,
          },
          {},
        );
      }
      const client = await pausedClient();
      const release = server.backend.hold();
      for (let id = 1; id <= 600; id++) {
        client.send({
          type: 'request',
          id,
          method: 'kv.range',
          params: { key: b64('r'), range_end: b64('s') },
        });
      }
      await server.backend.whenActive(600);
      client.socket?.pause();
      const closing = server.log.when('closing slow client');
      release();
      await closing;
      client.socket?.resume();
      expect((await client.closed).code).to.equal(1008);
      expect(server.registry.render()).to.match(/^concord_client_slow_consumers_total 1$/m);
      const other = await server.client();
      expect(await other.ok('kv.range', { key: b64('r0'), keys_only: true })).to.have.property('count', '1');
    });
  });

  describe('max_frame_bytes', () => {
    it('answers a response that would exceed the frame limit with RESPONSE_TOO_LARGE and keeps serving', async () => {
      server = await startTestServer({ maxFrameBytes: 200_000, maxRequestBytes: 90_000 });
      const client = await server.client();
      const big = Buffer.alloc(60_000, 0x61); // 80,000 bytes of base64: three of them pass the limit
      for (const key of ['big1', 'big2', 'big3'])
        await client.ok('kv.put', { key: b64(key), value: big.toString('base64') });
      const one = await client.ok('kv.range', { key: b64('big1') });
      expect((one['kvs'] as Json[]).length).to.equal(1);
      const both = await client.call('kv.range', { key: b64('big'), range_end: b64('bih') });
      expect(both['error']).to.deep.include({ code: 'RESPONSE_TOO_LARGE', details: { limit: 200_000 } });
      expect(await client.ok('kv.range', { key: b64('big2'), keys_only: true })).to.have.property(
        'count',
        '1',
      );
    });
  });

  describe('pings', () => {
    it('drops a client that does not answer pings', async () => {
      server = await startTestServer({ pingIntervalMs: 10, pingTimeoutMs: 30 });
      const client = await server.client({ autoPong: false });
      expect((await client.closed).code).to.equal(1006);
      expect(server.log.has('client ping timeout')).to.equal(true);
    });
  });
});
