/**
 * ReadIndex requests waiting for the leader to confirm it is still leader (§6.4 of the Raft
 * thesis). Each request records the commit index when it arrived; a heartbeat round carrying the
 * newest request's context confirms it and every request queued before it.
 */
import { assert } from '../assert.js';

export interface ReadIndexRequest {
  readonly index: number;
  readonly context: string;
  /** The member that asked (the leader itself for local requests). */
  readonly from: number;
  readonly acks: Set<number>;
}

export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadIndexRequest>();
  private readonly queue: string[] = [];

  add(index: number, context: string, from: number): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { index, context, from, acks: new Set() });
    this.queue.push(context);
  }

  /** Record an acknowledgement of a heartbeat carrying `context`; returns who has acknowledged. */
  recvAck(id: number, context: string): ReadonlySet<number> | undefined {
    const req = this.pending.get(context);
    if (req === undefined) return undefined;
    req.acks.add(id);
    return req.acks;
  }

  /** Release `context` and every request queued before it. */
  advance(context: string): ReadIndexRequest[] {
    const at = this.queue.indexOf(context);
    if (at < 0) return [];
    const released = this.queue.splice(0, at + 1).map((ctx) => {
      const req = this.pending.get(ctx);
      assert(req !== undefined, 'read-only: queue and map disagree');
      this.pending.delete(ctx);
      return req;
    });
    return released;
  }

  lastContext(): string | undefined {
    return this.queue[this.queue.length - 1];
  }

  size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue.length = 0;
  }
}
