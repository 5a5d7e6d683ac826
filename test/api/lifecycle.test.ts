import { expect } from 'chai';
import { SUBPROTOCOL_JSON_V1 } from '../../client/protocol/index.js';
import { InvalidConfigError, startClientApi } from '../../server/api/index.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import WebSocket from 'ws';
import { FakeBackend } from './fake-backend.js';
import { b64, post, startTestServer } from './helpers.js';

describe('startClientApi', () => {
  describe('#options', () => {
    it('refuses no URL, a bad scheme and https without TLS options', async () => {
      const backend = new FakeBackend();
      for (const listenUrls of [[], ['ftp://127.0.0.1:0'], ['https://127.0.0.1:0'], ['not a url']]) {
        const err = await startClientApi({ listenUrls, backend }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(listenUrls)).to.be.instanceOf(InvalidConfigError);
      }
    });
  });

  describe('#close', () => {
    it('ends gateway watch streams with a canceled line and refuses new connections', async () => {
      const server = await startTestServer();
      const res = await fetch(server.url + '/v3/watch', {
        method: 'POST',
        body: JSON.stringify({ create_request: { key: b64('k') } }),
      });
      const body = res.text();
      const client = await server.client();
      await client.ok('kv.range', { key: b64('k') });
      await server.stop();
      const lines = (await body)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { result: Record<string, unknown> });
      expect(lines.at(-1)?.result).to.deep.include({ canceled: true, cancel_reason: 'member shutting down' });
      const err = await post(server.url, '/v3/kv/range', { key: b64('k') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(Error);
      await server.api.close(); // idempotent
    });
  });

  describe('with TLS', function () {
    this.timeout(60_000);
    let pki: TestPki;
    before(async () => {
      pki = await createTestPki();
    });
    after(async () => pki.remove());

    it('serves wss and https on an https listen URL', async () => {
      const [cert, key, ca] = await Promise.all([
        readFile(pki.peer.certFile),
        readFile(pki.peer.keyFile),
        readFile(pki.caFile),
      ]);
      await using api = await startClientApi({
        listenUrls: ['https://127.0.0.1:0'],
        tls: { cert, key },
        backend: new FakeBackend(),
      });
      const url = api.urls[0] as string;
      expect(url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ws = new WebSocket(url.replace('https', 'wss') + '/ws', [SUBPROTOCOL_JSON_V1], { ca });
      const welcome = await new Promise<Record<string, unknown>>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('open', () => ws.send(JSON.stringify({ type: 'hello', protocol_version: 1 })));
        ws.once('message', (data) => resolve(JSON.parse(data.toString()) as Record<string, unknown>));
      });
      expect(welcome['type']).to.equal('welcome');
      ws.close();
      const health = await new Promise<number>((resolve, reject) => {
        request(url + '/health', { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(health).to.equal(200);
    });
  });
});
