import { expect } from 'chai';
import fc from 'fast-check';
import { History } from '../../../server/mvcc/history.js';
import {
  StoredKeyValue,
  tombstone,
  type StoredChanges,
  type StoredEvent,
} from '../../../server/mvcc/kv-types.js';

/** One revision's changes: puts and deletes over a few keys, 1 to 3 of them. */
const changesArb = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4 }), fc.nat(5)), {
  minLength: 1,
  maxLength: 3,
});

function build(revision: number, spec: readonly [boolean, number, number][]): StoredChanges {
  const events: StoredEvent[] = spec.map(([isPut, k, version]) => {
    const key = `k${k}`;
    return isPut
      ? { type: 'put', kv: new StoredKeyValue(key, revision, revision, version + 1, 'v', k) }
      : { type: 'delete', kv: tombstone(key, revision) };
  });
  return { revision, events, keys: events.map((e) => e.kv.keyString) };
}

describe('History', () => {
  describe('#at', () => {
    it('gives back every revision as appended, single-change ones included, after drops', () => {
      fc.assert(
        fc.property(fc.array(changesArb, { minLength: 1, maxLength: 40 }), fc.nat(45), (revs, drops) => {
          const h = History.initial();
          const appended = revs.map((spec, i) => build(i + 2, spec));
          for (const c of appended) h.append(c, 0, 0);
          for (let i = 0; i < Math.min(drops, h.length); i++) h.dropFirst();
          for (const c of appended) {
            if (c.revision < h.firstRevision) expect(h.at(c.revision)).to.equal(undefined);
            else expect(h.at(c.revision)).to.deep.equal(c);
          }
        }),
      );
    });

    it('keeps a single event whose type the KeyValue does not imply whole', () => {
      const h = History.initial();
      // Not produced by the store (a put has version ≥ 1), but the history must not rewrite it.
      const odd: StoredChanges = {
        revision: 2,
        events: [{ type: 'put', kv: tombstone('k', 2) }],
        keys: ['k'],
      };
      h.append(odd, 0, 0);
      expect(h.at(2)).to.deep.equal(odd);
    });
  });
});
