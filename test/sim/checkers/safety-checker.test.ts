import { expect } from 'chai';
import { EntryType, type Entry } from '../../../server/raft/index.js';
import { LogState, initialSnapshot } from '../sim-storage.js';
import { encodeCommand } from '../../../server/apply/index.js';
import { encodeEnvelope } from '../../../server/replica/envelope.js';
import { SafetyChecker } from './safety-checker.js';
import { Invariant, Violation } from './violation.js';

const CONF = { voters: [1, 2, 3], learners: [] };

const enc = new TextEncoder();

/** A put of value p<proposal>, in the replica's envelope, as the simulator proposes it. */
function proposal(id: number): Uint8Array {
  const put = encodeCommand({ type: 'put', request: { key: enc.encode('k'), value: enc.encode(`p${id}`) } });
  return encodeEnvelope(id, put);
}

function entry(index: number, term: number, id?: number): Entry {
  return { index, term, type: EntryType.Normal, data: id === undefined ? new Uint8Array(0) : proposal(id) };
}

/** A log holding `entries` (contiguous from 1), as the mirror of one member's Raft log. */
function logOf(...entries: Entry[]): LogState {
  const log = new LogState(initialSnapshot(CONF));
  log.append(entries);
  return log;
}

function expectViolation(fn: () => void, invariant: Invariant): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(Violation);
    expect((err as Violation).invariant).to.equal(invariant);
    return;
  }
  expect.fail(`expected a ${invariant} violation`);
}

describe('SafetyChecker', () => {
  describe('#onLeader', () => {
    it('accepts the same leader reported twice in one term', () => {
      const c = new SafetyChecker();
      c.onLeader(1, 3, logOf());
      c.onLeader(1, 3, logOf());
    });

    context('when two members lead the same term', () => {
      it('reports at-most-one-leader-per-term', () => {
        const c = new SafetyChecker();
        c.onLeader(1, 3, logOf());
        expectViolation(() => c.onLeader(2, 3, logOf()), Invariant.LeaderPerTerm);
      });
    });

    context('when a later leader lacks an entry committed in an earlier term', () => {
      it('reports leader-completeness', () => {
        const c = new SafetyChecker();
        const committed = logOf(entry(1, 1, 10), entry(2, 1, 11));
        c.onStart(1, 1, 0, 0);
        c.onCommit(1, 1, 2, 1, committed);
        c.onLeader(2, 2, logOf(entry(1, 1, 10), entry(2, 1, 11), entry(3, 2)));
        expectViolation(
          () => c.onLeader(3, 3, logOf(entry(1, 1, 10), entry(2, 2))),
          Invariant.LeaderCompleteness,
        );
      });
    });

    context('when the later leader has compacted the committed entry into its snapshot', () => {
      it('accepts it', () => {
        const c = new SafetyChecker();
        c.onCommit(1, 1, 2, 1, logOf(entry(1, 1, 10), entry(2, 1, 11)));
        const compacted = logOf(entry(1, 1, 10), entry(2, 1, 11), entry(3, 2));
        compacted.compact({ metadata: { index: 2, term: 1, confState: CONF }, data: new Uint8Array(0) });
        c.onLeader(2, 2, compacted);
      });
    });
  });

  describe('#onAppend', () => {
    context('when two logs hold different entries at the same index and term', () => {
      it('reports log-matching', () => {
        const c = new SafetyChecker();
        const a = [entry(1, 1, 10)];
        c.onAppend(1, a, logOf(...a));
        const b = [entry(1, 1, 99)];
        expectViolation(() => c.onAppend(2, b, logOf(...b)), Invariant.LogMatching);
      });
    });

    context('when two logs share an entry but differ before it', () => {
      it('reports log-matching', () => {
        const c = new SafetyChecker();
        const a = [entry(1, 1, 10), entry(2, 2, 20)];
        c.onAppend(1, a, logOf(...a));
        // Member 2 skipped the consistency check: it put 2/t2 after a different entry 1.
        const b = [entry(1, 3, 30), entry(2, 2, 20)];
        expectViolation(() => c.onAppend(2, b, logOf(...b)), Invariant.LogMatching);
      });
    });

    it('accepts identical logs and a conflicting entry of another term', () => {
      const c = new SafetyChecker();
      const a = [entry(1, 1, 10), entry(2, 1, 11)];
      c.onAppend(1, a, logOf(...a));
      c.onAppend(2, a, logOf(...a));
      const b = [entry(1, 1, 10), entry(2, 2, 12)];
      c.onAppend(3, b, logOf(...b));
    });
  });

  describe('#onCommit', () => {
    context('when a member commits a different entry at a committed index', () => {
      it('reports state-machine-safety', () => {
        const c = new SafetyChecker();
        c.onCommit(1, 1, 1, 1, logOf(entry(1, 1, 10)));
        expectViolation(() => c.onCommit(2, 1, 1, 2, logOf(entry(1, 2, 11))), Invariant.StateMachineSafety);
      });
    });

    context('when the commit index goes back within one incarnation', () => {
      it('reports commit-applied-monotonic', () => {
        const c = new SafetyChecker();
        const log = logOf(entry(1, 1), entry(2, 1));
        c.onCommit(1, 1, 2, 1, log);
        expectViolation(() => c.onCommit(1, 1, 1, 1, log), Invariant.Monotonic);
      });

      it('accepts a lower commit in a new incarnation (after a restart)', () => {
        const c = new SafetyChecker();
        const log = logOf(entry(1, 1), entry(2, 1));
        c.onCommit(1, 1, 2, 1, log);
        c.onStart(1, 2, 1, 0);
        c.onCommit(1, 2, 1, 1, log);
      });
    });

    it('reports a commit index beyond the last index as a Ready contract breach', () => {
      const c = new SafetyChecker();
      expectViolation(() => c.onCommit(1, 1, 3, 1, logOf(entry(1, 1))), Invariant.ReadyContract);
    });
  });

  describe('#onApply', () => {
    function applyAll(c: SafetyChecker, node: number, entries: Entry[]): void {
      c.onStart(node, 1, 0, 0);
      for (const e of entries) c.onApply(node, 1, e);
    }

    context('when two members apply different entries at one index', () => {
      it('reports state-machine-safety', () => {
        const c = new SafetyChecker();
        applyAll(c, 1, [entry(1, 1, 10), entry(2, 1, 11)]);
        expectViolation(
          () => applyAll(c, 2, [entry(1, 1, 10), entry(2, 2, 12)]),
          Invariant.StateMachineSafety,
        );
      });
    });

    context('when a member skips an index', () => {
      it('reports commit-applied-monotonic', () => {
        const c = new SafetyChecker();
        expectViolation(() => applyAll(c, 1, [entry(1, 1, 10), entry(3, 1, 11)]), Invariant.Monotonic);
      });
    });
  });

  describe('#onRestore', () => {
    context('when a snapshot was taken at an index whose applied entry has another term', () => {
      it('reports state-machine-safety', () => {
        const c = new SafetyChecker();
        c.onStart(1, 1, 0, 0);
        for (const e of [entry(1, 1, 10), entry(2, 1, 11)]) c.onApply(1, 1, e);
        c.onStart(2, 1, 0, 0);
        expectViolation(() => c.onRestore(2, 1, 2, 2), Invariant.StateMachineSafety);
        c.onStart(3, 1, 0, 0);
        c.onRestore(3, 1, 2, 1);
      });
    });
  });

  describe('#onStateHash', () => {
    context('when two members report different state hashes at one index', () => {
      it('reports state-machine-safety', () => {
        const c = new SafetyChecker();
        c.onStateHash(1, 5, 'aa');
        c.onStateHash(2, 5, 'aa');
        c.onStateHash(2, 6, 'bb');
        expectViolation(() => c.onStateHash(3, 5, 'ab'), Invariant.StateMachineSafety);
      });
    });
  });

  describe('#onReadAnswered', () => {
    context('when a read is answered below a commit known when it was issued', () => {
      it('reports read-index-linearizable', () => {
        const c = new SafetyChecker();
        expectViolation(() => c.onReadAnswered(1, 5, 4), Invariant.ReadIndex);
        c.onReadAnswered(1, 5, 5);
      });
    });
  });
});
