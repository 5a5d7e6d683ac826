import { expect } from 'chai';
import {
  entryAt,
  entryLatest,
  indexCompact,
  indexPut,
  indexReplayTombstone,
  indexTombstone,
  type IndexEntry,
  type KeyMap,
} from '../../../server/mvcc/index-entry.js';
import { KeyIndex } from '../../../server/mvcc/key-index.js';
import { StoredKeyValue } from '../../../server/mvcc/kv-types.js';
import { TreeIndex } from '../../../server/mvcc/tree-index.js';

const kv = (mod: number, create: number, version: number): StoredKeyValue =>
  new StoredKeyValue('k', create, mod, version, `v${mod}`, 0);
const kind = (index: KeyMap): string => {
  const e = index.get('k');
  return e === undefined
    ? 'none'
    : e instanceof KeyIndex
      ? `index ${e.describe()}`
      : `lone @${e.modRevision}`;
};

describe('index entries', () => {
  it('hold a key with one put alone, a KeyIndex once it changes, and alone again after compaction', () => {
    const index: KeyMap = new TreeIndex<IndexEntry>();
    indexPut(index, kv(2, 2, 1));
    expect(kind(index)).to.equal('lone @2');
    expect(entryAt(index.get('k'), 1)).to.equal(undefined);
    expect(entryAt(index.get('k'), 2)?.modRevision).to.equal(2);
    indexPut(index, kv(3, 2, 2));
    expect(kind(index)).to.equal('index {@2 @3}');
    expect(entryAt(index.get('k'), 2)?.version).to.equal(1);
    expect(indexCompact(index, 'k', 3)).to.equal(false);
    expect(kind(index)).to.equal('lone @3');
    indexTombstone(index, 'k', 4);
    expect(kind(index)).to.equal('index {@3 x@4}');
    expect(entryLatest(index.get('k'))).to.equal(undefined);
    indexPut(index, kv(5, 5, 1));
    expect(indexCompact(index, 'k', 4)).to.equal(false);
    expect(kind(index)).to.equal('lone @5');
    indexTombstone(index, 'k', 6);
    expect(indexCompact(index, 'k', 6)).to.equal(true);
    expect(kind(index)).to.equal('none');
  });

  it('replays a tombstone from a snapshot only over a live put below it', () => {
    const index: KeyMap = new TreeIndex<IndexEntry>();
    indexPut(index, kv(5, 5, 1));
    indexReplayTombstone(index, 'k', 5); // not above the put: a generation compaction dropped
    expect(kind(index)).to.equal('lone @5');
    indexReplayTombstone(index, 'k', 7);
    expect(kind(index)).to.equal('index {@5 x@7}');
  });
});
