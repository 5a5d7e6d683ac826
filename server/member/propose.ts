/**
 * Proposing an apply-layer command through the replica: the one encoding step between the request
 * path (backend, lease driver, auto-compaction) and Raft. Its own module so that the request path
 * does not import the member's composition root (and with it the Node disk and transport).
 */
import { encodeCommand, type ApplyResult, type Command } from '../apply/index.js';
import type { Replica } from '../replica/index.js';

/** The replica's one method a proposer needs. */
export type Proposer = Pick<Replica<ApplyResult>, 'propose'>;

export function proposeCommand(
  replica: Proposer,
  command: Command,
  options: { signal?: AbortSignal } = {},
): Promise<ApplyResult> {
  return replica.propose(encodeCommand(command), options);
}
