import { expect } from 'chai';
import fc from 'fast-check';
import { keyList, withKey, withoutKey, type AttachedKeys } from '../../../server/lease/attached-keys.js';

describe('attached keys', () => {
  it('lists the same keys in the same order as a Set given the same attaches and detaches', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c', 'd'))), (ops) => {
        const model = new Set<string>();
        let keys: AttachedKeys;
        for (const [attach, key] of ops) {
          if (attach) {
            model.add(key);
            keys = withKey(keys, key);
          } else {
            model.delete(key);
            keys = withoutKey(keys, key);
          }
          expect(keyList(keys)).to.deep.equal([...model]);
        }
      }),
    );
  });
});
