/**
 * The first-request router's decision (FirstRequestPeek): natively unless the first header block
 * carries `:authority` with a scheme, only once the client acknowledged the member's SETTINGS,
 * with that ACK taken out of the bytes node reads.
 */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import { FirstRequestPeek } from '../../../server/api/h2-first-request.js';

const hpack = createRequire(import.meta.url)('hpack.js') as {
  compressor: {
    create(o: { table: { maxSize: number } }): {
      write(h: { name: string; value: string }[]): void;
      read(): Buffer | null;
    };
  };
};

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(streamId, 5);
  return Buffer.concat([h, payload]);
}

function block(authority: string): Buffer {
  const c = hpack.compressor.create({ table: { maxSize: 4096 } });
  c.write([
    { name: ':method', value: 'POST' },
    { name: ':path', value: '/etcdserverpb.KV/Range' },
    { name: ':authority', value: authority },
  ]);
  const parts: Buffer[] = [];
  for (let b = c.read(); b !== null; b = c.read()) parts.push(b);
  return Buffer.concat(parts);
}

const SETTINGS = frame(0x4, 0, 0);
const ACK = frame(0x4, 0x1, 0);
const WINDOW = frame(0x8, 0, 0, Buffer.from([0, 0, 1, 0]));

/** Feeds `bytes` one byte at a time; the route and the byte count at which it came. */
function feedBytewise(peek: FirstRequestPeek, bytes: Buffer): { route: string | undefined; at: number } {
  for (let i = 0; i < bytes.length; i++) {
    const route = peek.feed(bytes.subarray(i, i + 1));
    if (route !== undefined) return { route, at: i + 1 };
  }
  return { route: undefined, at: bytes.length };
}

describe('FirstRequestPeek', () => {
  it('routes a first request with a bare :authority natively', () => {
    const peek = new FirstRequestPeek();
    const headers = frame(0x1, 0x5, 1, block('127.0.0.1:2379'));
    expect(peek.feed(Buffer.concat([PREFACE, SETTINGS, WINDOW, ACK, headers]))).to.equal('native');
  });

  it('routes a first request with a scheme in :authority through the shim', () => {
    const peek = new FirstRequestPeek();
    const headers = frame(0x1, 0x5, 1, block('http://127.0.0.1:2379'));
    expect(peek.feed(Buffer.concat([PREFACE, SETTINGS, ACK, headers]))).to.equal('shim');
  });

  it('decides at the last byte of the first block, however the bytes come', () => {
    const b = block('https://m1:2379');
    const bytes = Buffer.concat([
      PREFACE,
      SETTINGS,
      ACK,
      frame(0x1, 0x8 | 0x1, 1, Buffer.concat([Buffer.from([3]), b.subarray(0, 4), Buffer.alloc(3)])),
      frame(0x9, 0x4, 1, b.subarray(4)),
      frame(0x0, 0x1, 1, Buffer.from('body')),
    ]);
    const got = feedBytewise(new FirstRequestPeek(), bytes);
    expect(got).to.deep.equal({ route: 'shim', at: bytes.length - 13 });
  });

  it('waits for the ACK of its SETTINGS, and takes it out of what node reads', () => {
    const peek = new FirstRequestPeek();
    const first = Buffer.concat([PREFACE, SETTINGS, frame(0x1, 0x5, 1, block('127.0.0.1:1'))]);
    expect(peek.feed(first)).to.equal(undefined);
    const data = frame(0x0, 0x1, 3, Buffer.from('x'));
    expect(peek.feed(Buffer.concat([data, ACK]))).to.equal('native');
    expect(peek.bytesForNode().equals(Buffer.concat([first, data]))).to.equal(true);
  });

  it('answers a PING before the first request itself, and keeps it from node', () => {
    const peek = new FirstRequestPeek();
    const ping = frame(0x6, 0, 0, Buffer.from('12345678'));
    expect(peek.feed(Buffer.concat([PREFACE, SETTINGS, ACK, ping]))).to.equal(undefined);
    expect(peek.takePingAcks()).to.deep.equal([frame(0x6, 0x1, 0, Buffer.from('12345678'))]);
    expect(peek.takePingAcks()).to.deep.equal([]);
    const headers = frame(0x1, 0x5, 1, block('http://h:1'));
    expect(peek.feed(headers)).to.equal('shim');
    expect(peek.bytesForNode().equals(Buffer.concat([PREFACE, SETTINGS, headers]))).to.equal(true);
  });

  it('hands anything else that is not a request natively: RST_STREAM, a stray CONTINUATION, a bad block', () => {
    for (const odd of [
      frame(0x3, 0, 1, Buffer.alloc(4)),
      frame(0x9, 0x4, 1, Buffer.from([0x82])),
      frame(0x1, 0x4, 1, Buffer.from([0xff, 0x7f])),
      frame(0x1, 0x4 | 0x8, 1, Buffer.from([200])),
    ]) {
      const peek = new FirstRequestPeek();
      expect(peek.feed(Buffer.concat([PREFACE, SETTINGS, ACK, odd]))).to.equal('native');
    }
  });

  it('stops holding bytes past its limit', () => {
    const peek = new FirstRequestPeek(1000);
    expect(peek.feed(Buffer.concat([PREFACE, SETTINGS]))).to.equal(undefined);
    expect(peek.feed(frame(0x1, 0, 1, Buffer.alloc(2000)))).to.equal('native');
    expect(peek.bytesForNode().length).to.equal(PREFACE.length + 9 + 9 + 2000);
  });
});
