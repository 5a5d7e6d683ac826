/**
 * The outgoing side of one WebSocket connection, with its byte accounting. `pendingBytes` counts
 * text handed to `ws.send` whose write callback has not fired yet, i.e. bytes held in user space
 * by ws and the socket. Above `outgoingBufferBytes` the connection is *congested*: the session
 * stops reading the client's requests and the watch hub stops feeding frames, so a client that does
 * not read cannot make the member buffer without bound. Above `maxOutgoingBufferBytes` (responses
 * that were already in flight, or a client that never reads) the connection is closed as a slow
 * consumer.
 */
import type { WebSocket } from 'ws';

export interface OutboxEvents {
  /** Went above outgoingBufferBytes. */
  congested(): void;
  /** Came back below outgoingBufferBytes. */
  drained(): void;
  /** Went above maxOutgoingBufferBytes. */
  overflow(): void;
}

/** ws.send's options for every frame (one object, not one per frame). */
const SEND_TEXT = { binary: false } as const;

export class Outbox {
  private pending = 0;
  /**
   * The size of each frame handed to ws.send whose callback has not fired, oldest first: a
   * socket's write callbacks fire in the order of the writes, so one callback (`written`) serves
   * every frame instead of a closure per frame.
   */
  private readonly unwritten: number[] = [];
  private wasCongested = false;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly softLimitBytes: number,
    private readonly hardLimitBytes: number,
    private readonly events: OutboxEvents,
  ) {}

  get pendingBytes(): number {
    return this.pending;
  }

  get isCongested(): boolean {
    return this.pending > this.softLimitBytes;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /**
   * Sends one text frame, given as text or as its UTF-8 bytes (then neither this nor ws measures
   * or converts the text again); false if the socket is no longer open (the frame is dropped).
   */
  send(text: string | Uint8Array): boolean {
    if (!this.isOpen) return false;
    const bytes = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
    this.pending += bytes;
    this.unwritten.push(bytes);
    this.ws.send(text, SEND_TEXT, this.written);
    if (this.pending > this.hardLimitBytes) this.events.overflow();
    else if (!this.wasCongested && this.isCongested) {
      this.wasCongested = true;
      this.events.congested();
    }
    return true;
  }

  private readonly written = (): void => {
    this.pending -= this.unwritten.shift() ?? 0;
    if (this.wasCongested && !this.isCongested) {
      this.wasCongested = false;
      this.events.drained();
      this.wakeWaiters();
    }
  };

  /** Resolves when the connection is not congested (at once if it is not), or when it closes. */
  whenWritable(): Promise<void> {
    if (!this.isCongested || !this.isOpen) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Releases everyone waiting in whenWritable (the connection closed). */
  wakeWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
