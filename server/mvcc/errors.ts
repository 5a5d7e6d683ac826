/**
 * Typed, coded errors of the state machine (mvcc, lease, watch, apply). They are expected outcomes
 * of a request — the entry is still applied and every member returns the same error — not
 * invariant violations (those use `assert()`). The wire carries `code`; messages are for humans.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';

export class StateMachineError extends Error {
  override readonly name: string = 'StateMachineError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** The requested revision was compacted away; `compactRevision` is the oldest still readable. */
export class CompactedError extends StateMachineError {
  override readonly name = 'CompactedError';
  constructor(readonly compactRevision: number) {
    super(
      ErrorCode.Compacted,
      `mvcc: required revision has been compacted (compacted at ${compactRevision})`,
    );
  }
}

export class FutureRevisionError extends StateMachineError {
  override readonly name = 'FutureRevisionError';
  constructor(
    readonly requested: number,
    readonly current: number,
  ) {
    super(
      ErrorCode.FutureRevision,
      `mvcc: required revision ${requested} is a future revision (current ${current})`,
    );
  }
}

export class NoSpaceError extends StateMachineError {
  override readonly name = 'NoSpaceError';
  constructor(message = 'mvcc: database space exceeded (NO_SPACE alarm)') {
    super(ErrorCode.NoSpace, message);
  }
}

export class RequestTooLargeError extends StateMachineError {
  override readonly name = 'RequestTooLargeError';
  constructor(
    readonly sizeBytes: number,
    readonly maxBytes: number,
  ) {
    super(ErrorCode.RequestTooLarge, `mvcc: request is too large (${sizeBytes} > ${maxBytes} bytes)`);
  }
}

export class DuplicateKeyError extends StateMachineError {
  override readonly name = 'DuplicateKeyError';
  constructor(message = 'mvcc: duplicate key given in txn request') {
    super(ErrorCode.DuplicateKey, message);
  }
}

export class KeyNotFoundError extends StateMachineError {
  override readonly name = 'KeyNotFoundError';
  constructor(message = 'mvcc: key not found') {
    super(ErrorCode.KeyNotFound, message);
  }
}

export class InvalidArgumentError extends StateMachineError {
  override readonly name = 'InvalidArgumentError';
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, message);
  }
}

export class InvalidConfigError extends StateMachineError {
  override readonly name = 'InvalidConfigError';
  constructor(message: string) {
    super(ErrorCode.InvalidArgument, message);
  }
}

/** A key was attached to a lease that does not exist. Defined here because put checks it. */
export class LeaseNotFoundError extends StateMachineError {
  override readonly name = 'LeaseNotFoundError';
  constructor(readonly leaseId: number) {
    super(ErrorCode.LeaseNotFound, `lease: lease ${leaseId} not found`);
  }
}
