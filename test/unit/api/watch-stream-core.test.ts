/**
 * The watch stream core alone, with a recording door and a backend that hands the test each
 * watch's sink: the orderings a door cannot see from outside (events before the create is
 * answered, a backend end before it, congestion) and the slow-consumer rule.
 */
import { expect } from 'chai';
import type { ErrorBody } from '../../../client/protocol/index.js';
import type { ClientBackend, WatchSink } from '../../../server/api/backend.js';
import {
  eventSizeBytes,
  WatchStreamCore,
  type DueEvents,
  type WatchDoor,
  type WatchStreamLimits,
} from '../../../server/api/watch-stream-core.js';
import { putEvent, watchRequest } from './watch-fixtures.js';

type Out =
  | { readonly kind: 'answer'; readonly id: number; readonly code: string | undefined }
  | { readonly kind: 'events'; readonly id: number; readonly revisions: number[]; readonly fragment: boolean }
  | { readonly kind: 'progress'; readonly id: number; readonly revision: number }
  | { readonly kind: 'end'; readonly id: number; readonly code: string | undefined };

class RecordingDoor implements WatchDoor {
  readonly out: Out[] = [];
  congested = false;
  answerCreate(id: number, error: ErrorBody | undefined): void {
    this.out.push({ kind: 'answer', id, code: error?.code });
  }
  sendEvents(f: DueEvents): void {
    const revisions = f.events.map((e) => e.kv.modRevision);
    this.out.push({ kind: 'events', id: f.watchId, revisions, fragment: f.fragment });
  }
  sendProgress(id: number, revision: number): void {
    this.out.push({ kind: 'progress', id, revision });
  }
  sendEnd(id: number, error: ErrorBody | undefined): void {
    this.out.push({ kind: 'end', id, code: error?.code });
  }
  isCongested(): boolean {
    return this.congested;
  }
  corked(fn: () => void): void {
    fn();
  }
  watchEnded(): void {}
  logDebug(): void {}
}

/** A backend whose `watch` waits for the test to release it, handing over the sink first. */
function heldBackend(): { backend: ClientBackend; sinks: WatchSink[]; release: () => void } {
  const sinks: WatchSink[] = [];
  let release: () => void = () => undefined;
  const backend = {
    header: () => ({ clusterId: 1, memberId: 2, revision: 50, raftTerm: 1 }),
    watch: async (_req: unknown, sink: WatchSink) => {
      sinks.push(sink);
      await new Promise<void>((resolve) => (release = resolve));
      return { cancel: () => undefined, requestProgress: async () => 50 };
    },
  } as unknown as ClientBackend;
  return { backend, sinks, release: () => release() };
}

const event = putEvent;
const request = (fragment = false) => watchRequest(fragment);

const limits = (over: Partial<WatchStreamLimits> = {}): WatchStreamLimits => ({
  frameBudgetBytes: 1 << 20,
  maxUnsplitBytes: 1 << 20,
  maxQueuedBytes: 1 << 20,
  maxWatches: 100,
  ...over,
});

/** Lets queued microtasks (the core's flush) run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('WatchStreamCore', () => {
  describe('#create', () => {
    it('holds events that arrive before the create is answered, and sends them after', async () => {
      const { backend, sinks, release } = heldBackend();
      const door = new RecordingDoor();
      const core = new WatchStreamCore(backend, door, limits());
      const created = core.create(request(), 'auto', {});
      sinks[0]?.events([event(3)], 3);
      sinks[0]?.ended(Object.assign(new Error('compacted'), { code: 'COMPACTED', details: {} }));
      await settle();
      expect(door.out).to.deep.equal([]);
      release();
      await created;
      await settle();
      expect(door.out).to.deep.equal([
        { kind: 'answer', id: 0, code: undefined },
        { kind: 'events', id: 0, revisions: [3], fragment: false },
        { kind: 'end', id: 0, code: 'COMPACTED' },
      ]);
    });

    it('numbers automatic ids from 0 skipping ids in use, and refuses a duplicate id', async () => {
      const { backend, release } = heldBackend();
      const door = new RecordingDoor();
      const core = new WatchStreamCore(backend, door, limits());
      const first = core.create(request(), 1, {});
      release();
      await first;
      for (const id of ['auto', 'auto', 1] as const) {
        const p = core.create(request(), id, {});
        release();
        await p;
      }
      expect(door.out).to.deep.equal([
        { kind: 'answer', id: 1, code: undefined },
        { kind: 'answer', id: 0, code: undefined },
        { kind: 'answer', id: 2, code: undefined },
        { kind: 'answer', id: 1, code: 'INVALID_ARGUMENT' },
      ]);
    });
  });

  describe('the slow-consumer rule', () => {
    it('queues while the door is congested and ends the watch that crosses the bound', async () => {
      const { backend, sinks, release } = heldBackend();
      const door = new RecordingDoor();
      const one = eventSizeBytes(event(1, 1000));
      const core = new WatchStreamCore(backend, door, limits({ maxQueuedBytes: 3 * one }));
      for (const id of [1, 2]) {
        const p = core.create(request(), id, {});
        release();
        await p;
      }
      door.out.length = 0;
      door.congested = true;
      sinks[0]?.events([event(10, 1000), event(11, 1000)], 11);
      sinks[1]?.events([event(12, 1000), event(13, 1000)], 13); // the fourth event crosses the bound
      await settle();
      expect(door.out).to.deep.equal([{ kind: 'end', id: 2, code: 'SLOW_WATCHER' }]);
      door.congested = false;
      core.flush();
      expect(door.out.slice(1)).to.deep.equal([
        { kind: 'events', id: 1, revisions: [10, 11], fragment: false },
      ]);
    });
  });

  describe('fragments', () => {
    it('cuts a revision larger than the budget into fragments of at least one event', async () => {
      const { backend, sinks, release } = heldBackend();
      const door = new RecordingDoor();
      const size = eventSizeBytes(event(5, 3000));
      // A budget smaller than one event: each fragment still carries one.
      const core = new WatchStreamCore(
        backend,
        door,
        limits({ frameBudgetBytes: size - 1, maxUnsplitBytes: Number.MAX_SAFE_INTEGER }),
      );
      const p = core.create(request(true), 1, {});
      release();
      await p;
      sinks[0]?.events([event(5, 3000), event(5, 3000), event(5, 3000)], 5);
      await settle();
      expect(door.out.slice(1)).to.deep.equal([
        { kind: 'events', id: 1, revisions: [5], fragment: true },
        { kind: 'events', id: 1, revisions: [5], fragment: true },
        { kind: 'events', id: 1, revisions: [5], fragment: false },
      ]);
    });
  });
});
