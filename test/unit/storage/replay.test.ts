import { expect } from 'chai';
import type { SnapshotMetadata } from '../../../server/raft/types.js';
import { CorruptionError } from '../../../server/storage/errors.js';
import { replayLog } from '../../../server/storage/replay.js';
import type { WalRecord } from '../../../server/storage/wal/record.js';
import type { LocatedRecord } from '../../../server/storage/wal/wal.js';
import { entries, entry, hs } from './helpers.js';

const at = (records: WalRecord[]): LocatedRecord[] =>
  records.map((record, i) => ({ record, file: 'seg', offset: i * 10 }));
const ents = (from: number, to: number, term: number): WalRecord[] =>
  entries(from, to, term).map((e) => ({ type: 'entry', entry: e }));
const snapAt = (index: number, term = 1): SnapshotMetadata => ({
  index,
  term,
  confState: { voters: [1], learners: [] },
});

describe('replayLog', () => {
  it('returns entries after the snapshot and the newest hard state', () => {
    const r = replayLog(
      at([...ents(1, 5, 1), { type: 'hardState', hardState: hs(1, 1, 3) }]),
      snapAt(2),
      'wal',
    );
    expect(r.entries).to.deep.equal(entries(3, 5, 1));
    expect(r.hardState).to.deep.equal(hs(1, 1, 3));
  });

  context('when a new leader overwrote entries', () => {
    it('keeps the overwriting entries and drops everything after them', () => {
      const r = replayLog(at([...ents(1, 8, 1), ...ents(4, 5, 2)]), snapAt(0, 0), 'wal');
      expect(r.entries).to.deep.equal([...entries(1, 3, 1), ...entries(4, 5, 2)]);
    });
  });

  context('when an entry covered by the snapshot overwrote later entries', () => {
    it('still drops the overwritten entries past the snapshot', () => {
      const r = replayLog(at([...ents(1, 8, 1), ...ents(5, 5, 2)]), snapAt(5, 2), 'wal');
      expect(r.entries).to.deep.equal([]);
    });
  });

  context('when entries skip an index', () => {
    it('refuses with the file and offset of the entry after the gap', () => {
      expect(() =>
        replayLog(at([...ents(1, 3, 1), { type: 'entry', entry: entry(5, 1) }]), snapAt(0, 0), 'wal'),
      )
        .to.throw(CorruptionError, /log gap: entry 5 follows index 3/)
        .with.property('offset', 30);
    });
  });

  context('when a snapshot marker resets the log', () => {
    it('drops entries written before it past the snapshot', () => {
      const r = replayLog(
        at([...ents(1, 8, 1), { type: 'snapshot', index: 5, term: 2, resetsLog: true }, ...ents(6, 6, 2)]),
        snapAt(5, 2),
        'wal',
      );
      expect(r.entries).to.deep.equal(entries(6, 6, 2));
      expect(r.hardState.commit).to.equal(5);
    });

    it('refuses when the marker is newer than the snapshot in use', () => {
      expect(() =>
        replayLog(at([{ type: 'snapshot', index: 7, term: 2, resetsLog: true }]), snapAt(3), 'wal'),
      ).to.throw(CorruptionError, /no valid snapshot file/);
    });
  });

  context('when the hard state lags the log it was written with', () => {
    it('raises the term to the newest term in the log, without a vote', () => {
      const r = replayLog(
        at([{ type: 'hardState', hardState: hs(1, 2, 1) }, ...ents(1, 3, 4)]),
        snapAt(0, 0),
        'wal',
      );
      expect(r.hardState).to.deep.equal(hs(4, 0, 1));
      const s = replayLog(at([{ type: 'hardState', hardState: hs(1, 2, 0) }]), snapAt(6, 3), 'wal');
      expect(s.hardState).to.deep.equal(hs(3, 0, 6));
    });
  });

  context('when the hard state commits past the durable log', () => {
    it('refuses', () => {
      expect(() =>
        replayLog(at([...ents(1, 2, 1), { type: 'hardState', hardState: hs(1, 1, 5) }]), snapAt(0, 0), 'wal'),
      ).to.throw(CorruptionError, /commit 5 is beyond the last durable index 2/);
    });
  });
});
