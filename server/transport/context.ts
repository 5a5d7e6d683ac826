/**
 * What the pieces of the transport share: resolved options, injected platform, logger, TLS
 * material (once loaded) and the per-peer counters behind `stats()`.
 */
import type { RawData } from 'ws';
import type { Logger } from '../platform/logger.js';
import type { Random } from '../platform/random.js';
import type { Timers } from '../platform/timers.js';
import type { ResolvedOptions } from './options.js';
import type { TlsMaterial } from './tls.js';

/** Counters for one peer, as exported by `stats()` (monotonic except `connected`). */
export interface PeerStats {
  readonly id: number;
  /** The outbound message stream is open (handshake done). */
  readonly connected: boolean;
  /** Raft messages handed to the socket (in frames). */
  readonly sentMessages: number;
  readonly sentFrames: number;
  readonly sentBytes: number;
  /** Raft messages dropped: stream down, queue over `maxQueuedBytesPerPeer`, or too large for a frame. */
  readonly droppedMessages: number;
  /**
   * Commit notices (appends without entries) not sent because a later append to the peer, with at
   * least their commit index, went out within `commitNoticeDelayMs` (outbound.ts).
   */
  readonly supersededNotices: number;
  /** Raft messages received from this peer and delivered to the handler. */
  readonly receivedMessages: number;
  readonly receivedBytes: number;
  /** Dial attempts of the message stream, and how many failed. */
  readonly dials: number;
  readonly dialFailures: number;
  /** Times the stream was (re-)established, and times it was reported lost (closed + probe failed). */
  readonly connectionsEstablished: number;
  readonly connectionsLost: number;
  readonly snapshotsSent: number;
  readonly snapshotsFailed: number;
  readonly snapshotsReceived: number;
}

export type MutablePeerStats = { -readonly [K in keyof PeerStats]: PeerStats[K] };

export function newPeerStats(id: number): MutablePeerStats {
  return {
    id,
    connected: false,
    sentMessages: 0,
    sentFrames: 0,
    sentBytes: 0,
    droppedMessages: 0,
    supersededNotices: 0,
    receivedMessages: 0,
    receivedBytes: 0,
    dials: 0,
    dialFailures: 0,
    connectionsEstablished: 0,
    connectionsLost: 0,
    snapshotsSent: 0,
    snapshotsFailed: 0,
    snapshotsReceived: 0,
  };
}

export interface TransportContext {
  readonly options: ResolvedOptions;
  readonly timers: Timers;
  readonly random: Random;
  readonly logger: Logger;
  /** Set by `start()` when `options.tls` is given. */
  readonly tls: TlsMaterial | undefined;
  /** True once `close()` began: no more callbacks to the owner, no new dials. */
  readonly closing: boolean;
  statsFor(id: number): MutablePeerStats;
}

/** A received WebSocket message as one byte array (ws hands out Buffer, ArrayBuffer or fragments). */
export function rawDataBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export function describeCause(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
