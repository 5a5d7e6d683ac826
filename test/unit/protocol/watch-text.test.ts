/** The fan-out's fast watch frame texts are byte for byte what encodeFrame writes. */
import { expect } from 'chai';
import fc from 'fast-check';
import { decodeServerFrame, encodeFrame } from '../../../client/protocol/codec.js';
import { EVENT } from '../../../client/protocol/messages.js';
import type { KeyValue, WatchEvent } from '../../../client/protocol/types.js';
import {
  headerText,
  watchEventText,
  watchEventsFrameText,
  watchEventsText,
  watchGroupFrameText,
} from '../../../client/protocol/watch-text.js';
import * as A from './arbitraries.js';

const RUNS = { numRuns: 200 };
const noMethod = (): undefined => undefined;

describe('watch frame texts', () => {
  describe('#watchEventText', () => {
    it('writes what the Event codec writes, for puts, deletes and prev_kv', () => {
      fc.assert(
        fc.property(A.watchEvent(), (e) => {
          expect(watchEventText(e)).to.equal(JSON.stringify(EVENT.toWire(e)));
        }),
        RUNS,
      );
    });

    context('when one key-value is both the kv of a put and of a delete event', () => {
      it('keeps the two texts apart (the cache is per event type)', () => {
        const kv: KeyValue = {
          key: new Uint8Array([97]),
          createRevision: 2,
          modRevision: 3,
          version: 1,
          value: new Uint8Array([98]),
          lease: 0,
        };
        const put = watchEventText({ type: 'put', kv });
        const del = watchEventText({ type: 'delete', kv });
        expect(put).to.equal(JSON.stringify(EVENT.toWire({ type: 'put', kv })));
        expect(del).to.equal(JSON.stringify(EVENT.toWire({ type: 'delete', kv })));
        expect(watchEventText({ type: 'put', kv })).to.equal(put);
      });
    });
  });

  describe('#watchEventsFrameText', () => {
    it('writes what encodeFrame writes for a watch frame of events', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          A.header(),
          fc.array(A.watchEvent(), { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (id, header, events, fragment) => {
            const fast = watchEventsFrameText(id, headerText(header), watchEventsText(events), fragment);
            const slow = encodeFrame({
              type: 'watch',
              id,
              result: { type: 'events', header, watchId: id, events, fragment },
            });
            expect(fast).to.equal(slow);
          },
        ),
        RUNS,
      );
    });
  });

  describe('#watchGroupFrameText', () => {
    it('writes what encodeFrame writes for a watch_group frame, which decodes back', () => {
      fc.assert(
        fc.property(
          fc.array(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 6 }),
          A.header(),
          fc.array(A.watchEvent(), { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (ids, header, events, fragment) => {
            const result = { type: 'events' as const, header, watchId: 0, events, fragment };
            const fast = watchGroupFrameText(ids, headerText(header), watchEventsText(events), fragment);
            expect(fast).to.equal(encodeFrame({ type: 'watch_group', ids, result }));
            expect(decodeServerFrame(fast, noMethod)).to.deep.equal({ type: 'watch_group', ids, result });
          },
        ),
        RUNS,
      );
    });
  });

  describe('decoding a watch_group frame', () => {
    const events: WatchEvent[] = [];
    const base = { header: { cluster_id: '1', member_id: '2', revision: '3', raft_term: '1' }, events };
    const decode = (frame: unknown): unknown => decodeServerFrame(JSON.stringify(frame), noMethod);

    context('when ids is empty, missing or holds a non-integer', () => {
      it('refuses it naming ids', () => {
        for (const ids of [[], undefined, [1, 'x'], [0], [1.5]]) {
          const r = decode({ type: 'watch_group', ids, result: base }) as { details?: { field?: string } };
          expect(r, JSON.stringify(ids)).to.be.instanceOf(Error);
          expect(r.details?.field).to.equal('ids');
        }
      });
    });

    context('when the result names a watch_id', () => {
      it('refuses it', () => {
        const r = decode({ type: 'watch_group', ids: [4], result: { ...base, watch_id: '4' } });
        expect(r).to.be.instanceOf(Error);
      });
    });
  });
});
