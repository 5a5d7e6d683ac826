/** Typed lease errors. `LeaseNotFoundError` lives in mvcc (a put checks it) and is re-exported. */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { StateMachineError } from '../mvcc/index.js';

export { LeaseNotFoundError } from '../mvcc/index.js';

export class LeaseExistsError extends StateMachineError {
  override readonly name = 'LeaseExistsError';
  constructor(readonly leaseId: number) {
    super(ErrorCode.LeaseExists, `lease: lease ${leaseId} already exists`);
  }
}

export class LeaseTtlTooLargeError extends StateMachineError {
  override readonly name = 'LeaseTtlTooLargeError';
  constructor(
    readonly ttlSec: number,
    readonly maxTtlSec: number,
  ) {
    super(ErrorCode.LeaseTtlTooLarge, `lease: TTL ${ttlSec}s is too large (max ${maxTtlSec}s)`);
  }
}

/** Keep-alives and expiry are decided by the primary (leader) lessor only. */
export class NotPrimaryError extends StateMachineError {
  override readonly name = 'NotPrimaryError';
  constructor() {
    super(ErrorCode.NotLeader, 'lease: not the primary lessor (not the leader)', true);
  }
}
