import { expect } from 'chai';
import { MvccStore, type LeaseAttacher, type TxnRequest } from '../../../server/mvcc/index.js';
import { ALL, dec, enc } from './helpers.js';

/** A lease table for the store: lease 7 exists. */
function leases(): LeaseAttacher & { keys: Map<number, Set<string>> } {
  const keys = new Map<number, Set<string>>([[7, new Set()]]);
  return {
    keys,
    hasLease: (id) => keys.has(id),
    attach: (id, key) => keys.get(id)?.add(key),
    detach: (id, key) => keys.get(id)?.delete(key),
  };
}

describe('MvccStore', () => {
  describe('#put', () => {
    it('returns the previous key-value when asked', () => {
      const s = new MvccStore();
      s.put({ key: enc('k'), value: enc('1') });
      const r = s.put({ key: enc('k'), value: enc('2'), prevKv: true });
      expect(r.revision).to.equal(3);
      expect(dec(r.prevKv?.value ?? enc('?'))).to.equal('1');
    });

    it('resets the version and create revision after a delete', () => {
      const s = new MvccStore();
      s.put({ key: enc('k'), value: enc('1') });
      s.put({ key: enc('k'), value: enc('2') });
      s.deleteRange({ key: enc('k') });
      s.put({ key: enc('k'), value: enc('3') });
      expect(s.range({ key: enc('k') }).kvs[0]).to.include({ version: 1, createRevision: 5, modRevision: 5 });
    });

    it('keeps the value with ignoreValue and the lease with ignoreLease', () => {
      const l = leases();
      const s = new MvccStore({}, l);
      s.put({ key: enc('k'), value: enc('v'), lease: 7 });
      s.put({ key: enc('k'), value: new Uint8Array(0), ignoreValue: true, ignoreLease: true });
      expect(s.range({ key: enc('k') }).kvs[0]).to.include({ lease: 7, version: 2 });
      expect(dec(s.range({ key: enc('k') }).kvs[0]?.value ?? enc('?'))).to.equal('v');
    });

    it('refuses ignoreValue on a missing key with KEY_NOT_FOUND', () => {
      expect(() => new MvccStore().put({ key: enc('k'), value: new Uint8Array(0), ignoreValue: true }))
        .to.throw()
        .with.property('code', 'KEY_NOT_FOUND');
    });

    it('refuses a lease that does not exist with LEASE_NOT_FOUND and changes nothing', () => {
      const s = new MvccStore({}, leases());
      expect(() => s.put({ key: enc('k'), value: enc('v'), lease: 8 }))
        .to.throw()
        .with.property('code', 'LEASE_NOT_FOUND');
      expect(s.currentRevision).to.equal(1);
    });

    it('moves the key between leases', () => {
      const l = leases();
      l.keys.set(9, new Set());
      const s = new MvccStore({}, l);
      s.put({ key: enc('k'), value: enc('v'), lease: 7 });
      s.put({ key: enc('k'), value: enc('v'), lease: 9 });
      expect([...(l.keys.get(7) ?? [])]).to.deep.equal([]);
      expect([...(l.keys.get(9) ?? [])]).to.deep.equal(['k']);
      s.deleteRange({ key: enc('k') });
      expect([...(l.keys.get(9) ?? [])]).to.deep.equal([]);
    });

    it('refuses a key and value above the request limit with REQUEST_TOO_LARGE', () => {
      const s = new MvccStore({ maxRequestBytes: 100 });
      expect(() => s.put({ key: enc('k'), value: new Uint8Array(100) }))
        .to.throw()
        .with.property('code', 'REQUEST_TOO_LARGE');
      expect(() => s.put({ key: enc('k'), value: new Uint8Array(99) })).to.not.throw();
    });
  });

  describe('#deleteRange', () => {
    it('deletes every live key of the range in one revision and returns them', () => {
      const s = new MvccStore();
      for (const k of ['a', 'b', 'c']) s.put({ key: enc(k), value: enc(k) });
      const r = s.deleteRange({ key: enc('a'), rangeEnd: enc('c'), prevKv: true });
      expect(r).to.include({ revision: 5, deleted: 2 });
      expect(r.prevKvs.map((kv) => dec(kv.key))).to.deep.equal(['a', 'b']);
      expect(s.changesAt(5)?.events.map((e) => `${e.type}:${dec(e.kv.key)}`)).to.deep.equal([
        'delete:a',
        'delete:b',
      ]);
    });

    it('leaves the revision alone when nothing is deleted', () => {
      const s = new MvccStore();
      s.put({ key: enc('a'), value: enc('a') });
      expect(s.deleteRange({ key: enc('x') })).to.include({ revision: 2, deleted: 0 });
      expect(s.currentRevision).to.equal(2);
    });
  });

  describe('#txn', () => {
    const put = (k: string, v: string) => ({ type: 'put' as const, request: { key: enc(k), value: enc(v) } });

    it('applies the success branch as one revision when every compare holds', () => {
      const s = new MvccStore();
      s.put({ key: enc('a'), value: enc('1') });
      const r = s.txn({
        compare: [{ key: enc('a'), target: 'value', result: 'equal', value: enc('1') }],
        success: [put('b', '2'), put('c', '3')],
        failure: [],
      });
      expect(r).to.include({ succeeded: true, revision: 3 });
      expect(s.changesAt(3)?.events).to.have.length(2);
    });

    it('applies the failure branch when a compare fails', () => {
      const s = new MvccStore();
      const r = s.txn({
        compare: [{ key: enc('a'), target: 'version', result: 'greater', value: 0 }],
        success: [put('b', '2')],
        failure: [put('c', '3')],
      });
      expect(r.succeeded).to.equal(false);
      expect(s.range(ALL).kvs.map((kv) => dec(kv.key))).to.deep.equal(['c']);
    });

    it('compares a missing key as zeros, but a value compare on it fails', () => {
      const s = new MvccStore();
      expect(
        s.txn({
          compare: [{ key: enc('a'), target: 'create', result: 'equal', value: 0 }],
          success: [],
          failure: [],
        }).succeeded,
      ).to.equal(true);
      expect(
        s.txn({
          compare: [{ key: enc('a'), target: 'value', result: 'notEqual', value: enc('x') }],
          success: [],
          failure: [],
        }).succeeded,
      ).to.equal(false);
    });

    it('compares every key of a range', () => {
      const s = new MvccStore();
      s.put({ key: enc('a1'), value: enc('1') });
      s.put({ key: enc('a2'), value: enc('2') });
      const cmp = (v: number) => ({
        compare: [
          { key: enc('a'), rangeEnd: enc('b'), target: 'mod' as const, result: 'less' as const, value: v },
        ],
        success: [],
        failure: [],
      });
      expect(s.txn(cmp(4)).succeeded).to.equal(true);
      expect(s.txn(cmp(3)).succeeded).to.equal(false);
    });

    it('lets later ops read the txn own writes, at the txn revision', () => {
      const s = new MvccStore();
      const r = s.txn({
        compare: [],
        success: [put('a', '1'), { type: 'range', request: { key: enc('a') } }],
        failure: [],
      });
      const read = r.responses[1];
      expect(read?.type === 'range' && read.response.kvs.length).to.equal(1);
      expect(read?.type === 'range' && read.response.revision).to.equal(2);
    });

    it('runs nested txns with compares evaluated before any change', () => {
      const s = new MvccStore();
      const nested: TxnRequest = {
        compare: [{ key: enc('a'), target: 'version', result: 'equal', value: 0 }],
        success: [put('n', 'yes')],
        failure: [put('n', 'no')],
      };
      s.txn({ compare: [], success: [put('a', '1'), { type: 'txn', request: nested }], failure: [] });
      expect(dec(s.range({ key: enc('n') }).kvs[0]?.value ?? enc('?'))).to.equal('yes');
      expect(s.currentRevision).to.equal(2);
    });

    it('refuses a txn that writes one key twice with DUPLICATE_KEY', () => {
      const s = new MvccStore();
      expect(() => s.txn({ compare: [], success: [put('a', '1'), put('a', '2')], failure: [] }))
        .to.throw()
        .with.property('code', 'DUPLICATE_KEY');
      expect(() =>
        s.txn({
          compare: [],
          success: [{ type: 'deleteRange', request: { key: enc('a'), rangeEnd: enc('c') } }, put('b', '1')],
          failure: [],
        }),
      )
        .to.throw()
        .with.property('code', 'DUPLICATE_KEY');
      expect(() =>
        s.txn({
          compare: [],
          success: [
            put('a', '1'),
            { type: 'txn', request: { compare: [], success: [], failure: [put('a', '2')] } },
          ],
          failure: [],
        }),
      )
        .to.throw()
        .with.property('code', 'DUPLICATE_KEY');
      expect(() =>
        s.txn({
          compare: [],
          success: [
            put('b', '1'),
            {
              type: 'txn',
              request: {
                compare: [],
                success: [{ type: 'deleteRange', request: { key: enc('a'), rangeEnd: enc('c') } }],
                failure: [],
              },
            },
          ],
          failure: [],
        }),
      )
        .to.throw()
        .with.property('code', 'DUPLICATE_KEY');
      expect(s.currentRevision).to.equal(1);
    });

    it('allows one key in the two exclusive branches of a nested txn', () => {
      const s = new MvccStore();
      const del = { type: 'deleteRange' as const, request: { key: enc('a') } };
      const nested = { compare: [], success: [put('a', '1')], failure: [del, put('b', '1')] };
      const both = { compare: [], success: [del], failure: [put('a', '2')] };
      expect(() =>
        s.txn({
          compare: [],
          success: [
            { type: 'txn', request: nested },
            { type: 'txn', request: { compare: [], success: [], failure: [put('c', '1')] } },
          ],
          failure: [],
        }),
      ).to.not.throw();
      expect(() =>
        s.txn({ compare: [], success: [{ type: 'txn', request: both }], failure: [] }),
      ).to.not.throw();
    });

    it('allows the same key in the two branches and overlapping deletes', () => {
      const s = new MvccStore();
      s.put({ key: enc('a'), value: enc('1') });
      const del = { type: 'deleteRange' as const, request: { key: enc('a'), rangeEnd: enc('z') } };
      expect(s.txn({ compare: [], success: [del, del], failure: [put('a', '3')] }).succeeded).to.equal(true);
      expect(s.range(ALL).count).to.equal(0);
    });

    it('is atomic: a refused put on the taken path leaves everything unchanged', () => {
      const s = new MvccStore(
        {},
        { hasLease: () => false, attach: () => undefined, detach: () => undefined },
      );
      const bad = { type: 'put' as const, request: { key: enc('b'), value: enc('2'), lease: 5 } };
      expect(() => s.txn({ compare: [], success: [put('a', '1'), bad], failure: [] }))
        .to.throw()
        .with.property('code', 'LEASE_NOT_FOUND');
      expect(s.currentRevision).to.equal(1);
      expect(s.range(ALL).count).to.equal(0);
    });

    it('refuses a range at a revision after the txn start before changing anything', () => {
      const s = new MvccStore();
      s.put({ key: enc('a'), value: enc('1') });
      for (const revision of [3, 4]) {
        const future = { type: 'range' as const, request: { key: enc('a'), revision } };
        expect(() => s.txn({ compare: [], success: [put('b', '1'), future], failure: [] }))
          .to.throw()
          .with.property('code', 'FUTURE_REVISION');
      }
      expect(s.range(ALL).count).to.equal(1);
      expect(s.put({ key: enc('b'), value: enc('2') }).revision).to.equal(3);
    });

    it('refuses more ops than maxTxnOps', () => {
      const s = new MvccStore({ maxTxnOps: 2 });
      expect(() =>
        s.txn({ compare: [], success: [put('a', '1'), put('b', '1'), put('c', '1')], failure: [] }),
      )
        .to.throw()
        .with.property('code', 'INVALID_ARGUMENT');
    });
  });
});
