/**
 * The Messages frames of one outbound stream, built with two buffers kept for the stream's life
 * instead of a buffer per message and one per frame:
 *
 * - the **body**: each message is encoded into it when it is sent (`add`), after the ones queued
 *   before it; it never leaves this class, so it is simply emptied after a flush;
 * - the **frame**: a flush copies the queued messages behind the frame header into it (`take`) and
 *   hands out a view of it to the socket. The socket may hold those bytes until its write
 *   completes (`ws` does not copy a frame whose mask is all zeros: dialer.ts), so the frame buffer
 *   is written again only once every frame handed out was reported written (the callback of
 *   `connected()`); while one is outstanding, the next frame gets a buffer of its own.
 *
 * A new connection (`connected()`) abandons the frame buffer to whatever the old socket still
 * holds, and ignores the old connection's write reports.
 *
 * Example: add(a), add(b) → body [a b]; take(limit) → frame [hdr 2 a b] (outstanding: 1), body
 * empty; add(c); take → frame buffer still outstanding, so [hdr 1 c] goes in a new buffer (2);
 * both reported written → the next take reuses the newest buffer.
 */
import type { Message } from '../raft/types.js';
import { FrameKind, MESSAGES_FRAME_OVERHEAD_BYTES, writeFrameHeader, writeMessage } from './codec.js';
import { ByteWriter } from './wire.js';

const INITIAL_BUFFER_BYTES = 4096;
/** A frame buffer grown past this for a burst is not kept for the next frame. */
const KEEP_BUFFER_BYTES = 1024 * 1024;

export class MessagesFrameBuilder {
  private body = new ByteWriter(INITIAL_BUFFER_BYTES);
  /** Where each queued message ends in `body` (entries past `queued` are stale). */
  private readonly ends: number[] = [];
  private queued = 0;
  /** Messages of the queue already put into frames by the flush under way. */
  private framed = 0;
  private frame = new ByteWriter(INITIAL_BUFFER_BYTES);
  /** Frames handed out on this connection whose write was not reported yet. */
  private outstanding = 0;
  private connection = 0;
  /** How many messages the last frame `take` returned carries. */
  lastFrameMessages = 0;

  /** Messages queued and not yet framed. */
  get pendingCount(): number {
    return this.queued - this.framed;
  }

  /** Encoded bytes of the messages queued and not yet framed. */
  get pendingBytes(): number {
    return this.body.length - this.endOf(this.framed);
  }

  /** Frames handed out whose write was not reported yet (the frame buffer is busy while > 0). */
  get outstandingFrames(): number {
    return this.outstanding;
  }

  /** Encodes `message` behind the queued ones; returns its encoded length. */
  add(message: Message): number {
    const start = this.body.length;
    writeMessage(this.body, message);
    this.ends[this.queued++] = this.body.length;
    return this.body.length - start;
  }

  /** Takes the last message added back out of the queue (it is dropped). */
  removeLast(): void {
    if (this.queued === this.framed) throw new RangeError('transport: no queued message to remove');
    this.queued--;
    this.body.truncate(this.endOf(this.queued));
  }

  /** Takes the last message added out of the queue and returns a copy of its encoding. */
  takeLast(): Uint8Array {
    const bytes = this.body.copyOf(this.endOf(this.queued - 1), this.body.length);
    this.removeLast();
    return bytes;
  }

  /** Forgets every queued message. */
  clear(): void {
    this.queued = 0;
    this.framed = 0;
    if (this.body.capacity > KEEP_BUFFER_BYTES) this.body = new ByteWriter(INITIAL_BUFFER_BYTES);
    else this.body.reset();
  }

  /**
   * The next frame of the queue: `first` (an encoded message kept apart, such as a held commit
   * notice), if given, then queued messages in order while their encodings stay within
   * `limitBytes` (at least one message per frame). Call until `pendingCount` is 0. The frame is
   * valid until its write is reported through the callback of `connected()`.
   */
  take(limitBytes: number, first?: Uint8Array): Uint8Array {
    const start = this.endOf(this.framed);
    let end = start;
    let count = 0;
    let bytes = 0;
    if (first !== undefined) {
      count = 1;
      bytes = first.length;
    }
    while (this.framed < this.queued) {
      const next = this.ends[this.framed] as number;
      if (count > 0 && bytes + (next - end) > limitBytes) break;
      bytes += next - end;
      end = next;
      this.framed++;
      count++;
    }
    const w = this.frameWriter(MESSAGES_FRAME_OVERHEAD_BYTES + bytes);
    writeFrameHeader(w, FrameKind.Messages);
    w.uvarint(count);
    if (first !== undefined) w.raw(first);
    w.rawFrom(this.body, start, end);
    if (this.framed === this.queued) this.clear();
    this.lastFrameMessages = count;
    this.outstanding++;
    return w.finish();
  }

  /**
   * A new connection: frames handed out before it are no longer waited for. Returns the callback
   * to pass with every frame sent on it (called once per frame when its write completed or failed).
   */
  connected(): () => void {
    const connection = ++this.connection;
    this.outstanding = 0;
    this.frame = new ByteWriter(INITIAL_BUFFER_BYTES);
    return () => {
      if (this.connection === connection && this.outstanding > 0) this.outstanding--;
    };
  }

  private frameWriter(sizeBytes: number): ByteWriter {
    if (this.outstanding > 0 || this.frame.capacity > KEEP_BUFFER_BYTES) {
      this.frame = new ByteWriter(Math.max(INITIAL_BUFFER_BYTES, sizeBytes));
    } else {
      this.frame.reset();
    }
    return this.frame;
  }

  private endOf(messages: number): number {
    return messages === 0 ? 0 : (this.ends[messages - 1] as number);
  }
}
