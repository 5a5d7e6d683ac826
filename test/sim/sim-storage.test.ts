import { expect } from 'chai';
import { EntryType, type Entry, type Snapshot } from '../../server/raft/index.js';
import { LogState, SimStorage, initialSnapshot } from './sim-storage.js';

const CONF = { voters: [1, 2, 3], learners: [] };

function entries(from: number, to: number, term: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++)
    out.push({ index: i, term, type: EntryType.Normal, data: new Uint8Array(0) });
  return out;
}

function snapshot(index: number, term: number): Snapshot {
  return { metadata: { index, term, confState: CONF }, data: new Uint8Array(0) };
}

describe('LogState', () => {
  describe('#append', () => {
    it('replaces everything at and after the first new entry', () => {
      const log = new LogState(initialSnapshot(CONF));
      log.append(entries(1, 5, 1));
      log.append(entries(3, 4, 2));
      expect(log.lastIndex).to.equal(4);
      expect([1, 2, 3, 4].map((i) => log.term(i))).to.deep.equal([1, 1, 2, 2]);
      expect(log.term(5)).to.equal(undefined);
    });

    context('when the entries leave a gap', () => {
      it('throws', () => {
        const log = new LogState(initialSnapshot(CONF));
        log.append(entries(1, 2, 1));
        expect(() => log.append(entries(4, 4, 1))).to.throw(/outside/);
      });
    });
  });

  describe('#compact', () => {
    it('drops entries up to the snapshot and keeps the rest', () => {
      const log = new LogState(initialSnapshot(CONF));
      log.append(entries(1, 6, 1));
      log.compact(snapshot(4, 1));
      expect(log.snapIndex).to.equal(4);
      expect(log.term(4)).to.equal(1);
      expect(log.term(3)).to.equal(undefined);
      expect(log.entry(5)?.index).to.equal(5);
      expect(log.lastIndex).to.equal(6);
    });
  });

  describe('#install', () => {
    it('replaces the whole log with the snapshot', () => {
      const log = new LogState(initialSnapshot(CONF));
      log.append(entries(1, 6, 1));
      log.install(snapshot(9, 3));
      expect(log.lastIndex).to.equal(9);
      expect(log.term(9)).to.equal(3);
      expect(log.term(6)).to.equal(undefined);
    });
  });
});

describe('SimStorage', () => {
  const hs = (term: number, commit: number): { term: number; vote: number; commit: number } => ({
    term,
    vote: 1,
    commit,
  });

  describe('#crash', () => {
    it('loses every staged write that was not synced', () => {
      const st = new SimStorage(CONF);
      st.stage({ snapshot: undefined, entries: entries(1, 2, 1), hardState: hs(1, 0) });
      st.sync();
      st.stage({ snapshot: undefined, entries: entries(3, 4, 1), hardState: hs(1, 2) });
      st.crash(0);
      const boot = st.boot();
      expect(boot.entries.map((e) => e.index)).to.deep.equal([1, 2]);
      expect(boot.hardState).to.deep.equal(hs(1, 0));
      expect(st.durableTerm(3)).to.equal(undefined);
    });

    it('keeps an ordered prefix of the unsynced writes when told so', () => {
      const st = new SimStorage(CONF);
      st.stage({ snapshot: undefined, entries: entries(1, 1, 1), hardState: hs(1, 0) });
      st.stage({ snapshot: undefined, entries: entries(2, 2, 1), hardState: hs(1, 1) });
      st.stage({ snapshot: undefined, entries: entries(3, 3, 1), hardState: hs(1, 2) });
      expect(st.stagedCount).to.equal(3);
      st.crash(2);
      const boot = st.boot();
      expect(boot.entries.map((e) => e.index)).to.deep.equal([1, 2]);
      expect(boot.hardState).to.deep.equal(hs(1, 1));
      expect(st.stagedCount).to.equal(0);
    });
  });

  describe('#saveSnapshot', () => {
    it('boots from the snapshot and the entries after it', () => {
      const st = new SimStorage(CONF);
      st.stage({ snapshot: undefined, entries: entries(1, 5, 2), hardState: hs(2, 5) });
      st.sync();
      st.saveSnapshot(snapshot(3, 2));
      const boot = st.boot();
      expect(boot.snapshot.metadata.index).to.equal(3);
      expect(boot.entries.map((e) => e.index)).to.deep.equal([4, 5]);
    });
  });

  describe('#boot', () => {
    it('starts a fresh member from a metadata-only snapshot at index 0 with the initial membership', () => {
      const boot = new SimStorage(CONF).boot();
      expect(boot.snapshot.metadata).to.deep.equal({ index: 0, term: 0, confState: CONF });
      expect(boot.entries).to.deep.equal([]);
      expect(boot.hardState).to.deep.equal({ term: 0, vote: 0, commit: 0 });
    });
  });
});
