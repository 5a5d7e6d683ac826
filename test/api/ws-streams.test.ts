import { expect } from 'chai';
import { b64, startTestServer, unb64, type Json, type TestClient, type TestServer } from './helpers.js';
import { CodedError } from './fake-backend.js';

const eventKeys = (frame: Json): string[] =>
  (((frame['result'] as Json)['events'] as Json[]) ?? []).map((e) => unb64((e['kv'] as Json)['key']));

describe('ClientSession streams', () => {
  let server: TestServer;
  let client: TestClient;

  afterEach(async () => server.stop());

  describe('watch.create', () => {
    beforeEach(async () => {
      server = await startTestServer({ progressIntervalMs: 20 });
      client = await server.client();
    });

    it('answers created with the request id as watch id, then streams events in order', async () => {
      const created = await client.ok('watch.create', { key: b64('a'), range_end: b64('b') }, 5);
      expect(created).to.include({ watch_id: '5', created: true });
      for (const key of ['a1', 'a2', 'zz', 'a3'])
        await client.ok('kv.put', { key: b64(key), value: b64('v') });
      const seen: string[] = [];
      while (seen.length < 3)
        seen.push(...eventKeys(await client.next((f) => f.type === 'watch' && f.id === 5)));
      expect(seen).to.deep.equal(['a1', 'a2', 'a3']);
    });

    it('replays history from start_revision with prev_kv and filters', async () => {
      await client.ok('kv.put', { key: b64('k'), value: b64('1') }); // rev 2
      await client.ok('kv.put', { key: b64('k'), value: b64('2') }); // rev 3
      await client.ok('kv.deleteRange', { key: b64('k') }); // rev 4
      await client.ok(
        'watch.create',
        { key: b64('k'), start_revision: '3', prev_kv: true, filters: ['NODELETE'] },
        7,
      );
      const frame = await client.next((f) => f.type === 'watch' && f.id === 7);
      const events = (frame['result'] as Json)['events'] as Json[];
      expect(events).to.have.length(1);
      expect(unb64((events[0]?.['kv'] as Json)['value'])).to.equal('2');
      expect(unb64((events[0]?.['prev_kv'] as Json)['value'])).to.equal('1');
    });

    it('ends a watch on cancel with an end frame and no more events', async () => {
      await client.ok('watch.create', { key: b64('x') }, 3);
      client.send({ type: 'cancel', id: 3 });
      expect(await client.next((f) => f.type === 'end' && f.id === 3)).to.deep.equal({ type: 'end', id: 3 });
      await client.ok('kv.put', { key: b64('x'), value: b64('v') });
      await client.ok('kv.range', { key: b64('x') }); // a later response: any event would have come first
      expect(client.pending().filter((f) => f.type === 'watch')).to.deep.equal([]);
      expect(server.backend.watcherCount).to.equal(0);
    });

    it('answers watch.cancel after the end frame, and WATCH_NOT_FOUND for an unknown watch', async () => {
      await client.ok('watch.create', { key: b64('x') }, 3);
      const res = await client.call('watch.cancel', { watch_id: '3' }, 4);
      expect(res['result']).to.include({ watch_id: '3', canceled: true });
      expect(client.pending().some((f) => f.type === 'end' && f.id === 3)).to.equal(true);
      const missing = await client.call('watch.cancel', { watch_id: '3' });
      expect((missing['error'] as Json)['code']).to.equal('WATCH_NOT_FOUND');
    });

    it('carries several watches on one connection', async () => {
      await client.ok('watch.create', { key: b64('p') }, 10);
      await client.ok('watch.create', { key: b64('q') }, 11);
      await client.ok('kv.put', { key: b64('q'), value: b64('1') });
      await client.ok('kv.put', { key: b64('p'), value: b64('1') });
      expect(eventKeys(await client.next((f) => f.type === 'watch' && f.id === 10))).to.deep.equal(['p']);
      expect(eventKeys(await client.next((f) => f.type === 'watch' && f.id === 11))).to.deep.equal(['q']);
    });

    it('answers COMPACTED with compact_revision when the start revision is compacted', async () => {
      for (let i = 0; i < 4; i++) await client.ok('kv.put', { key: b64('c'), value: b64(String(i)) });
      await client.ok('kv.compact', { revision: '4' });
      const res = await client.call('watch.create', { key: b64('c'), start_revision: '2' });
      expect(res['error']).to.deep.include({ code: 'COMPACTED', details: { compact_revision: 4 } });
      expect(await client.ok('kv.range', { key: b64('c') })).to.have.property('count', '1');
    });

    it('ends a running watch with the backend error (COMPACTED) after its queued events', async () => {
      await client.ok('watch.create', { key: b64('w') }, 9);
      await client.ok('kv.put', { key: b64('w'), value: b64('1') });
      server.backend.endWatches(
        new CodedError('COMPACTED', 'mvcc: required revision has been compacted', { compactRevision: 7 }),
      );
      const first = await client.next((f) => f.id === 9 && (f.type === 'watch' || f.type === 'end'));
      expect(first.type).to.equal('watch');
      const end = await client.next((f) => f.type === 'end' && f.id === 9);
      expect(end['error']).to.deep.include({ code: 'COMPACTED', details: { compact_revision: 7 } });
    });

    it('answers watch.progress with watch_id -1 at the current revision', async () => {
      await client.ok('watch.create', { key: b64('w') }, 9);
      await client.ok('kv.put', { key: b64('w'), value: b64('1') });
      const progress = await client.ok('watch.progress');
      expect(progress).to.deep.equal({
        header: { cluster_id: '11', member_id: '22', revision: '2', raft_term: '3' },
        watch_id: '-1',
      });
      // The event was sent before the progress answer.
      expect(client.pending().some((f) => f.type === 'watch' && f.id === 9)).to.equal(true);
    });

    it('sends progress notifications to idle watches created with progress_notify', async () => {
      await client.ok('watch.create', { key: b64('idle'), progress_notify: true }, 12);
      await client.ok('watch.create', { key: b64('quiet') }, 13);
      const frame = await client.next((f) => f.type === 'watch' && (f.id === 12 || f.id === 13));
      expect(frame).to.deep.include({ id: 12 });
      expect((frame['result'] as Json)['events']).to.equal(undefined);
      expect((frame['result'] as Json)['watch_id']).to.equal('12');
    });

    it('refuses a params.watch_id other than the request id', async () => {
      const res = await client.call('watch.create', { key: b64('a'), watch_id: '77' }, 8);
      expect(res['error']).to.deep.include({ code: 'INVALID_ARGUMENT' });
      expect((res['error'] as Json)['details']).to.deep.equal({ field: 'params.watch_id' });
    });
  });

  describe('feature watch_group', () => {
    const put = async (c: TestClient, key: string): Promise<void> => {
      await c.ok('kv.put', { key: b64(key), value: b64('v') });
    };
    /** Every watch or watch_group frame until each of `ids` has heard of one event. */
    const framesUntilEach = async (c: TestClient, ids: number[]): Promise<Json[]> => {
      const frames: Json[] = [];
      const heard = new Set<number>();
      while (heard.size < ids.length) {
        const f = await c.next((x) => x.type === 'watch' || x.type === 'watch_group');
        frames.push(f);
        for (const id of f.type === 'watch' ? [f.id as number] : (f['ids'] as number[])) heard.add(id);
      }
      return frames;
    };

    beforeEach(async () => {
      server = await startTestServer();
    });

    context('when the client announces it', () => {
      it('says so in welcome and sends one watch_group frame for watches due the same events', async () => {
        client = await server.client({ features: ['watch_group', 'some_future_feature'] });
        expect(client.welcome?.['features']).to.deep.equal(['watch_group']);
        for (const id of [3, 4, 5]) await client.ok('watch.create', { key: b64('g') }, id);
        await put(client, 'g');
        const frames = await framesUntilEach(client, [3, 4, 5]);
        expect(frames.map((f) => [f.type, f['ids']])).to.deep.equal([['watch_group', [3, 4, 5]]]);
        expect(eventKeys(frames[0] as Json)).to.deep.equal(['g']);
        expect((frames[0] as Json)['result']).to.not.have.property('watch_id');
      });

      it('groups only watches due identical frames, and each watch still gets its events in order', async () => {
        client = await server.client({ features: ['watch_group'] });
        await client.ok('watch.create', { key: b64('p'), prev_kv: true }, 11);
        await client.ok('watch.create', { key: b64('p') }, 12);
        await client.ok('watch.create', { key: b64('p'), prev_kv: true }, 13);
        await client.ok('watch.create', { key: b64('p'), range_end: b64('q') }, 14);
        await put(client, 'p'); // new key: no prev_kv, so all five are due the same frame
        await put(client, 'p'); // prev_kv for 11 and 13 only
        const revisionsOf = new Map<number, string[]>();
        const groups: { ids: number[]; prev: boolean }[] = [];
        while ([11, 12, 13, 14].some((id) => (revisionsOf.get(id)?.length ?? 0) < 2)) {
          const f = await client.next((x) => x.type === 'watch' || x.type === 'watch_group');
          const ids = f.type === 'watch' ? [f.id as number] : (f['ids'] as number[]);
          const events = (f['result'] as Json)['events'] as Json[];
          groups.push({ ids, prev: events.some((e) => e['prev_kv'] !== undefined) });
          const revs = events.map((e) => (e['kv'] as Json)['mod_revision'] as string);
          for (const id of ids) revisionsOf.set(id, [...(revisionsOf.get(id) ?? []), ...revs]);
        }
        const first = revisionsOf.get(11) as string[];
        expect(first).to.have.length(2);
        for (const id of [12, 13, 14]) expect(revisionsOf.get(id), `watch ${id}`).to.deep.equal(first);
        expect(groups).to.deep.equal([
          { ids: [11, 12, 13, 14], prev: false },
          { ids: [11, 13], prev: true },
          { ids: [12, 14], prev: false },
        ]);
      });
    });

    context('when the client does not announce it', () => {
      it('sends one watch frame per watch and no features in welcome', async () => {
        client = await server.client();
        expect(client.welcome).to.not.have.property('features');
        for (const id of [3, 4, 5]) await client.ok('watch.create', { key: b64('g') }, id);
        await put(client, 'g');
        const frames = await framesUntilEach(client, [3, 4, 5]);
        expect(frames.map((f) => [f.type, f.id])).to.deep.equal([
          ['watch', 3],
          ['watch', 4],
          ['watch', 5],
        ]);
      });
    });
  });

  describe('watch fragments', () => {
    beforeEach(async () => {
      server = await startTestServer({ maxFrameBytes: 100_000, maxRequestBytes: 20_000 });
      client = await server.client();
    });

    const bigTxn = () =>
      server.backend.txn(
        {
          compare: [],
          success: Array.from({ length: 20 }, (_, i) => ({
            type: 'put' as const,
            request: {
              key: Buffer.from(`big${String(i).padStart(2, '0')}`),
              value: new Uint8Array(10_000).fill(65),
              lease: 0,
              prevKv: false,
              ignoreValue: false,
              ignoreLease: false,
            },
          })),
          failure: [],
        },
        {},
      );

    it('splits a revision too large for one frame when fragment is set', async () => {
      await client.ok('watch.create', { key: b64('big'), range_end: b64('bih'), fragment: true }, 1);
      await bigTxn();
      const frames: Json[] = [];
      let count = 0;
      while (count < 20) {
        const f = await client.next((x) => x.type === 'watch' && x.id === 1);
        frames.push(f);
        count += eventKeys(f).length;
      }
      expect(frames.length).to.be.greaterThan(1);
      const flags = frames.map((f) => (f['result'] as Json)['fragment'] === true);
      expect(flags.slice(0, -1).every(Boolean)).to.equal(true);
      expect(flags.at(-1)).to.equal(false);
      expect(frames.flatMap(eventKeys)).to.deep.equal(
        Array.from({ length: 20 }, (_, i) => `big${String(i).padStart(2, '0')}`),
      );
    });

    it('ends the watch with RESPONSE_TOO_LARGE without fragment', async () => {
      await client.ok('watch.create', { key: b64('big'), range_end: b64('bih') }, 1);
      await bigTxn();
      const end = await client.next((f) => f.type === 'end' && f.id === 1);
      expect((end['error'] as Json)['code']).to.equal('RESPONSE_TOO_LARGE');
      expect(await client.ok('kv.range', { key: b64('big00'), keys_only: true })).to.have.property(
        'count',
        '1',
      );
    });
  });

  describe('lease.keepAlive', () => {
    let leaseId: string;
    beforeEach(async () => {
      server = await startTestServer();
      client = await server.client();
      leaseId = (await client.ok('lease.grant', { TTL: 10 }))['ID'] as string;
    });

    it('renews on open and on each renew frame', async () => {
      expect(await client.ok('lease.keepAlive', { ID: leaseId }, 7)).to.include({ ID: leaseId, TTL: '10' });
      client.send({ type: 'renew', id: 7 });
      const ka = await client.next((f) => f.type === 'keepalive' && f.id === 7);
      expect(ka['result']).to.include({ ID: leaseId, TTL: '10' });
    });

    it('answers a second unanswered renew with TOO_MANY_REQUESTS and keeps the stream', async () => {
      await client.ok('lease.keepAlive', { ID: leaseId }, 7);
      const release = server.backend.hold();
      client.send({ type: 'renew', id: 7 });
      client.send({ type: 'renew', id: 7 });
      const busy = await client.next((f) => f.type === 'keepalive' && f.id === 7);
      expect((busy['error'] as Json)['code']).to.equal('TOO_MANY_REQUESTS');
      release();
      const ok = await client.next((f) => f.type === 'keepalive' && f.id === 7);
      expect(ok['result']).to.include({ TTL: '10' });
    });

    it('ends the stream with LEASE_NOT_FOUND as soon as the lease is revoked', async () => {
      await client.ok('lease.keepAlive', { ID: leaseId }, 7);
      await client.ok('lease.revoke', { ID: leaseId });
      const end = await client.next((f) => f.type === 'end' && f.id === 7);
      expect((end['error'] as Json)['code']).to.equal('LEASE_NOT_FOUND');
    });

    it('ends the stream with LEASE_NOT_FOUND when the lease expires', async () => {
      await client.ok('lease.keepAlive', { ID: leaseId }, 7);
      server.backend.expire(Number(leaseId));
      const end = await client.next((f) => f.type === 'end' && f.id === 7);
      expect((end['error'] as Json)['code']).to.equal('LEASE_NOT_FOUND');
    });

    it('refuses to open a stream for an unknown lease', async () => {
      const res = await client.call('lease.keepAlive', { ID: '424242' });
      expect((res['error'] as Json)['code']).to.equal('LEASE_NOT_FOUND');
    });

    it('passes NOT_LEADER with the leader id and client URLs, and keeps the stream open', async () => {
      await client.ok('lease.keepAlive', { ID: leaseId }, 7);
      server.backend.notLeader = { leaderId: 5, urls: ['http://10.0.0.5:2379'] };
      client.send({ type: 'renew', id: 7 });
      const ka = await client.next((f) => f.type === 'keepalive' && f.id === 7);
      expect(ka['error']).to.deep.include({
        code: 'NOT_LEADER',
        details: { leader_id: 5, leader_client_urls: ['http://10.0.0.5:2379'] },
      });
      server.backend.notLeader = undefined;
      client.send({ type: 'renew', id: 7 });
      expect((await client.next((f) => f.type === 'keepalive' && f.id === 7))['result']).to.include({
        TTL: '10',
      });
    });

    it('answers NOT_LEADER to the opening request on a follower', async () => {
      server.backend.notLeader = { leaderId: 5, urls: ['http://10.0.0.5:2379'] };
      const res = await client.call('lease.keepAlive', { ID: leaseId });
      expect(res['error']).to.deep.include({
        code: 'NOT_LEADER',
        details: { leader_id: 5, leader_client_urls: ['http://10.0.0.5:2379'] },
      });
    });

    it('closes on cancel without revoking the lease', async () => {
      await client.ok('lease.keepAlive', { ID: leaseId }, 7);
      client.send({ type: 'cancel', id: 7 });
      await client.next((f) => f.type === 'end' && f.id === 7 && f['error'] === undefined);
      expect((await client.ok('lease.timeToLive', { ID: leaseId }))['TTL']).to.equal('10');
    });
  });

  describe('maintenance.snapshot', () => {
    beforeEach(async () => {
      server = await startTestServer();
      client = await server.client();
    });

    it('streams the snapshot in chunks of at most 1 MiB, then ends', async () => {
      const bytes = new Uint8Array(2_500_000).map((_, i) => i % 251);
      server.backend.snapshotBytes = bytes;
      const first = await client.ok('maintenance.snapshot', undefined, 11);
      expect(first).to.include({ remaining_bytes: '2500000', version: '1' });
      const parts: Buffer[] = [];
      const remaining: unknown[] = [];
      for (;;) {
        const f = await client.next((x) => (x.type === 'snapshot' || x.type === 'end') && x.id === 11);
        if (f.type === 'end') {
          expect(f['error']).to.equal(undefined);
          break;
        }
        const r = f['result'] as Json;
        parts.push(Buffer.from(String(r['blob']), 'base64'));
        remaining.push(r['remaining_bytes']);
      }
      expect(parts.map((p) => p.length)).to.deep.equal([1_048_576, 1_048_576, 402_848]);
      expect(remaining).to.deep.equal(['1451424', '402848', undefined]);
      expect(Buffer.concat(parts).equals(Buffer.from(bytes))).to.equal(true);
    });

    it('allows one snapshot stream per connection', async () => {
      server.backend.snapshotBytes = new Uint8Array(10);
      const release = server.backend.hold();
      client.send({ type: 'request', id: 1, method: 'maintenance.snapshot' });
      await server.backend.whenActive(1);
      const second = await client.call('maintenance.snapshot', undefined, 2);
      expect(second['error']).to.deep.include({ code: 'TOO_MANY_STREAMS', details: { limit: 1 } });
      release();
      await client.next((f) => f.type === 'end' && f.id === 1);
    });
  });

  describe('notices', () => {
    beforeEach(async () => {
      server = await startTestServer();
      client = await server.client();
    });

    it('tells clients about a new leader', async () => {
      server.backend.setLeader(7);
      const n = await client.next((f) => f.type === 'notice');
      expect(n).to.deep.include({ kind: 'leader_changed', leader_id: 7 });
    });

    it('sends going_away, ends streams with UNAVAILABLE, answers in-flight requests and closes with 1001', async () => {
      await client.ok('watch.create', { key: b64('w') }, 1);
      const release = server.backend.hold();
      client.send({ type: 'request', id: 2, method: 'kv.put', params: { key: b64('k'), value: b64('v') } });
      await server.backend.whenActive(1);
      const closing = server.api.close();
      const notice = await client.next((f) => f.type === 'notice');
      expect(notice).to.deep.include({ kind: 'going_away' });
      const end = await client.next((f) => f.type === 'end' && f.id === 1);
      expect((end['error'] as Json)['code']).to.equal('UNAVAILABLE');
      const late = await client.call('kv.range', { key: b64('k') }, 3);
      expect((late['error'] as Json)['code']).to.equal('UNAVAILABLE');
      release();
      const put = await client.next((f) => f.type === 'response' && f.id === 2);
      expect(put['result']).to.not.equal(undefined);
      expect((await client.closed).code).to.equal(1001);
      await closing;
    });
  });
});
