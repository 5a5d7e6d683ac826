import type { Entry } from '../../../server/raft/index.js';

/** The read-only view of one member's log that the checkers need (LogState implements it). */
export interface LogView {
  readonly snapIndex: number;
  readonly lastIndex: number;
  /** Term at `index` (the snapshot's term at snapIndex), or undefined when compacted or past the end. */
  term(index: number): number | undefined;
  /** The entry at `index`, or undefined when compacted or past the end. */
  entry(index: number): Entry | undefined;
}
