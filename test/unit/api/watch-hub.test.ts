/** The watch hub's grouped frames (feature watch_group), with a fake host that records frames. */
import { expect } from 'chai';
import type { WatchEvent } from '../../../client/protocol/index.js';
import { WatchHub, type WatchHubHost } from '../../../server/api/watch-hub.js';

function recordingHost(): { host: WatchHubHost; frames: string[]; corks: number } {
  const rec = { frames: [] as string[], corks: 0 };
  const host: WatchHubHost = {
    send: (text) => {
      rec.frames.push(text);
      return true;
    },
    isCongested: () => false,
    header: () => ({ clusterId: 1, memberId: 2, revision: 9, raftTerm: 1 }),
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

const event: WatchEvent = {
  type: 'put',
  kv: {
    key: new TextEncoder().encode('k'),
    createRevision: 9,
    modRevision: 9,
    version: 1,
    value: new Uint8Array(10),
    lease: 0,
  },
};

const request = {
  key: new TextEncoder().encode('k'),
  rangeEnd: new Uint8Array(0),
  startRevision: 0,
  progressNotify: false,
  filters: [],
  prevKv: false,
  watchId: 0,
  fragment: true,
};

describe('WatchHub', () => {
  describe('#flush', () => {
    context('when the ids of the watches due one frame do not fit in one frame', () => {
      it('splits them over several watch_group frames, each within the frame size', () => {
        const budget = 1024;
        const rec = recordingHost();
        const hub = new WatchHub(rec.host, budget, 1 << 20);
        hub.groupFrames = true;
        // 16-digit ids: 17 characters each in the list.
        const ids = Array.from({ length: 300 }, (_, i) => 1_000_000_000_000_000 + i);
        const sinks = ids.map((id) => {
          const sink = hub.open(id, { ...request, watchId: id });
          hub.markCreated(id);
          return sink;
        });
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
      it('sends one watch frame per watch, in one corked flush', () => {
        const rec = recordingHost();
        const hub = new WatchHub(rec.host, 1 << 20, 1 << 20);
        const sinks = [1, 2, 3].map((id) => {
          const sink = hub.open(id, { ...request, watchId: id });
          hub.markCreated(id);
          return sink;
        });
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
