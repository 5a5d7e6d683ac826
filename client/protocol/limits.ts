/**
 * Per-connection limits of the client protocol, with their defaults. The server announces the limits
 * it enforces in its `welcome` frame, so a client never has to guess them.
 */
import { ProtocolError } from './errors.js';

export interface ProtocolLimits {
  /** Largest WebSocket message either side may send, in bytes. A larger one closes the socket (1009). */
  readonly maxFrameBytes: number;
  /** Largest request, counted as the bytes of all its keys, values and range ends (requestSizeBytes). */
  readonly maxRequestBytes: number;
  /** Most compares, and most ops in success and in failure, of one txn (each list separately). */
  readonly maxTxnOps: number;
  /** Most levels of txns inside txns, counting the request's own txn (1: no nested txn). */
  readonly maxTxnDepth: number;
  /** Most requests awaiting their response on one connection (streams count until they are open). */
  readonly maxInFlightRequests: number;
  /** Most open watches on one connection. */
  readonly maxWatches: number;
  /** Most open lease keep-alive streams on one connection. */
  readonly maxKeepAlives: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_LIMITS: ProtocolLimits = {
  maxFrameBytes: 8 * MIB,
  // etcd's --max-request-bytes default.
  maxRequestBytes: 1.5 * MIB,
  // etcd's --max-txn-ops default.
  maxTxnOps: 128,
  maxTxnDepth: 8,
  maxInFlightRequests: 1024,
  maxWatches: 1024,
  maxKeepAlives: 1024,
};

/** How long the server waits for the client's hello before closing the socket (1008). */
export const DEFAULT_HELLO_TIMEOUT_MS = 10_000;
/** Blob bytes per `snapshot` frame. */
export const DEFAULT_SNAPSHOT_CHUNK_BYTES = 1 * MIB;
/** Room in a frame for everything around the base64 payload of a request or snapshot chunk. */
export const FRAME_OVERHEAD_BYTES = 64 * 1024;

/** Bytes of base64 text for n bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * Fills in defaults and checks the limits: positive safe integers, and a frame large enough for the
 * largest request (base64 grows it by 4/3) and for a snapshot chunk. Throws a ProtocolError with
 * code INVALID_ARGUMENT naming the option.
 */
export function resolveLimits(overrides: Partial<ProtocolLimits> = {}): ProtocolLimits {
  const limits: ProtocolLimits = { ...DEFAULT_LIMITS, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new ProtocolError('INVALID_ARGUMENT', `limit ${name} must be a positive integer`, {
        field: name,
      });
    }
  }
  const needed = base64Length(limits.maxRequestBytes) + FRAME_OVERHEAD_BYTES;
  if (limits.maxFrameBytes < needed) {
    throw new ProtocolError(
      'INVALID_ARGUMENT',
      `maxFrameBytes (${limits.maxFrameBytes}) must be at least ${needed} to carry a request of maxRequestBytes`,
      { field: 'maxFrameBytes' },
    );
  }
  return limits;
}
