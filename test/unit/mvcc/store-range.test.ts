import { expect } from 'chai';
import fc from 'fast-check';
import {
  MvccStore,
  prefixEnd,
  type KeyValue,
  type RangeRequest,
  type SortTarget,
} from '../../../server/mvcc/index.js';
import { ALL, dec, enc } from './helpers.js';

function seeded(): MvccStore {
  const s = new MvccStore();
  s.put({ key: enc('a'), value: enc('3') }); // 2
  s.put({ key: enc('b'), value: enc('1') }); // 3
  s.put({ key: enc('c'), value: enc('2') }); // 4
  s.put({ key: enc('a'), value: enc('4') }); // 5
  s.put({ key: enc('ab'), value: enc('0') }); // 6
  return s;
}
const keys = (kvs: readonly KeyValue[]): string[] => kvs.map((kv) => dec(kv.key));

describe('MvccStore', () => {
  describe('#range', () => {
    it('reads one key, a range, a prefix and all keys', () => {
      const s = seeded();
      expect(keys(s.range({ key: enc('a') }).kvs)).to.deep.equal(['a']);
      expect(keys(s.range({ key: enc('a'), rangeEnd: enc('c') }).kvs)).to.deep.equal(['a', 'ab', 'b']);
      expect(keys(s.range({ key: enc('a'), rangeEnd: prefixEnd(enc('a')) }).kvs)).to.deep.equal(['a', 'ab']);
      expect(keys(s.range({ key: enc('b'), rangeEnd: new Uint8Array([0]) }).kvs)).to.deep.equal(['b', 'c']);
      expect(keys(s.range(ALL).kvs)).to.deep.equal(['a', 'ab', 'b', 'c']);
    });

    it('numbers writes from 2 (a new store is at 1, as etcd) and keeps create/mod/version per key', () => {
      const a = seeded().range({ key: enc('a') }).kvs[0];
      expect(a).to.include({ createRevision: 2, modRevision: 5, version: 2 });
    });

    context('on a brand-new store', () => {
      it('answers at revision 1, reads revision 1 and refuses 2 as a future revision, as etcd', () => {
        const s = new MvccStore();
        expect(s.currentRevision).to.equal(1);
        expect(s.range(ALL)).to.deep.equal({ revision: 1, kvs: [], more: false, count: 0 });
        expect(s.range({ ...ALL, revision: 1 }).count).to.equal(0);
        expect(() => s.range({ ...ALL, revision: 2 }))
          .to.throw()
          .with.property('code', 'FUTURE_REVISION');
      });

      it('gives the first key create revision 2, so "created before it" (max create 1) is bounded', () => {
        const s = new MvccStore();
        const first = s.put({ key: enc('lock/1'), value: enc('') });
        expect(first.revision).to.equal(2);
        const created = s.range({ key: enc('lock/1') }).kvs[0]?.createRevision ?? 0;
        expect(created).to.equal(2);
        const before = s.range({ key: enc('lock/'), rangeEnd: enc('lock0'), maxCreateRevision: created - 1 });
        expect(keys(before.kvs)).to.deep.equal([]);
      });
    });

    it('reads at a past revision', () => {
      const s = seeded();
      expect(keys(s.range({ ...ALL, revision: 3 }).kvs)).to.deep.equal(['a', 'b']);
      expect(dec(s.range({ key: enc('a'), revision: 4 }).kvs[0]?.value ?? enc('?'))).to.equal('3');
    });

    it('refuses a future revision with FUTURE_REVISION', () => {
      expect(() => seeded().range({ ...ALL, revision: 7 }))
        .to.throw()
        .with.property('code', 'FUTURE_REVISION');
    });

    it('limits and says whether more keys remain, counting them all', () => {
      const r = seeded().range({ ...ALL, limit: 2 });
      expect(keys(r.kvs)).to.deep.equal(['a', 'ab']);
      expect(r).to.include({ more: true, count: 4 });
      expect(seeded().range({ ...ALL, limit: 4 }).more).to.equal(false);
    });

    it('sorts by value descending and by mod revision ascending', () => {
      expect(keys(seeded().range({ ...ALL, sortTarget: 'value', sortOrder: 'descend' }).kvs)).to.deep.equal([
        'a',
        'c',
        'b',
        'ab',
      ]);
      expect(keys(seeded().range({ ...ALL, sortTarget: 'mod' }).kvs)).to.deep.equal(['b', 'c', 'a', 'ab']);
      expect(keys(seeded().range({ ...ALL, sortOrder: 'descend' }).kvs)).to.deep.equal(['c', 'b', 'ab', 'a']);
    });

    it('returns only the count with countOnly and empty values with keysOnly', () => {
      const c = seeded().range({ ...ALL, countOnly: true });
      expect(c.kvs).to.have.length(0);
      expect(c.count).to.equal(4);
      const k = seeded().range({ ...ALL, keysOnly: true });
      expect(k.kvs.every((kv) => kv.value.length === 0)).to.equal(true);
    });

    it('filters by mod and create revisions', () => {
      expect(keys(seeded().range({ ...ALL, minModRevision: 4, maxModRevision: 5 }).kvs)).to.deep.equal([
        'a',
        'c',
      ]);
      expect(keys(seeded().range({ ...ALL, minCreateRevision: 3, maxCreateRevision: 4 }).kvs)).to.deep.equal([
        'b',
        'c',
      ]);
    });

    it('returns nothing when rangeEnd is not above key', () => {
      expect(seeded().range({ key: enc('c'), rangeEnd: enc('a') }).kvs).to.have.length(0);
    });

    it('refuses an empty key and a negative limit with INVALID_ARGUMENT', () => {
      expect(() => seeded().range({ key: new Uint8Array(0) }))
        .to.throw()
        .with.property('code', 'INVALID_ARGUMENT');
      expect(() => seeded().range({ ...ALL, limit: -1 }))
        .to.throw()
        .with.property('code', 'INVALID_ARGUMENT');
    });

    context('with random options over random data', () => {
      it('equals filtering, sorting and truncating the plain list of keys', () => {
        const targets: SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];
        fc.assert(
          fc.property(
            fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.constantFrom('x', 'y', 'z')), {
              minLength: 1,
              maxLength: 25,
            }),
            fc.record({
              limit: fc.nat(4),
              sortTarget: fc.constantFrom(...targets),
              sortOrder: fc.constantFrom('none', 'ascend', 'descend'),
              minModRevision: fc.nat(10),
              maxCreateRevision: fc.nat(10),
            }),
            (puts, opts) => {
              const s = new MvccStore();
              for (const [k, v] of puts) s.put({ key: enc(k), value: enc(v) });
              const req: RangeRequest = { ...ALL, ...opts } as RangeRequest;
              const got = s.range(req);
              const all = s.range(ALL).kvs;
              let want = all.filter(
                (kv) =>
                  (opts.minModRevision === 0 || kv.modRevision >= opts.minModRevision) &&
                  (opts.maxCreateRevision === 0 || kv.createRevision <= opts.maxCreateRevision),
              );
              const field = (kv: KeyValue): number | string =>
                ({
                  key: dec(kv.key),
                  version: kv.version,
                  create: kv.createRevision,
                  mod: kv.modRevision,
                  value: dec(kv.value),
                })[opts.sortTarget];
              const order =
                opts.sortOrder === 'none' && opts.sortTarget !== 'key' ? 'ascend' : opts.sortOrder;
              if (order !== 'none') {
                want = [...want].sort((x, y) => {
                  const fx = field(x);
                  const fy = field(y);
                  const c = fx < fy ? -1 : fx > fy ? 1 : 0;
                  return order === 'descend' ? -c : c;
                });
              }
              const more = opts.limit > 0 && want.length > opts.limit;
              if (opts.limit > 0) want = want.slice(0, opts.limit);
              expect(keys(got.kvs)).to.deep.equal(keys(want));
              expect(got.more).to.equal(more);
              expect(got.count).to.equal(all.length);
            },
          ),
          { numRuns: 300 },
        );
      });
    });
  });
});
