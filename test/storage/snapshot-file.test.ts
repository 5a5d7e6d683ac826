/**
 * The snapshot file (client/protocol/snapshot-format.ts), the one format of `maintenance.snapshot`,
 * `snapshot save` and `snapshot status|restore`: a framed payload reads back whole; a change to any
 * payload byte is reported at the offset of its block; a file cut at any byte is reported at the
 * offset where it ends; nothing may follow the end record.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  crc32c,
  framedSizeBytes,
  frameSnapshot,
  SnapshotFileError,
  SnapshotFileReader,
} from '../../client/protocol/index.js';
import { SeededRandom } from '../../server/platform/random.js';

const BLOCK = 64 * 1024;

async function framed(payload: Uint8Array, chunkBytes: number): Promise<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < payload.length; at += chunkBytes) yield payload.subarray(at, at + chunkBytes);
  }
  const parts: Uint8Array[] = [];
  for await (const p of frameSnapshot(chunks(), payload.length, createHash('sha256'))) parts.push(p);
  return Buffer.concat(parts);
}

function payloadOf(bytes: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed);
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = random.int(256);
  return out;
}

/** Reads a whole file; returns the payload, or the error the reader threw. */
function read(file: Uint8Array): Uint8Array | SnapshotFileError {
  const reader = new SnapshotFileReader(createHash('sha256'));
  try {
    const parts = reader.push(file);
    reader.finish();
    return Buffer.concat(parts);
  } catch (err) {
    if (err instanceof SnapshotFileError) return err;
    throw err;
  }
}

describe('snapshot file format', () => {
  const payload = payloadOf(3 * BLOCK + 1234, 7);
  /** Where the end record starts: header, then 4 blocks of 8 bytes of framing each. */
  const endAt = 8 + payload.length + 4 * 8;
  let file: Uint8Array;

  before(async () => {
    file = await framed(payload, 10_000);
  });

  it('frames a payload into the announced size and reads it back, with its CRC-32C as checksum', () => {
    expect(file.length).to.equal(framedSizeBytes(payload.length));
    // etcd's shape, which etcdctl snapshot save checks: 512-byte units, then a SHA-256 of them.
    expect(file.length % 512).to.equal(32);
    const sha = createHash('sha256')
      .update(file.subarray(0, file.length - 32))
      .digest('hex');
    expect(Buffer.from(file.subarray(file.length - 32)).toString('hex')).to.equal(sha);
    const reader = new SnapshotFileReader(createHash('sha256'));
    // Fed in odd-sized pieces: fields split across chunks are gathered.
    const parts: Uint8Array[] = [];
    for (let at = 0; at < file.length; at += 4097) parts.push(...reader.push(file.subarray(at, at + 4097)));
    const summary = reader.finish();
    expect(Buffer.compare(Buffer.concat(parts), payload)).to.equal(0);
    expect(summary).to.deep.equal({
      payloadBytes: payload.length,
      fileBytes: file.length,
      checksum: crc32c(payload),
      sha256: sha,
      sha256Verified: true,
    });
  });

  it('reports a changed payload byte at the offset of its block', () => {
    const random = new SeededRandom(11);
    for (let trial = 0; trial < 200; trial++) {
      const p = random.int(payload.length);
      const block = Math.floor(p / BLOCK);
      const blockAt = 8 + block * (BLOCK + 8);
      const damaged = Uint8Array.from(file);
      const at = blockAt + 4 + (p % BLOCK);
      damaged[at] = damaged[at]! ^ (1 + random.int(255));
      const r = read(damaged);
      expect(r, `byte ${at}`).to.be.instanceOf(SnapshotFileError);
      const err = r as SnapshotFileError;
      expect(err.problem).to.equal('checksum');
      expect(err.offset, `byte ${at}`).to.equal(blockAt);
      expect(err.message).to.contain(`damaged at offset ${blockAt}:`);
    }
  });

  it('refuses a change to any byte of the framing (header, lengths, checksums, end record)', () => {
    const framing: number[] = [0, 1, 2, 3, 4, 5];
    for (let b = 0; b < 4; b++) {
      const blockAt = 8 + b * (BLOCK + 8);
      const len = b < 3 ? BLOCK : 1234;
      for (let i = 0; i < 4; i++) framing.push(blockAt + i, blockAt + 4 + len + i);
    }
    // The end record, the padding and the SHA-256.
    for (let i = endAt; i < file.length; i++) framing.push(i);
    for (const at of framing) {
      const damaged = Uint8Array.from(file);
      damaged[at] = damaged[at]! ^ 0x40;
      expect(read(damaged), `byte ${at}`).to.be.instanceOf(SnapshotFileError);
    }
  });

  it('refuses a file cut anywhere, naming the offset where it ends', () => {
    // Every cut near the framing (header, each block's length and checksum, the end record),
    // and every 101st byte inside the payload.
    const framing = [
      0,
      ...[0, 1, 2, 3].map((b) => 8 + b * (BLOCK + 8)),
      endAt,
      file.length - 32,
      file.length,
    ];
    const isChecked = (cut: number): boolean =>
      cut % 101 === 0 || framing.some((f) => Math.abs(cut - f) <= 16 || Math.abs(cut - (f - 4)) <= 16);
    const reader = new SnapshotFileReader();
    let checked = 0;
    for (let cut = 0; cut < file.length; cut++) {
      if (isChecked(cut)) {
        checked++;
        let err: unknown;
        try {
          reader.finish();
        } catch (e) {
          err = e;
        }
        expect(err, `cut at ${cut}`).to.be.instanceOf(SnapshotFileError);
        expect((err as SnapshotFileError).problem).to.equal('truncated');
        expect((err as SnapshotFileError).offset).to.equal(cut);
        expect((err as SnapshotFileError).message).to.contain(`the file ends after ${cut} bytes`);
      }
      reader.push(file.subarray(cut, cut + 1));
    }
    expect(checked).to.be.greaterThan(2000);
    expect(reader.finish().fileBytes).to.equal(file.length);
  });

  it('checks the SHA-256 at the end when given a hasher, and only reads it without one', () => {
    const damaged = Uint8Array.from(file);
    damaged[file.length - 1] = damaged[file.length - 1]! ^ 0x01;
    const r = read(damaged);
    expect(r).to.be.instanceOf(SnapshotFileError);
    expect((r as SnapshotFileError).offset).to.equal(file.length - 32);
    expect((r as SnapshotFileError).message).to.contain('SHA-256');
    const plain = new SnapshotFileReader();
    plain.push(damaged);
    expect(plain.finish().sha256Verified).to.equal(false);
  });

  it('refuses bytes after the SHA-256 that ends the file', () => {
    const r = read(Buffer.concat([file, Buffer.from([0])]));
    expect(r).to.be.instanceOf(SnapshotFileError);
    expect((r as SnapshotFileError).problem).to.equal('trailing');
    expect((r as SnapshotFileError).offset).to.equal(file.length);
  });

  it('refuses another format (an unframed state snapshot) at offset 0', () => {
    const r = read(Buffer.from('CSMS\u0003rest of a raw state machine snapshot'));
    expect(r).to.be.instanceOf(SnapshotFileError);
    expect((r as SnapshotFileError).problem).to.equal('magic');
  });

  it('fails a framing whose input is longer or shorter than announced', async () => {
    async function* one(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(10);
    }
    const drain = async (it: AsyncIterable<Uint8Array>): Promise<unknown> => {
      try {
        for await (const _ of it);
        return undefined;
      } catch (err) {
        return err;
      }
    };
    expect(await drain(frameSnapshot(one(), 9, createHash('sha256')))).to.be.instanceOf(Error);
    expect(await drain(frameSnapshot(one(), 11, createHash('sha256')))).to.be.instanceOf(Error);
  });
});
