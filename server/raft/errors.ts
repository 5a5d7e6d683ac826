/** Why a proposal (or a read, or a transfer) was refused by this member right now. */
export const RaftRefusal = {
  NoLeader: 'NO_LEADER',
  TransferInProgress: 'TRANSFER_IN_PROGRESS',
  ConfChangePending: 'CONF_CHANGE_PENDING',
  TooManyUncommitted: 'TOO_MANY_UNCOMMITTED',
  NotMember: 'NOT_MEMBER',
  InvalidConfChange: 'INVALID_CONF_CHANGE',
} as const;
export type RaftRefusal = (typeof RaftRefusal)[keyof typeof RaftRefusal];

/**
 * An expected, retryable refusal: the caller should retry later or elsewhere. Nothing was
 * appended to the log.
 */
export class ProposalRefusedError extends Error {
  override readonly name = 'ProposalRefusedError';
  constructor(
    readonly reason: RaftRefusal,
    message: string,
  ) {
    super(`raft: ${message}`);
  }
}
