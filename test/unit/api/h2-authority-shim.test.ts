/**
 * The HTTP/2 authority shim between a client's bytes and node:http2: hand-built client frames
 * (HPACK from hpack.js's compressor, so later blocks refer to its dynamic table) go through the
 * shim into a real node:http2 server, which must see every request with `:authority` bare and
 * every other field as sent, however the bytes are cut; frames it cannot follow end the
 * connection with GOAWAY.
 */
import { expect } from 'chai';
import { createServer, sensitiveHeaders, type Http2Server, type IncomingHttpHeaders } from 'node:http2';
import { createRequire } from 'node:module';
import { Duplex } from 'node:stream';
import {
  AuthorityShim,
  CONNECTION_TOKEN_HEADER,
  shimmedIdentityOf,
} from '../../../server/api/h2-authority-shim.js';
import { authorityWithoutScheme, HeaderBlockTranscoder } from '../../../server/api/h2-header-block.js';
import { eventually } from '../../helpers/eventually.js';

interface TestHeader {
  readonly name: string;
  readonly value: string;
  readonly neverIndex?: boolean;
}
interface HpackCompressor {
  write(headers: TestHeader[]): void;
  read(): Buffer | null;
}
const hpack = createRequire(import.meta.url)('hpack.js') as {
  compressor: { create(o: { table: { maxSize: number } }): HpackCompressor };
};

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

const SETTINGS = frame(0x4, 0, 0, Buffer.alloc(0));
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const PADDED = 0x8;
const PRIORITY = 0x20;

/** A client's header compression: one compressor for the connection, as a real client keeps. */
class ClientEncoder {
  private readonly c = hpack.compressor.create({ table: { maxSize: 4096 } });
  block(headers: TestHeader[]): Buffer {
    this.c.write(headers);
    const parts: Buffer[] = [];
    for (let b = this.c.read(); b !== null; b = this.c.read()) parts.push(b);
    return Buffer.concat(parts);
  }
}

const request = (authority: string, path: string, extra: TestHeader[] = []): TestHeader[] => [
  { name: ':method', value: 'GET' },
  { name: ':scheme', value: 'http' },
  { name: ':path', value: path },
  { name: ':authority', value: authority },
  ...extra,
];

/** The client's end of a connection: what it is sent is kept; its bytes are pushed by the test. */
class FakeClientSocket extends Duplex {
  readonly received: Buffer[] = [];
  ended = false;
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.received.push(chunk);
    cb();
  }
  override _final(cb: () => void): void {
    this.ended = true;
    cb();
  }
  /** The frame types the server side sent, in order. */
  frameTypes(): number[] {
    const all = Buffer.concat(this.received);
    const types: number[] = [];
    for (let at = 0; at + 9 <= all.length; at += 9 + all.readUIntBE(at, 3)) types.push(all[at + 3]!);
    return types;
  }
}

interface Harness {
  readonly client: FakeClientSocket;
  readonly shim: AuthorityShim;
  readonly seen: IncomingHttpHeaders[];
  readonly malformed: string[];
  close(): void;
}

function connect(server: Http2Server): Harness {
  const client = new FakeClientSocket();
  const malformed: string[] = [];
  const shim = new AuthorityShim(client, { onMalformed: (r) => malformed.push(r) });
  server.emit('connection', shim);
  return {
    client,
    shim,
    seen: (server as Http2Server & { seen: IncomingHttpHeaders[] }).seen,
    malformed,
    close: () => client.destroy(),
  };
}

function newServer(): Http2Server & { seen: IncomingHttpHeaders[] } {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer({
    settings: { maxHeaderListSize: 4 << 20 },
    maxSessionMemory: 64,
  }) as Http2Server & {
    seen: IncomingHttpHeaders[];
  };
  server.seen = seen;
  server.on('stream', (stream, headers) => {
    seen.push(headers);
    stream.respond({ ':status': 200 });
    stream.end();
  });
  server.on('sessionError', () => undefined);
  return server;
}

/** Pushes `bytes` into the client socket cut at the given sizes (the rest in one piece). */
function send(h: Harness, bytes: Buffer, cuts: (i: number) => number = () => bytes.length): void {
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const n = Math.max(1, Math.min(cuts(i), bytes.length - at));
    h.client.push(bytes.subarray(at, at + n));
    at += n;
  }
}

describe('AuthorityShim', () => {
  let server: Http2Server & { seen: IncomingHttpHeaders[] };
  let harness: Harness | undefined;

  beforeEach(() => {
    server = newServer();
  });
  afterEach(() => {
    harness?.close();
    harness = undefined;
    server.close();
  });

  const threeRequests = (): Buffer => {
    const enc = new ClientEncoder();
    return Buffer.concat([
      PREFACE,
      SETTINGS,
      frame(0x1, END_HEADERS | END_STREAM, 1, enc.block(request('http://127.0.0.1:2379', '/a'))),
      // The same fields again: hpack.js now sends them as indexes into its dynamic table.
      frame(0x1, END_HEADERS | END_STREAM, 3, enc.block(request('http://127.0.0.1:2379', '/a'))),
      frame(
        0x1,
        END_HEADERS | END_STREAM,
        5,
        enc.block(
          request('127.0.0.1:2379', '/b', [
            { name: 'x-k', value: 'v' },
            { name: CONNECTION_TOKEN_HEADER, value: 'forged' },
          ]),
        ),
      ),
    ]);
  };

  it('hands node every request with :authority bare, the other fields as sent', async () => {
    harness = connect(server);
    send(harness, threeRequests());
    await eventually('three requests', () => (server.seen.length === 3 ? true : undefined));
    expect(server.seen.map((h) => [h[':authority'], h[':path']])).to.deep.equal([
      ['127.0.0.1:2379', '/a'],
      ['127.0.0.1:2379', '/a'],
      ['127.0.0.1:2379', '/b'],
    ]);
    expect(server.seen[2]!['x-k']).to.equal('v');
    expect(harness.shim.rewrites).to.equal(2);
    expect(harness.malformed).to.deep.equal([]);
  });

  it('follows frames cut anywhere by TCP: one byte at a time, and in uneven pieces', async () => {
    for (const cuts of [() => 1, (i: number) => [7, 3, 13, 1, 29][i % 5]!]) {
      server = newServer();
      harness?.close();
      harness = connect(server);
      send(harness, threeRequests(), cuts);
      await eventually('three requests', () => (server.seen.length === 3 ? true : undefined));
      expect(server.seen.map((h) => h[':authority'])).to.deep.equal(Array(3).fill('127.0.0.1:2379'));
    }
  });

  it('reads padded and prioritised HEADERS and a block continued over CONTINUATION frames', async () => {
    const enc = new ClientEncoder();
    const block = enc.block(
      request('https://[::1]:2379', '/p', [{ name: 'secret', value: 's', neverIndex: true }]),
    );
    const padding = Buffer.alloc(17);
    const priority = Buffer.from([0x80, 0, 0, 0, 16]); // exclusive, on stream 0, weight 17
    const cut = 5;
    const headers = Buffer.concat([Buffer.from([padding.length]), priority, block.subarray(0, cut), padding]);
    harness = connect(server);
    send(
      harness,
      Buffer.concat([
        PREFACE,
        SETTINGS,
        frame(0x1, PADDED | PRIORITY | END_STREAM, 1, headers),
        frame(0x9, 0, 1, block.subarray(cut, cut + 3)),
        frame(0x9, 0, 1, Buffer.alloc(0)),
        frame(0x9, END_HEADERS, 1, block.subarray(cut + 3)),
      ]),
      () => 4,
    );
    await eventually('the request', () => (server.seen.length === 1 ? true : undefined));
    expect(server.seen[0]![':authority']).to.equal('[::1]:2379');
    expect(server.seen[0]!['secret']).to.equal('s');
    // node keeps a never-indexed field's marking: it reports it as sensitive.
    expect((server.seen[0] as Record<symbol, unknown>)[sensitiveHeaders]).to.include('secret');
  });

  it('splits a header block larger than a frame into HEADERS and CONTINUATION toward node', async () => {
    const enc = new ClientEncoder();
    // nghttp2 takes fields of up to 64 KiB: four of 30,000 bytes make a 120 kB block.
    const big = 'x'.repeat(30_000);
    const bigs = [1, 2, 3, 4].map((i) => ({ name: `x-big-${i}`, value: big, neverIndex: true }));
    const block = enc.block(request('http://h:1', '/big', bigs));
    expect(block.length).to.be.greaterThan(100_000);
    const frames: Buffer[] = [];
    for (let at = 0; at < block.length; at += 16_384) {
      const last = at + 16_384 >= block.length;
      frames.push(
        frame(
          at === 0 ? 0x1 : 0x9,
          (last ? END_HEADERS : 0) | (at === 0 ? END_STREAM : 0),
          1,
          block.subarray(at, at + 16_384),
        ),
      );
    }
    harness = connect(server);
    send(harness, Buffer.concat([PREFACE, SETTINGS, ...frames]), () => 1000);
    await eventually('the request', () => (server.seen.length === 1 ? true : undefined));
    for (const b of bigs) expect(server.seen[0]![b.name]).to.equal(big);
    expect(server.seen[0]![':authority']).to.equal('h:1');
  });

  it('adds its connection token, which names the connection only while it is open', async () => {
    harness = connect(server);
    send(harness, threeRequests());
    await eventually('three requests', () => (server.seen.length === 3 ? true : undefined));
    const token = String(server.seen[0]![CONNECTION_TOKEN_HEADER]);
    expect(shimmedIdentityOf(token)).to.deep.equal({ peer: 'unknown', certUser: undefined });
    expect(shimmedIdentityOf('made-up')).to.equal(undefined);
    // A token the client sends itself is dropped.
    expect(server.seen[2]![CONNECTION_TOKEN_HEADER]).to.equal(token);
    harness.close();
    await eventually('the connection closed', () => (harness!.shim.destroyed ? true : undefined));
    expect(shimmedIdentityOf(token)).to.equal(undefined);
  });

  context('when the client sends what cannot be followed', () => {
    const cases: [string, () => Buffer][] = [
      ['a CONTINUATION with no header block open', () => frame(0x9, END_HEADERS, 1, Buffer.from([0x82]))],
      [
        'another frame inside a header block',
        () =>
          Buffer.concat([
            frame(0x1, 0, 1, new ClientEncoder().block(request('h:1', '/'))),
            frame(0x6, 0, 0, Buffer.alloc(8)),
          ]),
      ],
      [
        'a padding longer than the HEADERS frame',
        () => frame(0x1, END_HEADERS | PADDED, 1, Buffer.from([9, 0x82])),
      ],
      ['an index past the HPACK tables', () => frame(0x1, END_HEADERS, 1, Buffer.from([0xff, 0x7f]))],
      [
        'a header block cut in the middle of a field',
        () => frame(0x1, END_HEADERS, 1, Buffer.from([0x40, 0x05, 0x61])),
      ],
      [
        'a table size over the limit',
        () => frame(0x1, END_HEADERS, 1, Buffer.from([0x3f, 0xe1, 0xff, 0x03])),
      ],
      ['a PUSH_PROMISE', () => frame(0x5, END_HEADERS, 1, Buffer.alloc(4))],
      ['a header block over the size limit', () => frame(0x1, 0, 1, Buffer.alloc(2 << 20))],
    ];
    for (const [name, bytes] of cases)
      it(`sends GOAWAY and ends the connection: ${name}`, async () => {
        harness = connect(server);
        send(harness, Buffer.concat([PREFACE, SETTINGS, bytes()]), () => 3000);
        await eventually('the connection ended', () => (harness!.client.ended ? true : undefined));
        expect(harness.malformed).to.have.length(1);
        expect(harness.client.frameTypes()).to.include(0x7);
        expect(server.seen).to.deep.equal([]);
      });
  });
});

describe('HeaderBlockTranscoder', () => {
  it('keeps a never-indexed field never indexed and writes no dynamic-table entry', () => {
    const t = new HeaderBlockTranscoder();
    const enc = new ClientEncoder();
    const out = t.transcode(
      enc.block([
        { name: 'a', value: 'b', neverIndex: true },
        { name: 'c', value: 'd' },
      ]),
    );
    // 0x10: literal never indexed, new name; 0x00: literal without indexing, new name.
    expect([...out]).to.deep.equal([0x10, 1, 0x61, 1, 0x62, 0x00, 1, 0x63, 1, 0x64]);
  });

  it('refuses a header list over its limit (HPACK can expand a byte into a whole entry)', () => {
    const t = new HeaderBlockTranscoder({ maxTableBytes: 4096, maxHeaderListBytes: 10_000 });
    const enc = new ClientEncoder();
    const first = enc.block([{ name: 'x', value: 'y'.repeat(3000) }]);
    expect(t.transcode(first).length).to.be.greaterThan(3000);
    const again = enc.block(Array(5).fill({ name: 'x', value: 'y'.repeat(3000) }) as TestHeader[]);
    expect(again.length).to.be.lessThan(10);
    expect(() => t.transcode(again)).to.throw(/header list over 10000 bytes/);
  });
});

describe('authorityWithoutScheme', () => {
  it('drops a scheme and anything after the host and port', () => {
    expect(authorityWithoutScheme('http://127.0.0.1:2379')).to.equal('127.0.0.1:2379');
    expect(authorityWithoutScheme('https://[::1]:2379/')).to.equal('[::1]:2379');
    expect(authorityWithoutScheme('unix://sock')).to.equal('sock');
    expect(authorityWithoutScheme('127.0.0.1:2379')).to.equal(undefined);
    expect(authorityWithoutScheme('localhost')).to.equal(undefined);
  });
});
