/** The peer transport's public door. See docs/transport.md. */
export { PeerTransport } from './peer-transport.js';
export { memoryBody, memorySink } from './snapshot-io.js';
export type { SnapshotBody, SnapshotSink, SnapshotSinkFactory } from './snapshot-io.js';
export type {
  MessageHandler,
  PeerConnectionHandler,
  PeerStatusHandler,
  SnapshotStatusHandler,
  TransportStats,
} from './peer-transport.js';
export type { PeerStats } from './context.js';
export { DEFAULTS } from './options.js';
export type { PeerTlsOptions, PeerTransportOptions } from './options.js';
export { pemCrls } from './tls.js';
export {
  InvalidConfigError,
  PeerProtocolError,
  PeerProtocolErrorCode,
  TransportStateError,
} from './errors.js';
export { CloseCode } from './handshake.js';
export { decodeFrame, decodeMessage, encodeFrame, encodeMessage, FRAME_VERSION } from './codec.js';
export type { Frame } from './codec.js';
