import { createHash } from 'node:crypto';
import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader, ByteWriter, Hasher, MvccStore, type KeyValue } from '../../../server/mvcc/index.js';
import { bytesToLatin1, latin1ToBytes } from '../../../server/mvcc/latin1.js';
import { WatchableStore, type WatchResponse } from '../../../server/watch/index.js';
import { ALL } from './helpers.js';

/** Every byte value once, 0x00 … 0xff. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
/** The bytes windows-1252 (`TextDecoder('latin1')`) maps to other code points. */
const C1 = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
const reversed = (b: Uint8Array): Uint8Array => b.slice().reverse();

/** A store whose keys and values hold every byte, with a delete and a compaction. */
function allBytesStore(): MvccStore {
  const s = new MvccStore();
  s.put({ key: ALL_BYTES, value: reversed(ALL_BYTES) });
  s.put({ key: C1, value: C1 });
  s.put({ key: Uint8Array.of(0x9f), value: Uint8Array.of(0, 0x80, 0xff) });
  s.deleteRange({ key: C1 });
  s.compact(3);
  s.put({ key: ALL_BYTES, value: C1 });
  return s;
}

const pairs = (kvs: readonly KeyValue[]): number[][][] => kvs.map((kv) => [[...kv.key], [...kv.value]]);

describe('latin1 representation of keys and values', () => {
  describe('bytesToLatin1 / latin1ToBytes', () => {
    it('round-trip every byte value, alone (short path) and together (native path)', () => {
      for (let b = 0; b < 256; b++) {
        const s = bytesToLatin1(Uint8Array.of(b));
        expect(s.charCodeAt(0)).to.equal(b);
        expect([...latin1ToBytes(s)]).to.deep.equal([b]);
      }
      const long = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
      expect([...latin1ToBytes(bytesToLatin1(long))]).to.deep.equal([...long]);
      expect([...latin1ToBytes(bytesToLatin1(ALL_BYTES))]).to.deep.equal([...ALL_BYTES]);
      expect(bytesToLatin1(ALL_BYTES, 0x80, 0xa0)).to.equal(bytesToLatin1(C1));
    });

    it('give a plain Uint8Array, whose slice is a copy', () => {
      const b = latin1ToBytes(bytesToLatin1(ALL_BYTES));
      expect(Object.getPrototypeOf(b)).to.equal(Uint8Array.prototype);
      const copy = b.slice();
      copy[0] = 99;
      expect(b[0]).to.equal(0);
    });
  });

  describe('the codec and the hasher', () => {
    it('encode and hash a latin1 string exactly as the bytes it stands for', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
          const s = bytesToLatin1(bytes);
          expect(new ByteWriter().latin1(s).finish()).to.deep.equal(new ByteWriter().bytes(bytes).finish());
          expect(new ByteReader(new ByteWriter().bytes(bytes).finish()).latin1()).to.equal(s);
          const a = new Hasher();
          a.latin1(s);
          const b = new Hasher();
          b.bytes(bytes);
          expect(a.digest()).to.equal(b.digest());
        }),
      );
    });
  });

  describe('MvccStore', () => {
    it('reads back every byte of keys and values, with keysOnly, value compares and value sorts', () => {
      const s = allBytesStore();
      expect(pairs(s.range({ ...ALL }).kvs)).to.deep.equal([
        [[...ALL_BYTES], [...C1]],
        [[0x9f], [0, 0x80, 0xff]],
      ]);
      expect(pairs(s.range({ key: ALL_BYTES, revision: 3 }).kvs)).to.deep.equal([
        [[...ALL_BYTES], [...reversed(ALL_BYTES)]],
      ]);
      expect(pairs(s.range({ ...ALL, keysOnly: true }).kvs)).to.deep.equal([
        [[...ALL_BYTES], []],
        [[0x9f], []],
      ]);
      // By value, bytewise: [0 0x80 0xff] < C1 (0x80 0x81 …), the reverse of the key order.
      expect(pairs(s.range({ ...ALL, sortTarget: 'value', sortOrder: 'ascend' }).kvs)).to.deep.equal([
        [[0x9f], [0, 0x80, 0xff]],
        [[...ALL_BYTES], [...C1]],
      ]);
      const cmp = (value: Uint8Array, result: 'equal' | 'less'): boolean =>
        s.txn({ compare: [{ key: ALL_BYTES, target: 'value', result, value }], success: [], failure: [] })
          .succeeded;
      expect(cmp(C1, 'equal')).to.equal(true);
      // 0x82 < 0x83 bytewise; windows-1252 would compare U+201A with U+0192 the other way round.
      expect(cmp(Uint8Array.of(0x80, 0x81, 0x83), 'less')).to.equal(true);
      expect(cmp(Uint8Array.of(0x80, 0x81), 'less')).to.equal(false);
    });

    it('hands out copies: changing a returned key or value changes nothing stored', () => {
      const s = allBytesStore();
      const before = s.hash();
      const kv = s.range({ key: ALL_BYTES }).kvs[0] as KeyValue;
      kv.value.fill(0);
      kv.key.fill(0);
      const prev = s.put({ key: ALL_BYTES, value: ALL_BYTES, prevKv: true }).prevKv as KeyValue;
      prev.value.fill(0);
      expect(pairs(s.range({ key: ALL_BYTES, revision: s.currentRevision - 1 }).kvs)).to.deep.equal([
        [[...ALL_BYTES], [...C1]],
      ]);
      expect(s.hash(s.currentRevision - 1)).to.equal(before);
    });

    it('holds values inside the heap, not in an ArrayBuffer each', () => {
      const s = new MvccStore();
      const value = new Uint8Array(1024).fill(0x85);
      const n = 2000;
      const before = process.memoryUsage().arrayBuffers;
      for (let i = 0; i < n; i++) s.put({ key: Uint8Array.of(i >> 8, i & 0xff), value });
      const grown = process.memoryUsage().arrayBuffers - before;
      // A Uint8Array per value would add n × 1 KiB of ArrayBuffers, all still referenced.
      expect(grown).to.be.below((n * value.length) / 4);
      expect(s.range({ key: Uint8Array.of(7, 207) }).kvs[0]?.value).to.deep.equal(value);
    });

    it('writes the snapshot and the hash older builds wrote for the same content', () => {
      const s = allBytesStore();
      // Computed by the build before this representation (Uint8Array keys and values): members
      // of both builds agree on hashes, and their snapshots are interchangeable.
      expect(s.hash()).to.equal('33f781b8d0a65f47');
      expect(createHash('sha256').update(s.snapshot()).digest('hex')).to.equal(
        '580a10c9af92c610ee2defcccb87de732a47bb26d7a701c734dfe76bb78da85f',
      );
    });

    it('restores every byte from a snapshot, with reads and the hash of the original', () => {
      const s = allBytesStore();
      const t = new MvccStore();
      t.restore(s.snapshot());
      expect(t.hash()).to.equal(s.hash());
      for (let rev = 3; rev <= s.currentRevision; rev++)
        expect(pairs(t.range({ ...ALL, revision: rev }).kvs)).to.deep.equal(
          pairs(s.range({ ...ALL, revision: rev }).kvs),
        );
      expect(t.snapshot()).to.deep.equal(s.snapshot());
    });

    it('hashes two stores with equal content alike, however far physical compaction got', () => {
      const a = allBytesStore();
      const b = allBytesStore();
      while (b.dropCompactedBatch(1)); // b drops its compacted history, a keeps it
      expect(b.compactionPending).to.equal(false);
      expect(a.hash()).to.equal(b.hash());
      // One value byte apart (0x80 vs 0x81: both in windows-1252's remapped range) hash apart.
      const c = allBytesStore();
      c.put({ key: C1, value: Uint8Array.of(0x80) });
      const d = allBytesStore();
      d.put({ key: C1, value: Uint8Array.of(0x81) });
      expect(c.hash()).to.not.equal(d.hash());
    });
  });

  describe('WatchableStore', () => {
    it('delivers every byte of keys, values and previous values', () => {
      const s = new MvccStore();
      const w = new WatchableStore(s);
      const id = w.watch({ ...ALL, prevKv: true });
      s.put({ key: C1, value: ALL_BYTES });
      s.put({ key: C1, value: reversed(ALL_BYTES) });
      s.deleteRange({ key: C1 });
      const events = w
        .take(id)
        .flatMap((r: WatchResponse) => (r.type === 'events' ? r.events : []))
        .map((e) => [e.type, [...e.kv.key], [...e.kv.value], [...(e.prevKv?.value ?? [])]]);
      expect(events).to.deep.equal([
        ['put', [...C1], [...ALL_BYTES], []],
        ['put', [...C1], [...reversed(ALL_BYTES)], [...ALL_BYTES]],
        ['delete', [...C1], [], [...reversed(ALL_BYTES)]],
      ]);
    });
  });
});
