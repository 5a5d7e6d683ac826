/**
 * The SDK's snapshot download (client/snapshot.ts) against the real client port over a fake
 * backend: the file's bytes as the member sent them, verified; damage reported with the offset of
 * its block (SnapshotCorruptError, CORRUPT); an abort or a `break` ends the stream on the member,
 * so the connection can open the next one (one snapshot stream per connection).
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { Client, SnapshotCorruptError } from '../../client/index.js';
import { crc32c, frameSnapshot } from '../../client/protocol/index.js';
import { startTestServer, type TestServer } from './helpers.js';

const BLOCK = 64 * 1024;

async function fileOf(payload: Uint8Array): Promise<Uint8Array> {
  async function* one(): AsyncGenerator<Uint8Array> {
    yield payload;
  }
  const parts: Uint8Array[] = [];
  for await (const p of frameSnapshot(one(), payload.length, createHash('sha256'))) parts.push(p);
  return Buffer.concat(parts);
}

describe('client.snapshot() (SDK snapshot stream)', function () {
  this.timeout(30_000);
  let server: TestServer;
  let client: Client;
  const payload = Uint8Array.from({ length: 2_500_000 }, (_, i) => (i * 31) & 0xff);
  let file: Uint8Array;

  before(async () => {
    file = await fileOf(payload);
  });
  beforeEach(async () => {
    server = await startTestServer();
    client = new Client({ endpoints: [server.url], livenessIntervalMs: 0 });
  });
  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  it('yields the file as the member sent it and verifies it', async () => {
    server.backend.snapshotBytes = file;
    const snap = await client.snapshot();
    expect(snap.totalBytes).to.equal(file.length);
    const parts: Uint8Array[] = [];
    for await (const chunk of snap) parts.push(chunk);
    expect(Buffer.compare(Buffer.concat(parts), file)).to.equal(0);
    expect(snap.receivedBytes).to.equal(file.length);
    expect(snap.summary?.checksum).to.equal(crc32c(payload));
    expect(snap.summary?.payloadBytes).to.equal(payload.length);
  });

  it('throws SnapshotCorruptError naming the offset of a damaged block', async () => {
    const damaged = Uint8Array.from(file);
    const blockAt = 8 + 20 * (BLOCK + 8);
    damaged[blockAt + 4 + 1000] = damaged[blockAt + 4 + 1000]! ^ 0x10;
    server.backend.snapshotBytes = damaged;
    const snap = await client.snapshot();
    let received = 0;
    let err: unknown;
    try {
      for await (const chunk of snap) received += chunk.length;
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(SnapshotCorruptError);
    const e = err as SnapshotCorruptError;
    expect(e.code).to.equal('CORRUPT');
    expect(e.offset).to.equal(blockAt);
    expect(e.message).to.contain(`offset ${blockAt}`);
    // Nothing of the damaged chunk was handed out.
    expect(received).to.be.at.most(blockAt + BLOCK + 8);
    expect(snap.summary).to.equal(undefined);
  });

  it('ends the stream on the member when the caller aborts or breaks out', async () => {
    server.backend.snapshotBytes = file;
    const abort = new AbortController();
    const aborted = await client.snapshot({ signal: abort.signal });
    let err: unknown;
    try {
      for await (const _ of aborted) abort.abort(new Error('enough'));
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal('enough');
    const broken = await client.snapshot();
    for await (const _ of broken) break;
    // One snapshot stream per connection: a third opens only if both were ended on the member.
    const third = await client.snapshot();
    const parts: Uint8Array[] = [];
    for await (const chunk of third) parts.push(chunk);
    expect(Buffer.compare(Buffer.concat(parts), file)).to.equal(0);
  });
});
