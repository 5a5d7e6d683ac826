/**
 * The first operations on a brand-new member (a fresh data directory, nothing written yet) see
 * etcd's revision numbering: the empty store is at revision 1 and says so in every response
 * header, over the JSON gateway and over the WebSocket protocol; the first write gets revision 2;
 * and the first `acquireLock()` acquires (with the store at 0 its "keys created before mine" bound
 * was 0, which means "no bound", so the waiter found its own key and waited forever).
 */
import { expect } from 'chai';
import { Client, type WatchEvent } from '../../client/index.js';
import { acquireLock } from '../../recipes/index.js';
import type { MemberHandle } from '../../server/index.js';
import { b64, TestClient, type Json } from '../api/helpers.js';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

const HEADER_FIELDS = ['cluster_id', 'member_id', 'revision', 'raft_term'];

async function post(url: string, path: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

describe('a brand-new member (first operation on a fresh data directory)', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  let member: MemberHandle;
  let url: string;

  beforeEach(async () => {
    // Ready to serve: a leader is known (health answers 200). Nothing is written.
    started = await startTestMember('n1');
    ({ member, url } = started);
  });

  afterEach(async () => {
    await started?.stop();
    started = undefined;
  });

  it('answers an empty range over the gateway with "revision":"1" and a full header', async () => {
    const range = await post(url, '/v3/kv/range', { key: b64('foo') });
    expect(range.status).to.equal(200);
    expect(range.text).to.contain('"revision":"1"');
    const header = (JSON.parse(range.text) as { header: Record<string, string> }).header;
    expect(Object.keys(header)).to.deep.equal(HEADER_FIELDS);
    expect(header).to.include({ revision: '1', member_id: String(member.memberId) });
    expect(Number(header['raft_term'])).to.be.greaterThan(0);
    const put = await post(url, '/v3/kv/put', { key: b64('foo'), value: b64('bar') });
    expect((JSON.parse(put.text) as { header: Record<string, string> }).header['revision']).to.equal('2');
    const after = JSON.parse((await post(url, '/v3/kv/range', { key: b64('foo') })).text) as {
      kvs: Record<string, string>[];
    };
    expect(after.kvs[0]).to.include({ create_revision: '2', mod_revision: '2', version: '1' });
  });

  it('carries revision 1 in every header of the WebSocket protocol on an empty store', async () => {
    const ws = await TestClient.open(url);
    try {
      const headerOf = (frame: Json | undefined): Record<string, unknown> =>
        (frame?.['header'] ?? {}) as Record<string, unknown>;
      expect(headerOf(ws.welcome)).to.include({ revision: '1' });
      const range = await ws.ok('kv.range', { key: b64('foo') });
      expect(Object.keys(headerOf(range))).to.deep.equal(HEADER_FIELDS);
      expect(headerOf(range)).to.include({ revision: '1', member_id: String(member.memberId) });
      const status = await ws.ok('maintenance.status', {});
      expect(headerOf(status)).to.include({ revision: '1' });
      const put = await ws.ok('kv.put', { key: b64('foo'), value: b64('bar') });
      expect(headerOf(put)).to.include({ revision: '2' });
    } finally {
      ws.close();
    }
  });

  it('gives the SDK header revision 1 on an empty store and revision 2 to the first put', async () => {
    await using client = new Client({ endpoints: [url] });
    const empty = await client.get('foo');
    expect(empty).to.equal(undefined);
    const range = await client.getPrefix('foo');
    expect(range.revision).to.equal(1);
    expect(range.header.revision).to.equal(1);
    expect((await client.put('foo', 'bar')).revision).to.equal(2);
  });

  it('compacts to revision 1, then serves a watch from 1 (the compaction point), as etcd', async () => {
    await using client = new Client({ endpoints: [url] });
    expect((await client.compact(1)).revision).to.equal(1);
    await using watch = client.watch({ key: 'foo', startRevision: 1 });
    expect(await watch.ready()).to.equal(1);
    await client.put('foo', 'bar');
    const { value } = await watch.next();
    const events: readonly WatchEvent[] = value?.events ?? [];
    expect(events.map((e) => `${e.type}@${e.kv.modRevision}`)).to.deep.equal(['put@2']);
  });

  it('lets the first acquireLock() acquire, with fencing token 2', async () => {
    await using client = new Client({ endpoints: [url] });
    const lock = await acquireLock(client, 'first', { ttlSec: 5, timeoutMs: 10_000 });
    try {
      expect(lock.token).to.equal(2);
      expect(lock.signal.aborted).to.equal(false);
    } finally {
      await lock.release();
    }
    // And the next one, after the first released.
    const second = await acquireLock(client, 'first', { ttlSec: 5, timeoutMs: 10_000 });
    expect(second.token).to.be.greaterThan(2);
    await second.release();
  });
});
