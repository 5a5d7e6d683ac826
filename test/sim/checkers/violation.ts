/** A broken invariant found by the simulator's checkers (or a Raft assertion turned into one). */
export const Invariant = {
  LeaderPerTerm: 'at-most-one-leader-per-term',
  LogMatching: 'log-matching',
  LeaderCompleteness: 'leader-completeness',
  StateMachineSafety: 'state-machine-safety',
  Monotonic: 'commit-applied-monotonic',
  RestartApplies: 'restart-applies-durable-commit',
  ReadIndex: 'read-index-linearizable',
  AckedDurable: 'acknowledged-proposals-applied',
  ReadyContract: 'ready-contract',
  Liveness: 'liveness',
  /** Under connection flaps alone, the leader's term never changes (checkers/flap-stability.ts). */
  FlapDisruption: 'flap-keeps-leader-term',
  RaftAssertion: 'raft-threw',
  // The simulated clients' history (test/sim/clients/, checkers/{history,watch,lease}-*.ts).
  ClientLinearizable: 'client-history-linearizable',
  ReadsMatchHistory: 'reads-match-history',
  WatchDelivery: 'watch-delivers-history',
  LeaseKeysGone: 'lease-keys-gone-after-revoke',
  /** The auth workload (checkers/auth-apply.ts): a write the auth model denies never applies. */
  AuthDenied: 'auth-denied-writes-never-apply',
  /** The auth workload: limited users' answers agree with the auth model. */
  AuthAnswers: 'auth-answers-match-model',
} as const;
export type Invariant = (typeof Invariant)[keyof typeof Invariant];

export class Violation extends Error {
  override readonly name = 'Violation';
  constructor(
    readonly invariant: Invariant,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}
