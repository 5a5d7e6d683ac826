import { expect } from 'chai';
import { checkFrameAt, scanSegment } from '../../../../server/storage/wal/decoder.js';
import { encodeRecord, sealFrame } from '../../../../server/storage/wal/encoder.js';
import type { WalRecord } from '../../../../server/storage/wal/record.js';
import { CorruptionError } from '../../../../server/storage/errors.js';
import { entry } from '../helpers.js';

const samples: WalRecord[] = [
  { type: 'metadata', formatVersion: 1, clusterId: 'cluster-α', memberId: 7, segmentSeq: 3 },
  { type: 'entry', entry: entry(2 ** 40, 5, Uint8Array.of(0, 255, 1)) },
  { type: 'entry', entry: { index: 9, term: 2, type: 'confChange', data: new Uint8Array(0) } },
  { type: 'hardState', hardState: { term: 2 ** 53 - 1, vote: 3, commit: 8 } },
  { type: 'snapshot', index: 100, term: 4, resetsLog: true },
  { type: 'snapshot', index: 0, term: 0, resetsLog: false },
];

function layout(records: readonly WalRecord[]): Uint8Array {
  const frames = records.map((r) => encodeRecord(r));
  let offset = 0;
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.forEach((f, i) => {
    sealFrame(f, offset, i === 0);
    out.set(f, offset);
    offset += f.length;
  });
  return out;
}

describe('WAL record codec', () => {
  describe('#encodeRecord / #scanSegment', () => {
    it('round-trips every record type', () => {
      const scan = scanSegment(layout(samples), 'seg', 1024);
      expect(scan.failure).to.equal(undefined);
      expect(scan.records.map((r) => r.record)).to.deep.equal(samples);
      expect(scan.records.map((r) => r.batchStart)).to.deep.equal([true, false, false, false, false, false]);
    });

    it('stops at a flipped bit and reports its offset', () => {
      const bytes = layout(samples);
      const second = scanSegment(bytes, 'seg', 1024).records[1];
      if (second === undefined) throw new Error('no second record');
      bytes[second.offset + 12] = (bytes[second.offset + 12] as number) ^ 0x10;
      const scan = scanSegment(bytes, 'seg', 1024);
      expect(scan.records).to.have.length(1);
      expect(scan.failure?.offset).to.equal(second.offset);
      expect(scan.failure?.detail).to.equal('crc mismatch');
    });

    it('rejects a frame copied to another offset', () => {
      const frame = encodeRecord(samples[4] as WalRecord);
      sealFrame(frame, 0, false);
      const shifted = new Uint8Array(frame.length + 8);
      shifted.set(frame, 8);
      expect(checkFrameAt(shifted, 8, 1024).ok).to.equal(false);
      expect(checkFrameAt(frame, 0, 1024).ok).to.equal(true);
    });

    it('rejects an implausible length without reading past the end', () => {
      const bytes = layout(samples.slice(0, 1));
      bytes[0] = 0xff;
      bytes[3] = 0x7f;
      const check = checkFrameAt(bytes, 0, 1024);
      expect(check.ok).to.equal(false);
    });

    context('when a CRC-valid frame has an unknown type', () => {
      it('throws a CorruptionError naming file and offset', () => {
        const frame = encodeRecord(samples[3] as WalRecord);
        frame[8] = 42;
        sealFrame(frame, 0, true);
        expect(() => scanSegment(frame, 'seg-x', 1024))
          .to.throw(CorruptionError)
          .with.property('offset', 0);
      });
    });
  });
});
