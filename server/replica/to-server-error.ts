/** Raft's refusals as the server's typed errors (what clients see). */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { ServerError } from '../errors.js';
import { ProposalRefusedError } from '../raft/index.js';

export function toServerError(err: unknown): Error {
  if (err instanceof ProposalRefusedError) {
    const code = err.reason === 'INVALID_CONF_CHANGE' ? ErrorCode.InvalidArgument : ErrorCode.Unavailable;
    return new ServerError(code, err.message, code === ErrorCode.Unavailable, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
