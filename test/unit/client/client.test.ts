import { expect } from 'chai';
import {
  Client,
  ClientClosedError,
  Cmp,
  CompactedError,
  InvalidArgumentError,
  LeaseNotFoundError,
  NoSpaceError,
  Op,
  asText,
} from '../../../client/index.js';
import { dec, enc, rig, settle, settled } from './helpers.js';

describe('Client', () => {
  describe('#constructor', () => {
    it('rejects options without endpoints before opening anything', () => {
      expect(() => new Client({ endpoints: [] })).to.throw(InvalidArgumentError);
    });
    it('rejects a non-positive requestTimeoutMs', () => {
      expect(() => new Client({ endpoints: ['ws://a:1'], requestTimeoutMs: 0 })).to.throw(
        InvalidArgumentError,
      );
    });
    it('rejects tls with a ws:// endpoint', () => {
      expect(() => new Client({ endpoints: ['ws://a:1'], tls: {} })).to.throw(InvalidArgumentError);
    });
    it('accepts TLS material as Node does: PEM text, bytes, and arrays of either', async () => {
      const pem = '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n';
      const bytes = new TextEncoder().encode(pem);
      for (const ca of [pem, bytes, Buffer.from(pem), [pem, Buffer.from(pem)], [bytes]]) {
        await new Client({ endpoints: ['wss://a:1'], tls: { ca, cert: ca, key: ca } }).close();
      }
    });
    it('rejects TLS material of another type, naming the field', () => {
      const ca = [42] as unknown as string[];
      let error: unknown;
      try {
        new Client({ endpoints: ['wss://a:1'], tls: { ca } });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).details.field).to.equal('tls.ca');
    });
    it('rejects a non-positive connectRounds', () => {
      expect(() => new Client({ endpoints: ['a:1'], connectRounds: 0 })).to.throw(InvalidArgumentError);
    });
    it('connects lazily: nothing is dialled until the first call', async () => {
      const { cluster, client } = rig();
      await settle();
      expect(cluster.members.map((m) => m.accepted)).to.deep.equal([0, 0, 0]);
      expect(client.state).to.equal('idle');
      await client.ready();
      expect(client.state).to.equal('connected');
      await client.close();
    });
  });

  describe('#get / #put / #delete', () => {
    it('writes and reads strings, bytes and JSON', async () => {
      const { client } = rig();
      const put = await client.put('a', 'one');
      expect(put.revision).to.equal(2);
      await client.put(enc('b'), new Uint8Array([1, 2, 3]));
      await client.putJson('c', { n: 1 });
      expect(await client.getText('a')).to.equal('one');
      expect((await client.get('b'))?.value).to.deep.equal(new Uint8Array([1, 2, 3]));
      expect(await client.getJson('c')).to.deep.equal({ n: 1 });
      const parsed = await client.getJson('c', { parse: (v) => (v as { n: number }).n });
      expect(parsed).to.equal(1);
      expect(await client.get('missing')).to.equal(undefined);
      await client.close();
    });

    it('returns the previous value with prevKv', async () => {
      const { client } = rig();
      await client.put('k', 'v1');
      const r = await client.put('k', 'v2', { prevKv: true });
      expect(r.prevKv === undefined ? '' : asText(r.prevKv.value)).to.equal('v1');
      const d = await client.delete('k', { prevKv: true });
      expect(d.deleted).to.equal(1);
      expect(d.prevKvs.map((kv) => asText(kv.value))).to.deep.equal(['v2']);
      await client.close();
    });

    it('reads prefixes with limit, sort, keysOnly and countOnly', async () => {
      const { client } = rig();
      for (const k of ['p/1', 'p/2', 'p/3', 'q/1']) await client.put(k, `v${k}`);
      const all = await client.getPrefix('p/');
      expect(all.kvs.map((kv) => dec(kv.key))).to.deep.equal(['p/1', 'p/2', 'p/3']);
      const limited = await client.getPrefix('p/', { limit: 2, sortOrder: 'descend' });
      expect(limited.kvs.map((kv) => dec(kv.key))).to.deep.equal(['p/3', 'p/2']);
      expect(limited.more).to.equal(true);
      expect(limited.count).to.equal(3);
      const keys = await client.getPrefix('p/', { keysOnly: true });
      expect(keys.kvs.every((kv) => kv.value.length === 0)).to.equal(true);
      const count = await client.getPrefix('p/', { countOnly: true });
      expect(count.kvs).to.have.length(0);
      expect(count.count).to.equal(3);
      const deleted = await client.deletePrefix('p/');
      expect(deleted.deleted).to.equal(3);
      expect((await client.getPrefix('')).kvs.map((kv) => dec(kv.key))).to.deep.equal(['q/1']);
      await client.close();
    });

    it('rejects an empty key with InvalidArgumentError without sending', async () => {
      const { client, cluster } = rig();
      const r = await settled(client.put('', 'x'));
      expect(r.ok === false && r.error instanceof InvalidArgumentError).to.equal(true);
      expect(cluster.members.map((m) => m.accepted)).to.deep.equal([0, 0, 0]);
      await client.close();
    });
  });

  describe('#txn', () => {
    it('runs the success branch with typed results', async () => {
      const { client } = rig();
      const r = await client
        .txn()
        .if(Cmp.missing('owner'))
        .then(Op.put('owner', 'me'), Op.get('owner'))
        .else(Op.get('owner'))
        .commit();
      expect(r.succeeded).to.equal(true);
      if (r.succeeded) {
        const [put, kv] = r.results;
        expect(put.revision).to.equal(2);
        expect(kv === undefined ? '' : asText(kv.value)).to.equal('me');
      }
      await client.close();
    });

    it('runs the failure branch when a compare fails', async () => {
      const { client } = rig();
      await client.put('owner', 'you');
      const r = await client
        .txn()
        .if(Cmp.value('owner', '==', 'me'))
        .then(Op.delete('owner'))
        .else(Op.get('owner'), Op.prefix('o'))
        .commit();
      expect(r.succeeded).to.equal(false);
      if (!r.succeeded) {
        expect(r.results[0] === undefined ? '' : asText(r.results[0].value)).to.equal('you');
        expect(r.results[1].count).to.equal(1);
      }
      await client.close();
    });
  });

  describe('#namespace', () => {
    it('keeps every key under the prefix, in reads, writes, deletes and txns', async () => {
      const { client, cluster } = rig();
      const app = client.namespace('app/');
      await app.put('x', '1');
      await app.put('y', '2');
      await client.put('other', '3');
      expect([...cluster.store.kvs.values()].map((kv) => dec(kv.key)).sort()).to.deep.equal([
        'app/x',
        'app/y',
        'other',
      ]);
      expect((await app.getPrefix('')).kvs.map((kv) => dec(kv.key))).to.deep.equal(['x', 'y']);
      const r = await app.txn().if(Cmp.exists('x')).then(Op.get('x')).commit();
      expect(r.succeeded).to.equal(true);
      if (r.succeeded) expect(r.results[0] === undefined ? '' : dec(r.results[0].key)).to.equal('x');
      const nested = app.namespace('n/');
      await nested.put('z', '4');
      expect(await client.getText('app/n/z')).to.equal('4');
      expect((await app.deletePrefix('')).deleted).to.equal(3);
      expect(await client.getText('other')).to.equal('3');
      await client.close();
    });

    it('applies the namespace option to the root view', async () => {
      const { client, cluster } = rig({ namespace: 'tenant/' });
      await client.put('k', 'v');
      expect([...cluster.store.kvs.values()].map((kv) => dec(kv.key))).to.deep.equal(['tenant/k']);
      await client.close();
    });
  });

  describe('errors', () => {
    it('maps codes to typed errors', async () => {
      const { client, cluster } = rig();
      cluster.store.revision = 10;
      cluster.store.compact(5);
      const r1 = await settled(client.get('k', { revision: 2 }));
      expect(
        r1.ok === false && r1.error instanceof CompactedError && r1.error.compactRevision === 5,
      ).to.equal(true);
      const r2 = await settled(client.put('k', 'v', { lease: 42 }));
      expect(r2.ok === false && r2.error instanceof LeaseNotFoundError).to.equal(true);
      for (const m of cluster.members) {
        m.intercept = () => ({ action: 'error', error: { code: 'NO_SPACE', message: 'quota', details: {} } });
      }
      const r3 = await settled(client.put('k', 'v'));
      expect(r3.ok === false && r3.error instanceof NoSpaceError && !r3.error.retryable).to.equal(true);
      await client.close();
    });

    it('rejects calls after close with ClientClosedError', async () => {
      const { client } = rig();
      await client.put('k', 'v');
      await client.close();
      const r = await settled(client.get('k'));
      expect(r.ok === false && r.error instanceof ClientClosedError).to.equal(true);
      expect(client.state).to.equal('closed');
    });
  });

  describe('[Symbol.asyncDispose]', () => {
    it('closes the client when leaving an await using scope', async () => {
      const r = rig();
      {
        await using client = r.client;
        await client.put('k', 'v');
      }
      expect(r.client.state).to.equal('closed');
      expect(r.cluster.connectedMembers()).to.have.length(0);
    });
  });
});
