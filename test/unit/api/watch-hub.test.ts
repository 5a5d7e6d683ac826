/** The watch hub's grouped frames (feature watch_group), with a fake host that records frames. */
import { expect } from 'chai';
import type { ClientBackend, WatchSink } from '../../../server/api/backend.js';
import { WatchHub, type WatchHubHost } from '../../../server/api/watch-hub.js';
import { putEvent, watchRequest } from './watch-fixtures.js';

/** A backend that only registers watches, handing their sinks to the test. */
function sinkBackend(): { backend: ClientBackend; sinks: WatchSink[] } {
  const sinks: WatchSink[] = [];
  const backend = {
    header: () => ({ clusterId: 1, memberId: 2, revision: 9, raftTerm: 1 }),
    watch: async (_req: unknown, sink: WatchSink) => {
      sinks.push(sink);
      return { cancel: () => undefined, requestProgress: async () => 9 };
    },
  } as unknown as ClientBackend;
  return { backend, sinks };
}

/** A hub over `sinkBackend` with created watches `ids`; resolves with their sinks. */
async function hubWith(
  host: WatchHubHost,
  maxFrameBytes: number,
  ids: readonly number[],
): Promise<{ hub: WatchHub; sinks: WatchSink[] }> {
  const { backend, sinks } = sinkBackend();
  const hub = new WatchHub(host, backend, {
    maxFrameBytes,
    maxQueuedWatchBytes: 1 << 20,
    maxWatches: 1 << 20,
  });
  for (const id of ids)
    await hub.serve({ type: 'request', id, method: 'watch.create', params: { ...request, watchId: id } }, {});
  return { hub, sinks };
}

function recordingHost(): { host: WatchHubHost; frames: string[]; corks: number } {
  const rec = { frames: [] as string[], corks: 0 };
  const host: WatchHubHost = {
    send: (text) => {
      rec.frames.push(text);
      return true;
    },
    isCongested: () => false,
    header: () => ({ clusterId: 1, memberId: 2, revision: 9, raftTerm: 1 }),
    answerCreate: () => undefined,
    respond: () => true,
    watchEnded: () => undefined,
    logDebug: () => undefined,
    corked: (fn) => {
      rec.corks++;
      fn();
    },
  };
  return {
    host,
    frames: rec.frames,
    get corks() {
      return rec.corks;
    },
  };
}

const event = putEvent(9);
const request = watchRequest(true);

describe('WatchHub', () => {
  describe('#flush', () => {
    context('when the ids of the watches due one frame do not fit in one frame', () => {
      it('splits them over several watch_group frames, each within the frame size', async () => {
        const budget = 1024;
        const rec = recordingHost();
        // 16-digit ids: 17 characters each in the list.
        const ids = Array.from({ length: 300 }, (_, i) => 1_000_000_000_000_000 + i);
        // A frame of 1024 + 4096 bytes leaves an events budget of 1024.
        const { hub, sinks } = await hubWith(rec.host, budget + 4096, ids);
        hub.groupFrames = true;
        for (const sink of sinks) sink.events([event], 9);
        hub.flush();
        const heard: number[] = [];
        for (const text of rec.frames) {
          // What a frame may take: the budget for events plus the envelope slack (4096).
          expect(Buffer.byteLength(text)).to.be.at.most(budget + 4096);
          const f = JSON.parse(text) as { type: string; ids?: number[]; id?: number };
          heard.push(...(f.type === 'watch_group' ? (f.ids ?? []) : [f.id ?? 0]));
        }
        expect(rec.frames.length).to.be.greaterThan(1);
        expect(heard).to.deep.equal(ids);
        expect(rec.corks).to.be.greaterThan(0);
      });
    });

    context('when groupFrames is off', () => {
      it('sends one watch frame per watch, in one corked flush', async () => {
        const rec = recordingHost();
        const { hub, sinks } = await hubWith(rec.host, 1 << 20, [1, 2, 3]);
        for (const sink of sinks) sink.events([event], 9);
        const corksBefore = rec.corks;
        hub.flush();
        expect(rec.frames.map((t) => (JSON.parse(t) as { type: string; id: number }).id)).to.deep.equal([
          1, 2, 3,
        ]);
        expect(rec.corks).to.equal(corksBefore + 1);
      });
    });
  });
});
