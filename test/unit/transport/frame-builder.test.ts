import { expect } from 'chai';
import fc from 'fast-check';
import { decodeFrame, encodeMessage, encodeMessagesFrame } from '../../../server/transport/codec.js';
import { MessagesFrameBuilder } from '../../../server/transport/frame-builder.js';
import type { Message, MsgApp } from '../../../server/raft/types.js';
import { message as messageArb } from './arbitraries.js';

const MAX = 1 << 24;

function append(index: number, dataBytes: number): MsgApp {
  return {
    type: 'MsgApp',
    from: 1,
    to: 2,
    term: 3,
    index: index - 1,
    logTerm: 3,
    commit: index - 1,
    entries: [{ term: 3, index, type: 'normal', data: new Uint8Array(dataBytes).fill(index % 251) }],
  };
}

function messagesOf(frame: Uint8Array): readonly Message[] {
  const decoded = decodeFrame(frame, MAX);
  if (decoded.kind !== 'messages') throw new Error(`a ${decoded.kind} frame`);
  return decoded.messages;
}

/** Takes every queued message as frames of at most `limitBytes` of messages. */
function takeAll(b: MessagesFrameBuilder, limitBytes: number, first?: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let notice = first;
  while (notice !== undefined || b.pendingCount > 0) {
    frames.push(b.take(limitBytes, notice));
    notice = undefined;
  }
  return frames;
}

describe('MessagesFrameBuilder', () => {
  describe('#take', () => {
    it('builds the frame encodeMessagesFrame builds from the same messages', () => {
      fc.assert(
        fc.property(fc.array(messageArb, { minLength: 1, maxLength: 8 }), (messages) => {
          const b = new MessagesFrameBuilder();
          b.connected();
          for (const m of messages) b.add(m);
          const frame = b.take(MAX);
          expect(b.pendingCount).to.equal(0);
          expect(b.lastFrameMessages).to.equal(messages.length);
          expect(frame).to.deep.equal(encodeMessagesFrame(messages.map(encodeMessage)));
        }),
        { numRuns: 200 },
      );
    });

    it('splits the queue into frames of at most the limit, in order, one message at least', () => {
      const b = new MessagesFrameBuilder();
      b.connected();
      const messages = [append(1, 100), append(2, 100), append(3, 500), append(4, 10)];
      const sizes = messages.map((m) => b.add(m));
      const frames = takeAll(b, (sizes[0] as number) + (sizes[1] as number));
      expect(frames.map((f) => messagesOf(f))).to.deep.equal([
        [messages[0], messages[1]],
        [messages[2]],
        [messages[3]],
      ]);
    });

    it('puts `first` in front of the queued messages', () => {
      const b = new MessagesFrameBuilder();
      b.connected();
      const notice = append(1, 0);
      b.add(append(2, 5));
      const frames = takeAll(b, MAX, encodeMessage(notice));
      expect(frames.map(messagesOf)).to.deep.equal([[notice, append(2, 5)]]);
    });
  });

  describe('#removeLast / #takeLast', () => {
    it('takes the last message back out of the queue', () => {
      const b = new MessagesFrameBuilder();
      b.connected();
      b.add(append(1, 10));
      const bytesBefore = b.pendingBytes;
      b.add(append(2, 10));
      b.removeLast();
      expect(b.pendingBytes).to.equal(bytesBefore);
      b.add(append(3, 10));
      expect(b.takeLast()).to.deep.equal(encodeMessage(append(3, 10)));
      expect(takeAll(b, MAX).map(messagesOf)).to.deep.equal([[append(1, 10)]]);
    });
  });

  context('when a frame handed out was not reported written yet', () => {
    it('never writes over its bytes', () => {
      const b = new MessagesFrameBuilder();
      b.connected();
      b.add(append(1, 300));
      const first = b.take(MAX);
      const firstCopy = first.slice();
      // Not reported written: the next frames must go elsewhere.
      for (let i = 2; i <= 4; i++) {
        b.add(append(i, 300));
        b.take(MAX);
      }
      expect(first).to.deep.equal(firstCopy);
      expect(messagesOf(first)).to.deep.equal([append(1, 300)]);
      expect(b.outstandingFrames).to.equal(4);
    });

    it('reuses the frame buffer once every frame handed out was written', () => {
      const b = new MessagesFrameBuilder();
      const written = b.connected();
      b.add(append(1, 300));
      const first = b.take(MAX);
      b.add(append(2, 300));
      const second = b.take(MAX);
      expect(second.buffer).to.not.equal(first.buffer);
      written();
      b.add(append(3, 300));
      const third = b.take(MAX);
      // One frame (the second) is still out: a third buffer.
      expect(third.buffer).to.not.equal(second.buffer);
      written();
      written();
      b.add(append(4, 300));
      const fourth = b.take(MAX);
      expect(fourth.buffer).to.equal(third.buffer);
      expect(messagesOf(fourth)).to.deep.equal([append(4, 300)]);
    });

    it('ignores the write reports of an earlier connection', () => {
      const b = new MessagesFrameBuilder();
      const oldWritten = b.connected();
      b.add(append(1, 300));
      b.take(MAX);
      b.connected();
      b.add(append(2, 300));
      const onNew = b.take(MAX);
      const copy = onNew.slice();
      oldWritten();
      b.add(append(3, 300));
      b.take(MAX);
      expect(onNew).to.deep.equal(copy);
    });
  });
});
