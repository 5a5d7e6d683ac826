/**
 * `--cors` and `--host-whitelist` on a real member (127.0.0.1, a port the kernel picks): what a
 * browser page may do through the gateway, preflights, the operational routes and the WebSocket
 * upgrade, with the defaults and with each flag set. Requests are raw node:http so that the test
 * sets the Origin and Host headers as a browser would (fetch in Node sends no Origin). Every
 * refused write proves the key unchanged.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { resolveMemberConfig } from '../../server/index.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** The whole answer of a response. */
function answerOf(res: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () =>
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
    );
    res.on('error', reject);
  });
}

/** One HTTP/1.1 request with exactly these headers (Host included when given). */
function send(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers, setHost: headers['host'] === undefined },
      (res) => answerOf(res).then(resolve, reject),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A WebSocket upgrade of /ws with the protocol's subprotocol: 101, or the refusal's status and body. */
function upgrade(base: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path: '/ws',
      setHost: headers['host'] === undefined,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
        'sec-websocket-version': '13',
        'sec-websocket-protocol': 'concord.v1.json',
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => answerOf(res).then(resolve, reject));
    req.on('error', reject);
    req.end();
  });
}

/** The Concord code of a gateway error body. */
function codeOf(a: Answer): string | undefined {
  const json = JSON.parse(a.body) as { details?: { code?: string }[] };
  return json.details?.[0]?.code;
}

/** A put as a browser page sends it: a "simple" request (text/plain), which needs no preflight. */
function pagePut(base: string, headers: Record<string, string>, key: string, value: string): Promise<Answer> {
  return send(
    base,
    'POST',
    '/v3/kv/put',
    { 'content-type': 'text/plain;charset=UTF-8', ...headers },
    JSON.stringify({ key: b64(key), value: b64(value) }),
  );
}

/** The key's value as a client with no Origin reads it (undefined: absent). */
async function valueOf(base: string, key: string): Promise<string | undefined> {
  const a = await send(base, 'POST', '/v3/kv/range', {}, JSON.stringify({ key: b64(key) }));
  expect(a.status, a.body).to.equal(200);
  const kv = (JSON.parse(a.body) as { kvs?: { value?: string }[] }).kvs?.[0];
  return kv === undefined ? undefined : Buffer.from(kv.value ?? '', 'base64').toString();
}

describe('browser access to the client port (--cors, --host-whitelist)', function () {
  this.timeout(60_000);

  context('with the defaults', () => {
    let m: TestMember;
    let port: string;
    before(async () => {
      m = await startTestMember('browser-defaults');
      port = new URL(m.url).port;
    });
    after(async () => m?.stop());

    it('serves clients that send no Origin (curl, etcdctl, the SDK in Node), without CORS headers', async () => {
      const put = await send(
        m.url,
        'POST',
        '/v3/kv/put',
        {},
        JSON.stringify({ key: b64('k'), value: b64('v') }),
      );
      expect(put.status, put.body).to.equal(200);
      expect(put.headers['access-control-allow-origin']).to.equal(undefined);
      expect(await valueOf(m.url, 'k')).to.equal('v');
      expect((await upgrade(m.url)).status).to.equal(101);
    });

    it('refuses a page on another origin that POSTs /v3/kv/put to a member on localhost; the key is unchanged', async () => {
      await send(
        m.url,
        'POST',
        '/v3/kv/put',
        {},
        JSON.stringify({ key: b64('target'), value: b64('before') }),
      );
      const a = await pagePut(m.url, { origin: 'http://evil.example' }, 'target', 'pwned');
      expect(a.status, a.body).to.equal(403);
      expect(codeOf(a)).to.equal('ORIGIN_NOT_ALLOWED');
      expect(a.headers['access-control-allow-origin']).to.equal(undefined);
      expect(await valueOf(m.url, 'target')).to.equal('before');
    });

    it('refuses the same page after DNS rebinding (its name now points at 127.0.0.1: same origin by name)', async () => {
      await send(
        m.url,
        'POST',
        '/v3/kv/put',
        {},
        JSON.stringify({ key: b64('target'), value: b64('before') }),
      );
      const host = `evil.example:${port}`;
      const a = await pagePut(m.url, { host, origin: `http://${host}` }, 'target', 'pwned');
      expect(a.status, a.body).to.equal(403);
      expect(codeOf(a)).to.equal('ORIGIN_NOT_ALLOWED');
      expect((await upgrade(m.url, { host, origin: `http://${host}` })).status).to.equal(403);
      expect(await valueOf(m.url, 'target')).to.equal('before');
    });

    it('refuses reads from another origin too (every gateway path), and its WebSocket upgrade', async () => {
      const read = await send(
        m.url,
        'POST',
        '/v3/kv/range',
        { origin: 'http://evil.example' },
        JSON.stringify({ key: b64('target') }),
      );
      expect(read.status, read.body).to.equal(403);
      const ws = await upgrade(m.url, { origin: 'http://evil.example' });
      expect(ws.status).to.equal(403);
      expect(JSON.parse(ws.body)).to.have.nested.property('details[0].code', 'ORIGIN_NOT_ALLOWED');
    });

    it('refuses a preflight from another origin, with no CORS headers', async () => {
      const a = await send(m.url, 'OPTIONS', '/v3/kv/put', {
        origin: 'http://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, authorization',
      });
      expect(a.status).to.equal(403);
      expect(a.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it('answers a GET of /health from another origin without CORS headers (the page cannot read it)', async () => {
      const a = await send(m.url, 'GET', '/health', { origin: 'http://evil.example' });
      expect(a.status).to.equal(200);
      expect(a.headers['access-control-allow-origin']).to.equal(undefined);
    });

    it("serves the member's own origin (the console), by IP address and by localhost, with CORS headers", async () => {
      const own = `http://127.0.0.1:${port}`;
      const a = await pagePut(m.url, { origin: own }, 'from-console', 'yes');
      expect(a.status, a.body).to.equal(200);
      expect(a.headers['access-control-allow-origin']).to.equal(own);
      expect(await valueOf(m.url, 'from-console')).to.equal('yes');
      expect((await upgrade(m.url, { origin: own })).status).to.equal(101);
      const local = `localhost:${port}`;
      expect((await upgrade(m.url, { host: local, origin: `http://${local}` })).status).to.equal(101);
      const pre = await send(m.url, 'OPTIONS', '/v3/kv/put', {
        origin: own,
        'access-control-request-method': 'POST',
      });
      expect(pre.status).to.equal(200);
      expect(pre.headers['access-control-allow-origin']).to.equal(own);
      expect(pre.headers['access-control-allow-methods']).to.include('POST');
      expect(pre.headers['access-control-allow-headers']).to.include('authorization');
    });

    it('accepts every Host header (etcd’s default whitelist *)', async () => {
      const a = await send(m.url, 'GET', '/health', { host: `anything.example:${port}` });
      expect(a.status).to.equal(200);
    });
  });

  context('with --cors listing an origin and --host-whitelist listing names', () => {
    let m: TestMember;
    let port: string;
    const app = 'http://app.example:8080';
    before(async () => {
      m = await startTestMember('browser-flags', {
        flags: { cors: [app], hostWhitelist: ['localhost', '127.0.0.1', 'concord.internal'] },
      });
      port = new URL(m.url).port;
    });
    after(async () => m?.stop());

    it('serves the listed origin with its CORS headers, preflight included', async () => {
      const pre = await send(m.url, 'OPTIONS', '/v3/kv/put', {
        origin: app,
        'access-control-request-method': 'POST',
      });
      expect(pre.status).to.equal(200);
      expect(pre.headers['access-control-allow-origin']).to.equal(app);
      const a = await send(
        m.url,
        'POST',
        '/v3/kv/put',
        { origin: app, 'content-type': 'application/json' },
        JSON.stringify({ key: b64('app'), value: b64('written') }),
      );
      expect(a.status, a.body).to.equal(200);
      expect(a.headers['access-control-allow-origin']).to.equal(app);
      expect(a.headers['vary']).to.equal('Origin');
      expect(await valueOf(m.url, 'app')).to.equal('written');
      expect((await upgrade(m.url, { origin: app })).status).to.equal(101);
    });

    it('refuses an origin that is not listed; the key is unchanged', async () => {
      const a = await pagePut(m.url, { origin: 'http://app.example:8081' }, 'app', 'other');
      expect(a.status).to.equal(403);
      expect(await valueOf(m.url, 'app')).to.equal('written');
    });

    it('refuses a Host not in the whitelist with 421 HOST_NOT_ALLOWED, on every route and the upgrade', async () => {
      const host = `evil.example:${port}`;
      const health = await send(m.url, 'GET', '/health', { host });
      expect(health.status).to.equal(421);
      expect(codeOf(health)).to.equal('HOST_NOT_ALLOWED');
      const put = await send(
        m.url,
        'POST',
        '/v3/kv/put',
        { host },
        JSON.stringify({ key: b64('app'), value: b64('x') }),
      );
      expect(put.status).to.equal(421);
      expect((await send(m.url, 'GET', '/ui/', { host })).status).to.equal(421);
      expect((await upgrade(m.url, { host })).status).to.equal(421);
      expect(await valueOf(m.url, 'app')).to.equal('written');
    });

    it('accepts the listed names, and counts a listed name as same-origin', async () => {
      expect((await send(m.url, 'GET', '/health', { host: `localhost:${port}` })).status).to.equal(200);
      const host = `concord.internal:${port}`;
      expect((await upgrade(m.url, { host, origin: `http://${host}` })).status).to.equal(101);
    });
  });

  context("with --cors '*' (etcd's default)", () => {
    let m: TestMember;
    before(async () => {
      m = await startTestMember('browser-any', { flags: { cors: ['*'] } });
    });
    after(async () => m?.stop());

    it('serves every origin, with Access-Control-Allow-Origin *', async () => {
      const a = await pagePut(m.url, { origin: 'http://anyone.example' }, 'any', 'v');
      expect(a.status, a.body).to.equal(200);
      expect(a.headers['access-control-allow-origin']).to.equal('*');
      expect((await upgrade(m.url, { origin: 'http://anyone.example' })).status).to.equal(101);
    });
  });

  context('over TLS, with --host-whitelist set', () => {
    let m: TestMember;
    let pki: TestPki;
    before(async () => {
      pki = await createTestPki();
      m = await startTestMember('browser-tls', { tls: pki, flags: { hostWhitelist: ['localhost'] } });
    });
    after(async () => {
      await m?.stop();
      await pki?.remove();
    });

    /** A gateway put over https with the PKI's client certificate and these headers. */
    function tlsPut(headers: Record<string, string>): Promise<Answer> {
      const url = new URL(m.url);
      return new Promise((resolve, reject) => {
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            method: 'POST',
            path: '/v3/kv/put',
            headers,
            setHost: headers['host'] === undefined,
            servername: 'localhost',
            ca: readFileSync(pki.caFile),
            cert: readFileSync(pki.peer.certFile),
            key: readFileSync(pki.peer.keyFile),
          },
          (res) => answerOf(res).then(resolve, reject),
        );
        req.on('error', reject);
        req.end(JSON.stringify({ key: b64('tls'), value: b64('v') }));
      });
    }

    it('does not check the Host (a rebound name fails the certificate), and counts any same origin', async () => {
      const host = `dash.example:${new URL(m.url).port}`;
      expect((await tlsPut({ host })).status).to.equal(200);
      const same = await tlsPut({ host, origin: `https://${host}` });
      expect(same.status, same.body).to.equal(200);
      expect(same.headers['access-control-allow-origin']).to.equal(`https://${host}`);
      expect((await tlsPut({ host, origin: `https://other.example` })).status).to.equal(403);
    });
  });

  describe('the configuration', () => {
    it('normalises origins and host names, and refuses entries that are neither', () => {
      const c = resolveMemberConfig({
        cors: ['HTTP://App.Example:80'],
        hostWhitelist: ['LocalHost', '[::1]'],
      });
      expect(c.cors).to.deep.equal(['http://app.example']);
      expect(c.hostWhitelist).to.deep.equal(['localhost', '::1']);
      expect(resolveMemberConfig({ hostWhitelist: ['Bücher.example'] }).hostWhitelist).to.deep.equal([
        'xn--bcher-kva.example',
      ]);
      expect(resolveMemberConfig({}).cors).to.deep.equal([]);
      expect(resolveMemberConfig({ hostWhitelist: [] }).hostWhitelist).to.deep.equal(['*']);
      expect(() => resolveMemberConfig({ cors: ['app.example'] })).to.throw(/^cors: /);
      expect(() => resolveMemberConfig({ cors: ['http://app.example/path'] })).to.throw(/^cors: /);
      expect(() => resolveMemberConfig({ hostWhitelist: ['http://x/'] })).to.throw(/^hostWhitelist: /);
    });
  });
});
