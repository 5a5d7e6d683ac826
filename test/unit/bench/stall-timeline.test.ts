/**
 * The pure parts of `npm run bench -- stall-timeline`: parsing the lines of a traced scale run,
 * merging overlapping slow puts into episodes, and picking the events that overlap one.
 */
import { expect } from 'chai';
import { episodes, overlapping, parseLine, type TimelineEvent } from '../../../bench/stall-timeline.js';

const T = Date.parse('2026-12-06T11:00:00.000Z');

describe('bench stall-timeline', () => {
  describe('#parseLine', () => {
    it('reads stall lines with their thread, kind and file', () => {
      const e = parseLine(
        'm1',
        'stall {"at":"2026-12-06T11:00:00.100Z","ms":84.2,"kind":"fdatasync","thread":"worker","pid":1,"file":"/d/wal/0.wal"}',
      );
      expect(e).to.deep.equal({
        source: 'm1/worker',
        startMs: T + 100,
        ms: 84.2,
        what: 'fdatasync file=/d/wal/0.wal',
      });
    });
    it('reads slow puts and member log lines, and skips the rest', () => {
      expect(
        parseLine(
          'bench',
          'slow put {"start":"2026-12-06T11:00:00.000Z","end":"2026-12-06T11:00:00.200Z","ms":200,"key":"k"}',
        ),
      ).to.deep.equal({
        startMs: T,
        endMs: T + 200,
      });
      expect(
        parseLine(
          'm2',
          '{"ts":"2026-12-06T11:00:00.050Z","level":"info","msg":"snapshot written","index":7,"bytes":9}',
        ),
      ).to.deep.equal({
        source: 'm2',
        startMs: T + 50,
        ms: 0,
        what: 'log snapshot written index=7 bytes=9',
      });
      expect(parseLine('m1', '[123:0x1]  456 ms: Scavenge 10 -> 5 MB')).to.equal(undefined);
      expect(parseLine('m1', 'stall {not json')).to.equal(undefined);
    });
  });
  describe('#episodes', () => {
    it('merges overlapping puts and keeps apart the others', () => {
      const eps = episodes([
        { startMs: T + 500, endMs: T + 600 },
        { startMs: T, endMs: T + 300 },
        { startMs: T + 100, endMs: T + 450 },
      ]);
      expect(eps).to.deep.equal([
        { startMs: T, endMs: T + 450, puts: 2, maxMs: 350 },
        { startMs: T + 500, endMs: T + 600, puts: 1, maxMs: 100 },
      ]);
    });
  });
  describe('#overlapping', () => {
    it('returns the events that touch the window, in time order', () => {
      const ev = (startMs: number, ms: number, what: string): TimelineEvent => ({
        source: 'm1',
        startMs,
        ms,
        what,
      });
      const all = [
        ev(T + 900, 0, 'after'),
        ev(T + 50, 0, 'inside'),
        ev(T - 200, 150, 'ends-inside'),
        ev(T - 300, 50, 'before'),
      ];
      expect(overlapping(all, T - 100, T + 800).map((e) => e.what)).to.deep.equal(['ends-inside', 'inside']);
    });
  });
});
