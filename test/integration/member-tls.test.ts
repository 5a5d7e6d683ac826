/**
 * A member serving clients over https with client-certificate auth and peers over mutual TLS,
 * started with startMember exactly as `concord serve` would with the TLS flags.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { MemberHandle } from '../../server/index.js';
import { eventually } from '../helpers/eventually.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';
import { createTestPki, type TestPki } from '../helpers/tls.js';

function httpsJson(
  url: string,
  path: string,
  pki: TestPki,
  body?: unknown,
  withClientCert = true,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const req = request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: body === undefined ? 'GET' : 'POST',
        ca: readFileSync(pki.caFile),
        ...(withClientCert
          ? { cert: readFileSync(pki.peer.certFile), key: readFileSync(pki.peer.keyFile) }
          : {}),
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as unknown }));
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('member with TLS', function () {
  this.timeout(60_000);
  let pki: TestPki;
  let started: TestMember;
  let member: MemberHandle;

  before(async () => {
    pki = await createTestPki();
    started = await startTestMember('tls', { tls: pki, fsync: true });
    ({ member } = started);
  });

  after(async () => {
    await started.stop();
    await pki.remove();
  });

  it('serves the gateway over https to a client with a trusted certificate', async () => {
    const url = member.clientUrls[0]!;
    await eventually('healthy', async () =>
      (await httpsJson(url, '/health', pki)).status === 200 ? true : undefined,
    );
    const put = await httpsJson(url, '/v3/kv/put', pki, { key: 'Zm9v', value: 'YmFy' });
    expect(put.status).to.equal(200);
    const range = await httpsJson(url, '/v3/kv/range', pki, { key: 'Zm9v' });
    expect((range.json as { kvs: { value: string }[] }).kvs[0]!.value).to.equal('YmFy');
  });

  it('refuses a client without a certificate', async () => {
    let refused = false;
    try {
      await httpsJson(member.clientUrls[0]!, '/health', pki, undefined, false);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
