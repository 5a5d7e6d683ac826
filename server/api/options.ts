/**
 * Options of the client API, their defaults (one `API_DEFAULTS` object) and their validation at
 * construction. Protocol limits (announced to clients in `welcome`) come from client/protocol's
 * `resolveLimits`; the rest are server-side knobs that clients never need to know.
 */
import {
  DEFAULT_HELLO_TIMEOUT_MS,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  resolveLimits,
  type ProtocolLimits,
} from '../../client/protocol/index.js';

const MIB = 1024 * 1024;

export interface ApiServerLimits {
  /** Close a connection whose hello has not arrived after this long (1008). */
  readonly helloTimeoutMs: number;
  /** WebSocket ping interval; a connection that has not answered for pingTimeoutMs is closed. */
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** An idle watch created with progress_notify gets a progress notification this often. */
  readonly progressIntervalMs: number;
  /**
   * Bytes written to a connection and not yet handed to the kernel above which the server stops
   * reading the connection's requests and stops feeding its watches (they queue).
   */
  readonly outgoingBufferBytes: number;
  /**
   * Above this many unsent bytes the connection is a slow consumer that will not catch up: it is
   * closed with 1008 (policy violation). Must be ≥ outgoingBufferBytes + maxFrameBytes.
   */
  readonly maxOutgoingBufferBytes: number;
  /** Watch events queued on one connection above which the watch being fed ends with SLOW_WATCHER. */
  readonly maxQueuedWatchBytes: number;
  /** Blob bytes per snapshot frame. */
  readonly snapshotChunkBytes: number;
  /** How long close() lets in-flight requests finish before aborting them. */
  readonly closeGraceMs: number;
  /** Most open streamed responses (`/v3/watch`, `/v3/maintenance/snapshot`) on the HTTP gateway. */
  readonly maxGatewayStreams: number;
}

export const API_DEFAULTS: ApiServerLimits = {
  helloTimeoutMs: DEFAULT_HELLO_TIMEOUT_MS,
  pingIntervalMs: 10_000,
  pingTimeoutMs: 30_000,
  progressIntervalMs: 60_000,
  outgoingBufferBytes: 64 * MIB,
  maxOutgoingBufferBytes: 256 * MIB,
  maxQueuedWatchBytes: 64 * MIB,
  snapshotChunkBytes: DEFAULT_SNAPSHOT_CHUNK_BYTES,
  closeGraceMs: 5_000,
  maxGatewayStreams: 1024,
};

/** Every limit of the client API: the protocol's (announced in welcome) and the server's. */
export type ApiLimits = ProtocolLimits & ApiServerLimits;

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  readonly code = 'INVALID_ARGUMENT' as const;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`api: ${field}: ${message}`);
  }
}

/** Fills in defaults and validates; throws InvalidConfigError naming the option. */
export function resolveApiLimits(overrides: Partial<ApiLimits> = {}): ApiLimits {
  const protocolKeys = [
    'maxFrameBytes',
    'maxRequestBytes',
    'maxTxnOps',
    'maxTxnDepth',
    'maxInFlightRequests',
    'maxWatches',
    'maxKeepAlives',
  ] as const;
  const protocolOverrides: Partial<Record<(typeof protocolKeys)[number], number>> = {};
  for (const key of protocolKeys) {
    const v = overrides[key];
    if (v !== undefined) protocolOverrides[key] = v;
  }
  let protocol: ProtocolLimits;
  try {
    protocol = resolveLimits(protocolOverrides);
  } catch (err) {
    const field = (err as { field?: string }).field ?? 'limits';
    throw new InvalidConfigError(field, err instanceof Error ? err.message : String(err));
  }
  const server: { -readonly [K in keyof ApiServerLimits]: number } = { ...API_DEFAULTS };
  for (const key of Object.keys(API_DEFAULTS) as (keyof ApiServerLimits)[]) {
    const v = overrides[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
      throw new InvalidConfigError(key, 'must be a positive integer');
    server[key] = v;
  }
  // One frame may be sent while just below the soft bound: the hard bound leaves room for it.
  if (server.maxOutgoingBufferBytes < server.outgoingBufferBytes + protocol.maxFrameBytes) {
    throw new InvalidConfigError(
      'maxOutgoingBufferBytes',
      'must be at least outgoingBufferBytes + maxFrameBytes',
    );
  }
  if (server.pingTimeoutMs < server.pingIntervalMs) {
    throw new InvalidConfigError('pingTimeoutMs', 'must be at least pingIntervalMs');
  }
  const maxChunk = Math.floor(((protocol.maxFrameBytes - 64 * 1024) * 3) / 4);
  if (overrides.snapshotChunkBytes === undefined)
    server.snapshotChunkBytes = Math.min(server.snapshotChunkBytes, maxChunk);
  if (server.snapshotChunkBytes > maxChunk) {
    throw new InvalidConfigError('snapshotChunkBytes', 'a chunk in base64 must fit in maxFrameBytes');
  }
  return { ...protocol, ...server };
}

/** The protocol part of the limits, as announced in `welcome`. */
export function protocolLimitsOf(limits: ApiLimits): ProtocolLimits {
  return {
    maxFrameBytes: limits.maxFrameBytes,
    maxRequestBytes: limits.maxRequestBytes,
    maxTxnOps: limits.maxTxnOps,
    maxTxnDepth: limits.maxTxnDepth,
    maxInFlightRequests: limits.maxInFlightRequests,
    maxWatches: limits.maxWatches,
    maxKeepAlives: limits.maxKeepAlives,
  };
}
