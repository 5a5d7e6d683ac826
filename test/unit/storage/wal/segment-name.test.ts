import { expect } from 'chai';
import { formatSegmentName, maybeParseSegmentName } from '../../../../server/storage/wal/segment-name.js';

describe('segment names', () => {
  it('formats sequence and first index as 16 hex digits', () => {
    expect(formatSegmentName({ seq: 1, firstIndex: 255 })).to.equal('0000000000000001-00000000000000ff.wal');
  });

  it('parses what it formats and rejects anything else', () => {
    expect(maybeParseSegmentName(formatSegmentName({ seq: 42, firstIndex: 2 ** 40 }))).to.deep.equal({
      seq: 42,
      firstIndex: 2 ** 40,
    });
    expect(maybeParseSegmentName('0000000000000001-00000000000000ff.wal.tmp')).to.equal(undefined);
    expect(maybeParseSegmentName('1-2.wal')).to.equal(undefined);
  });

  it('sorts lexically in numeric order', () => {
    const names = [10, 2, 1].map((seq) => formatSegmentName({ seq, firstIndex: 0 }));
    expect([...names].sort()).to.deep.equal(
      [1, 2, 10].map((seq) => formatSegmentName({ seq, firstIndex: 0 })),
    );
  });
});
