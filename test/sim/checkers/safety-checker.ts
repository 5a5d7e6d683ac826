/**
 * Cluster-wide safety invariants (Raft paper figure 3), checked incrementally as members report what
 * they do. Every hook is O(1) or O(new entries), so the simulator can call them after every event.
 * The members are production Replicas: what they do is observed at their ports (replica-node.ts).
 *
 * - At most one leader per term.
 * - Log matching: a registry maps (index, term) to the entry and the term of the entry before it; a
 *   second log holding (index, term) must agree on both. By induction over indexes this proves that
 *   the two logs share the whole prefix, without ever comparing prefixes.
 * - Leader completeness: each committed index records the lowest term in which a member observed it
 *   committed (an upper bound of the term whose leader committed it). A leader of term T must hold
 *   the highest index committed in a term below T (or a snapshot covering it); log matching then
 *   extends that to every earlier index.
 * - State-machine safety: the first member to apply an index fixes its entry; every other member,
 *   whether it applies the entry or restores a snapshot at that index, must agree. State hashes
 *   (the StateMachine's `hash()`, O(state)) are reported sparsely — once per applied batch and after
 *   a restore — and compared wherever two members report one for the same index.
 * - Commit and applied indexes never decrease within one incarnation of a member.
 * - ReadIndex, end to end: a linearizable read answered on a member finds it applied at least up to
 *   every commit known anywhere when the read was issued.
 */
import type { Entry } from '../../../server/raft/index.js';
import { entryName } from '../entry-name.js';
import type { LogView } from './log-view.js';
import { Invariant, Violation } from './violation.js';

interface LogRecord {
  readonly term: number;
  readonly key: string;
  readonly prevTerm: number | undefined;
  readonly node: number;
}

interface Incarnation {
  incarnation: number;
  commit: number;
  applied: number;
}

interface StateHash {
  readonly hash: string;
  readonly node: number;
}

export class SafetyChecker {
  private readonly leaders = new Map<number, number>();
  private readonly logRecords = new Map<number, LogRecord[]>();
  private readonly committedTerm: number[] = [];
  private readonly committedKey: string[] = [];
  private readonly commitTerm: number[] = [];
  /** For each observing term t: the highest index first seen committed with commit term t. */
  private readonly maxCommittedByTerm = new Map<number, number>();
  private cachedBelowTerm = -1;
  private cachedBelowIndex = 0;
  private readonly appliedKey: string[] = [];
  private readonly appliedBy: number[] = [];
  private readonly stateHashes = new Map<number, StateHash>();
  private readonly incarnations = new Map<number, Incarnation>();
  /** Highest index known committed anywhere. */
  maxCommitted = 0;
  checksRun = 0;
  /** State hashes reported, and how many met another member's hash at the same index. */
  stateHashesReported = 0;
  stateHashesCompared = 0;

  /** A member (re)started: its commit and applied baselines are whatever it booted with. */
  onStart(node: number, incarnation: number, commit: number, applied: number): void {
    this.incarnations.set(node, { incarnation, commit, applied });
  }

  /** A member that is leader of `term` persists a Ready; `log` is its log at that moment. */
  onLeader(node: number, term: number, log: LogView): void {
    this.checksRun++;
    const known = this.leaders.get(term);
    if (known === undefined) this.leaders.set(term, node);
    else if (known !== node) {
      throw new Violation(
        Invariant.LeaderPerTerm,
        `members ${known} and ${node} are both leader of term ${term}`,
      );
    }
    const index = this.maxCommittedBelowTerm(term);
    if (index <= log.snapIndex) return;
    const want = this.committedTerm[index];
    const have = log.term(index);
    if (have !== want) {
      throw new Violation(
        Invariant.LeaderCompleteness,
        `leader ${node} of term ${term} has ${have === undefined ? 'no entry' : `term ${have}`} at ${index}, ` +
          `but ${index}/t${want} (${this.committedKey[index]}) was committed in term ${this.commitTerm[index]}`,
      );
    }
  }

  /** A member's live state (read after an event, not from a Ready) says it leads `term`. */
  onLeaderSeen(node: number, term: number): void {
    const known = this.leaders.get(term);
    if (known === undefined) this.leaders.set(term, node);
    else if (known !== node) {
      throw new Violation(
        Invariant.LeaderPerTerm,
        `members ${known} and ${node} are both leader of term ${term}`,
      );
    }
  }

  /** `entries` were just appended to `node`'s log (which `log` now shows, them included). */
  onAppend(node: number, entries: readonly Entry[], log: LogView): void {
    for (const e of entries) {
      this.checksRun++;
      const prevTerm = log.term(e.index - 1);
      const key = entryName(e);
      let records = this.logRecords.get(e.index);
      if (records === undefined) {
        records = [];
        this.logRecords.set(e.index, records);
      }
      const same = records.find((r) => r.term === e.term);
      if (same === undefined) {
        records.push({ term: e.term, key, prevTerm, node });
        continue;
      }
      if (same.key !== key) {
        throw new Violation(
          Invariant.LogMatching,
          `entry ${e.index}/t${e.term} is ${same.key} on member ${same.node} but ${key} on member ${node}`,
        );
      }
      if (same.prevTerm !== undefined && prevTerm !== undefined && same.prevTerm !== prevTerm) {
        throw new Violation(
          Invariant.LogMatching,
          `entry ${e.index}/t${e.term} follows term ${same.prevTerm} on member ${same.node} ` +
            `but term ${prevTerm} on member ${node}: the logs differ before a shared entry`,
        );
      }
    }
  }

  /** `node`, currently in `term`, has commit index `commit`; `log` is its log. */
  onCommit(node: number, incarnation: number, commit: number, term: number, log: LogView): void {
    const inc = this.incarnation(node, incarnation);
    if (commit < inc.commit) {
      throw new Violation(
        Invariant.Monotonic,
        `member ${node} commit went back from ${inc.commit} to ${commit}`,
      );
    }
    if (commit > log.lastIndex) {
      throw new Violation(
        Invariant.ReadyContract,
        `member ${node} commit ${commit} beyond its last index ${log.lastIndex}`,
      );
    }
    for (let i = Math.max(inc.commit, log.snapIndex) + 1; i <= commit; i++)
      this.recordCommitted(node, i, term, log);
    inc.commit = commit;
    if (commit > this.maxCommitted) this.maxCommitted = commit;
  }

  /** `node` applied `entry` (whether or not it reached the state machine: conf changes, no-ops). */
  onApply(node: number, incarnation: number, entry: Entry): void {
    this.checksRun++;
    const inc = this.incarnation(node, incarnation);
    if (entry.index !== inc.applied + 1) {
      throw new Violation(
        Invariant.Monotonic,
        `member ${node} applied ${entry.index} right after ${inc.applied}`,
      );
    }
    inc.applied = entry.index;
    this.recordApplied(node, entry.index, `${entry.index}/t${entry.term}:${entryName(entry)}`);
  }

  /** `node` installed a snapshot taken at `index`/`term`. */
  onRestore(node: number, incarnation: number, index: number, term: number): void {
    const inc = this.incarnation(node, incarnation);
    if (index <= inc.applied) {
      throw new Violation(
        Invariant.Monotonic,
        `member ${node} restored snapshot ${index} at applied ${inc.applied}`,
      );
    }
    inc.applied = index;
    const known = this.appliedKey[index];
    if (known !== undefined && !known.startsWith(`${index}/t${term}:`)) {
      throw new Violation(
        Invariant.StateMachineSafety,
        `member ${node} restored a snapshot at ${index}/t${term} but member ${this.appliedBy[index]} applied ${known}`,
      );
    }
    if (known === undefined) {
      this.appliedKey[index] = `${index}/t${term}:snapshot`;
      this.appliedBy[index] = node;
    }
  }

  /** `node`'s state machine hashes to `hash` with everything up to `index` applied. */
  onStateHash(node: number, index: number, hash: string): void {
    this.checksRun++;
    this.stateHashesReported++;
    const known = this.stateHashes.get(index);
    if (known === undefined) {
      this.stateHashes.set(index, { hash, node });
      return;
    }
    this.stateHashesCompared++;
    if (known.hash !== hash) {
      throw new Violation(
        Invariant.StateMachineSafety,
        `member ${node} has state hash ${hash} at index ${index}, but member ${known.node} had ${known.hash}`,
      );
    }
  }

  /**
   * A linearizable read issued on `node` when `minIndex` was committed somewhere has just been
   * answered, with `applied` applied on `node`.
   */
  onReadAnswered(node: number, minIndex: number, applied: number): void {
    this.checksRun++;
    if (applied < minIndex) {
      throw new Violation(
        Invariant.ReadIndex,
        `a linearizable read on member ${node} was answered at applied index ${applied}, ` +
          `but ${minIndex} was already committed when it was issued`,
      );
    }
  }

  private incarnation(node: number, incarnation: number): Incarnation {
    let inc = this.incarnations.get(node);
    if (inc === undefined || inc.incarnation !== incarnation) {
      inc = { incarnation, commit: 0, applied: 0 };
      this.incarnations.set(node, inc);
    }
    return inc;
  }

  private recordCommitted(node: number, index: number, term: number, log: LogView): void {
    this.checksRun++;
    const entry = log.entry(index);
    if (entry === undefined) return;
    const key = entryName(entry);
    const knownTerm = this.committedTerm[index];
    if (knownTerm === undefined) {
      this.committedTerm[index] = entry.term;
      this.committedKey[index] = key;
    } else if (knownTerm !== entry.term || this.committedKey[index] !== key) {
      throw new Violation(
        Invariant.StateMachineSafety,
        `member ${node} committed ${index}/t${entry.term}:${key} but ${index}/t${knownTerm}:${this.committedKey[index]} ` +
          'was committed before',
      );
    }
    const commitTerm = this.commitTerm[index];
    if (commitTerm === undefined || term < commitTerm) {
      this.commitTerm[index] = term;
      const max = this.maxCommittedByTerm.get(term) ?? 0;
      if (index > max) this.maxCommittedByTerm.set(term, index);
      this.cachedBelowTerm = -1;
    }
  }

  private recordApplied(node: number, index: number, key: string): void {
    const known = this.appliedKey[index];
    if (known === undefined || known.endsWith(':snapshot')) {
      if (known !== undefined && known.split(':')[0] !== key.split(':')[0]) {
        throw new Violation(
          Invariant.StateMachineSafety,
          `member ${node} applied ${key} but member ${this.appliedBy[index]} restored a snapshot ${known}`,
        );
      }
      this.appliedKey[index] = key;
      this.appliedBy[index] = node;
      return;
    }
    if (known !== key) {
      throw new Violation(
        Invariant.StateMachineSafety,
        `member ${node} applied ${key} but member ${this.appliedBy[index]} applied ${known}`,
      );
    }
  }

  private maxCommittedBelowTerm(term: number): number {
    if (this.cachedBelowTerm === term) return this.cachedBelowIndex;
    let max = 0;
    for (const [t, index] of this.maxCommittedByTerm) if (t < term && index > max) max = index;
    this.cachedBelowTerm = term;
    this.cachedBelowIndex = max;
    return max;
  }
}
