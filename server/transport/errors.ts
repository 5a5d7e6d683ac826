/**
 * Errors of the peer transport. None of them reaches a client: peer traffic is between members,
 * so the codes here are transport-local and stable (tests and logs match on `code`, never on the
 * message).
 */

export const PeerProtocolErrorCode = {
  /** The frame ended before a field was complete. */
  Truncated: 'PEER_FRAME_TRUNCATED',
  /** The frame (or a declared length inside it) exceeds the configured limit. */
  TooLarge: 'PEER_FRAME_TOO_LARGE',
  /** Wrong magic bytes: not a Concord peer frame. */
  BadMagic: 'PEER_FRAME_BAD_MAGIC',
  /** A frame version this member does not speak. */
  UnsupportedVersion: 'PEER_FRAME_UNSUPPORTED_VERSION',
  /** Unknown frame kind, message type or entry type tag. */
  UnknownTag: 'PEER_FRAME_UNKNOWN_TAG',
  /** A field has a value outside its domain (non-canonical varint, bad boolean, invalid UTF-8, …). */
  BadValue: 'PEER_FRAME_BAD_VALUE',
  /** Bytes left over after the last field. */
  TrailingBytes: 'PEER_FRAME_TRAILING_BYTES',
  /** A well-formed frame that is not valid at this point of the conversation. */
  UnexpectedFrame: 'PEER_UNEXPECTED_FRAME',
} as const;
export type PeerProtocolErrorCode = (typeof PeerProtocolErrorCode)[keyof typeof PeerProtocolErrorCode];

/** A malformed, truncated or out-of-place peer frame. The connection that sent it is closed. */
export class PeerProtocolError extends Error {
  override readonly name = 'PeerProtocolError';
  constructor(
    readonly code: PeerProtocolErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`transport: ${message}`, options);
  }
}

/** Transport options that are out of range or contradict each other. Thrown before any socket opens. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  readonly code = 'INVALID_CONFIG';
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`transport: invalid option ${option}: ${message}`);
  }
}

/** The transport was used after `close()` or before `start()` where that is not allowed. */
export class TransportStateError extends Error {
  override readonly name = 'TransportStateError';
  readonly code = 'TRANSPORT_STATE';
  constructor(message: string) {
    super(`transport: ${message}`);
  }
}
