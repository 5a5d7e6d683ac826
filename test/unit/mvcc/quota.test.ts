import { expect } from 'chai';
import fc from 'fast-check';
import {
  MvccStore,
  RECORD_OVERHEAD_BYTES,
  heapBytesForQuota,
  heapLimitWarning,
} from '../../../server/mvcc/index.js';
import { enc } from './helpers.js';

describe('MvccStore', () => {
  context('when the space quota is reached', () => {
    const quotaBytes = 4 * (1 + 10 + RECORD_OVERHEAD_BYTES);
    function full(): MvccStore {
      const s = new MvccStore({ quotaBytes });
      for (const k of ['a', 'b', 'c', 'd']) s.put({ key: enc(k), value: new Uint8Array(10) });
      return s;
    }

    it('refuses the write that passes it with NO_SPACE, changing nothing', () => {
      const s = full();
      const before = s.currentRevision;
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(10) }))
        .to.throw()
        .with.property('code', 'NO_SPACE');
      expect(s.currentRevision).to.equal(before);
      // The alarm is the state machine's to raise (server/apply/alarms.ts), not the store's.
      expect(s.noSpaceAlarm).to.equal(false);
    });

    it('refuses puts and txns with puts while the NOSPACE alarm is raised, even small ones', () => {
      const s = full();
      s.noSpaceAlarm = true;
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(0) }))
        .to.throw()
        .with.property('code', 'NO_SPACE');
      expect(() =>
        s.txn({
          compare: [],
          success: [{ type: 'put', request: { key: enc('e'), value: enc('') } }],
          failure: [],
        }),
      )
        .to.throw()
        .with.property('code', 'NO_SPACE');
    });

    it('still serves reads, deletes and compaction, and accepts writes again once there is room', () => {
      const s = full();
      s.noSpaceAlarm = true;
      expect(s.range({ key: enc('a') }).count).to.equal(1);
      s.deleteRange({ key: enc('a'), rangeEnd: enc('c') });
      s.deleteRange({ key: enc('c') });
      // The changes at the compaction point itself are kept (a watch may start there).
      s.compact(s.currentRevision);
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(10) })).to.throw();
      s.noSpaceAlarm = false;
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(10) })).to.not.throw();
    });

    it('frees what a compaction drops at once, before the history is physically dropped', () => {
      const s = full();
      for (const k of ['a', 'b']) s.deleteRange({ key: enc(k) });
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(10) }))
        .to.throw()
        .with.property('code', 'NO_SPACE');
      s.compact(s.currentRevision);
      expect(s.compactionPending).to.equal(true);
      const size = s.sizeBytes;
      expect(() => s.put({ key: enc('e'), value: new Uint8Array(10) })).to.not.throw();
      while (s.dropCompactedBatch(1));
      // Dropping changes nothing the quota sees: the room was counted at the compaction.
      expect(s.sizeBytes).to.equal(size + 1 + 10 + RECORD_OVERHEAD_BYTES);
    });
  });

  describe('heapLimitWarning', () => {
    const MiB = 1024 * 1024;
    it('warns exactly when the heap is below what the quota needs, naming settings that suffice', () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 64 * 1024 ** 3 }),
          fc.integer({ min: 64 * MiB, max: 256 * 1024 ** 3 }),
          (quota, heap) => {
            const warning = heapLimitWarning(quota, heap);
            expect(warning === undefined).to.equal(heap >= heapBytesForQuota(quota));
            if (warning === undefined) return;
            const flag = /--max-old-space-size=(\d+)/.exec(warning);
            const fits = /a quota of at most (\d+) bytes/.exec(warning);
            expect(flag, warning).to.not.equal(null);
            expect(heapLimitWarning(quota, Number(flag?.[1]) * MiB)).to.equal(undefined);
            // Below the fixed base no quota fits, and none is offered.
            expect(fits === null).to.equal(heap < heapBytesForQuota(1));
            if (fits !== null) expect(heapLimitWarning(Number(fits[1]), heap)).to.equal(undefined);
          },
        ),
      );
    });

    it("warns for the default 2 GiB quota under Node's usual ~4 GiB heap", () => {
      expect(heapLimitWarning(2 * 1024 ** 3, 4144 * MiB)).to.match(/--max-old-space-size=4404\b/);
    });
  });
});
