import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeFrame,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  encodeMessagesFrame,
  FRAME_VERSION,
  type Frame,
} from '../../../server/transport/codec.js';
import { PeerProtocolError, PeerProtocolErrorCode } from '../../../server/transport/errors.js';
import type { Message } from '../../../server/raft/types.js';
import { frame as frameArb, message as messageArb } from './arbitraries.js';

const MAX = 1 << 20;

function expectProtocolError(fn: () => unknown, code?: PeerProtocolErrorCode): PeerProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(PeerProtocolError);
    const e = err as PeerProtocolError;
    if (code !== undefined) expect(e.code).to.equal(code);
    return e;
  }
  expect.fail('expected a PeerProtocolError');
}

const env = { from: 1, to: 2, term: 7 };
const EXAMPLES: readonly Message[] = [
  {
    type: 'MsgApp',
    ...env,
    index: 10,
    logTerm: 6,
    commit: 9,
    entries: [
      { term: 7, index: 11, type: 'normal', data: new Uint8Array([1, 2, 3]) },
      { term: 7, index: 12, type: 'confChange', data: new Uint8Array([9]) },
    ],
  },
  { type: 'MsgAppResp', ...env, index: 12, reject: true, rejectHint: 5, logTerm: 3 },
  { type: 'MsgHeartbeat', ...env, commit: 12, context: 'read-1' },
  { type: 'MsgHeartbeatResp', ...env, context: '' },
  { type: 'MsgVote', ...env, index: 12, logTerm: 7, force: true },
  { type: 'MsgPreVote', ...env, index: 12, logTerm: 7, force: false },
  { type: 'MsgPreVote', ...env, index: 12, logTerm: 7, force: false, lostLeader: 3 },
  { type: 'MsgVoteResp', ...env, reject: false },
  { type: 'MsgPreVoteResp', ...env, reject: true },
  {
    type: 'MsgSnap',
    ...env,
    snapshot: {
      metadata: { index: 100, term: 6, confState: { voters: [1, 2, 3], learners: [4] } },
      data: new Uint8Array([5, 6, 7, 8]),
    },
  },
  { type: 'MsgTimeoutNow', ...env },
  { type: 'MsgProp', ...env, term: 0, entries: [{ type: 'normal', data: new Uint8Array([42]) }] },
  { type: 'MsgReadIndex', ...env, context: 'ctx-ü' },
  { type: 'MsgReadIndexResp', ...env, index: 99, context: 'ctx' },
  { type: 'MsgTransferLeader', ...env, transferee: 3 },
];

describe('peer codec', () => {
  describe('#encodeMessage / #decodeMessage', () => {
    it('decodes entries into views of a shared block, not an ArrayBuffer each', () => {
      const m: Message = {
        type: 'MsgApp',
        from: 1,
        to: 2,
        term: 3,
        logTerm: 3,
        index: 10,
        commit: 9,
        entries: [1, 2, 3].map((i) => ({
          index: 10 + i,
          term: 3,
          type: 'normal',
          data: new Uint8Array(300).fill(i),
        })),
      };
      const decoded = decodeMessage(encodeMessage(m));
      expect(decoded).to.deep.equal(m);
      const data = decoded.type === 'MsgApp' ? decoded.entries.map((e) => e.data) : [];
      expect(data).to.have.length(3);
      expect(new Set(data.map((d) => d.buffer)).size).to.equal(1);
    });

    for (const m of EXAMPLES) {
      it(`round-trips a ${m.type}`, () => {
        expect(decodeMessage(encodeMessage(m))).to.deep.equal(m);
      });
    }

    it('covers every message type of raft/types.ts', () => {
      expect(new Set(EXAMPLES.map((m) => m.type)).size).to.equal(14);
    });

    it('round-trips random messages (property)', () => {
      fc.assert(
        fc.property(messageArb, (m) => {
          expect(decodeMessage(encodeMessage(m))).to.deep.equal(m);
        }),
        { numRuns: 2000 },
      );
    });

    it('encodes small messages compactly', () => {
      const hb: Message = { type: 'MsgHeartbeat', from: 1, to: 2, term: 3, commit: 100, context: '' };
      expect(encodeMessage(hb).length).to.be.at.most(8);
    });

    it('round-trips the largest safe integers', () => {
      const m: Message = {
        type: 'MsgAppResp',
        from: Number.MAX_SAFE_INTEGER,
        to: 1,
        term: Number.MAX_SAFE_INTEGER,
        index: 2 ** 32,
        reject: false,
        rejectHint: 2 ** 31 - 1,
        logTerm: 0,
      };
      expect(decodeMessage(encodeMessage(m))).to.deep.equal(m);
    });

    it('refuses to encode a negative or fractional number', () => {
      const bad = { type: 'MsgTimeoutNow', from: 1, to: 2, term: -1 } as const;
      expect(() => encodeMessage(bad)).to.throw(RangeError);
      expect(() => encodeMessage({ ...bad, term: 1.5 })).to.throw(RangeError);
    });
  });

  describe('#encodeFrame / #decodeFrame', () => {
    it('round-trips random frames of every kind (property)', () => {
      fc.assert(
        fc.property(frameArb, (f) => {
          expect(decodeFrame(encodeFrame(f), MAX)).to.deep.equal(f);
        }),
        { numRuns: 1000 },
      );
    });

    it('writes the magic, the version and the kind first', () => {
      const bytes = encodeFrame({ kind: 'snapEnd', transferId: 1, crc32: 0 });
      expect([...bytes.subarray(0, 4)]).to.deep.equal([0x43, 0x50, FRAME_VERSION, 5]);
    });

    it('batches pre-encoded messages into one frame', () => {
      const frame = encodeMessagesFrame(EXAMPLES.map(encodeMessage));
      expect(decodeFrame(frame, MAX)).to.deep.equal({ kind: 'messages', messages: EXAMPLES });
    });
  });

  describe('#decodeFrame', () => {
    const valid = encodeFrame({ kind: 'messages', messages: EXAMPLES });

    context('when the frame is truncated', () => {
      it('throws PEER_FRAME_TRUNCATED at every cut point', () => {
        for (let n = 0; n < valid.length; n++) {
          const e = expectProtocolError(() => decodeFrame(valid.subarray(0, n), MAX));
          // A cut can also leave a shorter but well-formed length; all other cuts must say truncated.
          expect([PeerProtocolErrorCode.Truncated, PeerProtocolErrorCode.BadValue]).to.include(e.code);
        }
      });
    });

    context('when the header is wrong', () => {
      it('throws PEER_FRAME_BAD_MAGIC for foreign bytes', () => {
        expectProtocolError(
          () => decodeFrame(new Uint8Array([0x7b, 0x22, 1, 2]), MAX),
          PeerProtocolErrorCode.BadMagic,
        );
      });
      it('throws PEER_FRAME_UNSUPPORTED_VERSION for another version', () => {
        const f = valid.slice();
        f[2] = FRAME_VERSION + 1;
        expectProtocolError(() => decodeFrame(f, MAX), PeerProtocolErrorCode.UnsupportedVersion);
      });
      it('throws PEER_FRAME_UNKNOWN_TAG for an unknown kind', () => {
        expectProtocolError(
          () => decodeFrame(new Uint8Array([0x43, 0x50, 1, 99]), MAX),
          PeerProtocolErrorCode.UnknownTag,
        );
      });
    });

    context('when a field is out of its domain', () => {
      const header = [0x43, 0x50, 1, 2];
      it('throws PEER_FRAME_UNKNOWN_TAG for an unknown message type', () => {
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 77, 1, 2, 3]), MAX),
          PeerProtocolErrorCode.UnknownTag,
        );
      });
      it('throws PEER_FRAME_BAD_VALUE for a boolean byte other than 0 or 1', () => {
        // MsgVoteResp 1->2 term 3, reject = 2
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 7, 1, 2, 3, 2]), MAX),
          PeerProtocolErrorCode.BadValue,
        );
      });
      it('throws PEER_FRAME_BAD_VALUE for a non-canonical varint', () => {
        // MsgTimeoutNow with from encoded as 0x81 0x00
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 10, 0x81, 0x00, 2, 3]), MAX),
          PeerProtocolErrorCode.BadValue,
        );
      });
      it('throws PEER_FRAME_BAD_VALUE for a varint beyond 2^53-1', () => {
        const big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 10, ...big, 2, 3]), MAX),
          PeerProtocolErrorCode.BadValue,
        );
      });
      it('throws PEER_FRAME_BAD_VALUE for invalid UTF-8 in a context', () => {
        // MsgReadIndex 1->2 term 3, context of 2 bytes 0xc3 0x28
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 12, 1, 2, 3, 2, 0xc3, 0x28]), MAX),
          PeerProtocolErrorCode.BadValue,
        );
      });
      it('throws PEER_FRAME_UNKNOWN_TAG for an unknown entry type', () => {
        // MsgProp 1->2 term 0, 1 entry, type 5, empty data
        expectProtocolError(
          () => decodeFrame(new Uint8Array([...header, 1, 11, 1, 2, 0, 1, 5, 0]), MAX),
          PeerProtocolErrorCode.UnknownTag,
        );
      });
      it('throws PEER_FRAME_BAD_VALUE when a snapshot begin carries another message type', () => {
        const bytes = new Uint8Array([0x43, 0x50, 1, 3, 1, 0, 10, 1, 2, 3]);
        expectProtocolError(() => decodeFrame(bytes, MAX), PeerProtocolErrorCode.BadValue);
      });
    });

    context('when counts or sizes exceed what the frame can hold', () => {
      it('throws before allocating for a huge message count', () => {
        const bytes = new Uint8Array([0x43, 0x50, 1, 2, 0xff, 0xff, 0xff, 0x7f]);
        expectProtocolError(() => decodeFrame(bytes, MAX), PeerProtocolErrorCode.Truncated);
      });
      it('throws PEER_FRAME_TOO_LARGE for a frame over maxFrameBytes', () => {
        expectProtocolError(() => decodeFrame(valid, valid.length - 1), PeerProtocolErrorCode.TooLarge);
      });
    });

    it('throws PEER_FRAME_TRAILING_BYTES after a complete frame', () => {
      const f = new Uint8Array(valid.length + 1);
      f.set(valid);
      expectProtocolError(() => decodeFrame(f, MAX), PeerProtocolErrorCode.TrailingBytes);
    });

    it('throws only PeerProtocolError on random bytes (fuzz)', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, withHeader) => {
          const input = withHeader
            ? new Uint8Array([0x43, 0x50, 1, 1 + ((bytes[0] ?? 0) % 6), ...bytes])
            : bytes;
          try {
            decodeFrame(input, MAX);
          } catch (err) {
            if (!(err instanceof PeerProtocolError)) throw err;
          }
        }),
        { numRuns: 10000 },
      );
    });

    it('throws only PeerProtocolError on mutated valid frames (fuzz)', () => {
      const arb = fc.tuple(
        frameArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      );
      fc.assert(
        fc.property(arb, ([f, edits]) => {
          const bytes = encodeFrame(f).slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          let decoded: Frame | undefined;
          try {
            decoded = decodeFrame(bytes, MAX);
          } catch (err) {
            if (!(err instanceof PeerProtocolError)) throw err;
          }
          // Whatever decodes re-encodes to the same bytes: nothing is accepted loosely.
          if (decoded !== undefined) expect(encodeFrame(decoded)).to.deep.equal(bytes);
        }),
        { numRuns: 3000 },
      );
    });
  });
});
