/**
 * Options of `PeerTransport`, their defaults (one exported `DEFAULTS` object) and validation at
 * construction: a bad option throws `InvalidConfigError` before any socket opens.
 */
import { isIP } from 'node:net';
import type { Logger } from '../platform/logger.js';
import type { Random } from '../platform/random.js';
import type { Timers } from '../platform/timers.js';
import { InvalidConfigError } from './errors.js';

const MiB = 1024 * 1024;

export const DEFAULTS = {
  /** Time for TCP + TLS + WebSocket upgrade + the acceptor's Hello before a dial counts as failed. */
  dialTimeoutMs: 3_000,
  /** Largest frame sent or accepted (ws `maxPayload`). Batches are split below it. */
  maxFrameBytes: 8 * MiB,
  /** Messages waiting for the socket (queued for the next flush + `bufferedAmount`) per peer; more are dropped. */
  maxQueuedBytesPerPeer: 32 * MiB,
  /** First reconnect delay after a failed dial or a lost connection. */
  reconnectBackoffMinMs: 100,
  /** The reconnect delay doubles per failure up to this cap (then jitter takes 0–50 % off). */
  reconnectBackoffMaxMs: 5_000,
  /** Size of the data chunks a MsgSnap's snapshot is streamed in. */
  snapshotChunkBytes: 1 * MiB,
  /** Largest snapshot a receiver reassembles; a larger declared size is refused. */
  maxSnapshotBytes: 1024 * MiB,
  /** A snapshot transfer with no progress (a chunk written or received, the ack) for this long fails. */
  snapshotIdleTimeoutMs: 30_000,
  /** Snapshots being received at once; more are refused (the leader retries). */
  maxInboundSnapshots: 2,
  /** Inbound peer connections accepted at once (all peers, both channels). */
  maxInboundConnections: 256,
  /** The dialer pings its stream this often and drops it when the previous ping went unanswered; 0 disables. */
  pingIntervalMs: 5_000,
  /**
   * How long an append that carries no entries (a leader telling a follower the new commit index)
   * may wait to ride along with the next frame to that peer; 0 (the default) sends it at once
   * (outbound.ts). Off by default: measured slower end to end (docs/performance.md, "Fewer peer
   * writes per put, one buffer per answer").
   */
  commitNoticeDelayMs: 0,
} as const;

export interface PeerTlsOptions {
  /** PEM certificate this member presents (as server on its listener, as client when dialling). */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM CA bundle that peer certificates (server and, with clientCertAuth, client) must chain to. */
  readonly trustedCaFile: string;
  /** Require and verify a client certificate on inbound connections. Default false. */
  readonly clientCertAuth?: boolean;
  /** PEM CRL(s) checked against peers' certificates, inbound and dialled; re-read on change. Default none. */
  readonly crlFile?: string;
  /** A peer certificate must carry this CommonName, inbound and dialled (needs clientCertAuth). Default any. */
  readonly allowedCn?: string;
  /** A peer certificate's SANs must cover this host name or IP, inbound and dialled (needs clientCertAuth). */
  readonly allowedHostname?: string;
  /** OpenSSL cipher list for TLS ≤1.2 (node:tls `ciphers`). Default Node's. */
  readonly ciphers?: string;
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface PeerTransportOptions {
  /** Members of another cluster are refused. 1–128 chars of [A-Za-z0-9._:-]. */
  readonly clusterId: string;
  /** This member's Raft id (positive safe integer). */
  readonly memberId: number;
  /** URLs to listen on, `http://host:port` or `https://host:port` (port 0 picks a free port). Default none. */
  readonly listenUrls?: readonly string[];
  readonly tls?: PeerTlsOptions;
  readonly logger?: Logger;
  readonly timers?: Timers;
  /** Jitter source for reconnect backoff. */
  readonly random?: Random;
  readonly dialTimeoutMs?: number;
  readonly maxFrameBytes?: number;
  readonly maxQueuedBytesPerPeer?: number;
  readonly reconnectBackoffMinMs?: number;
  readonly reconnectBackoffMaxMs?: number;
  readonly snapshotChunkBytes?: number;
  readonly maxSnapshotBytes?: number;
  readonly snapshotIdleTimeoutMs?: number;
  readonly maxInboundSnapshots?: number;
  readonly maxInboundConnections?: number;
  readonly pingIntervalMs?: number;
  readonly commitNoticeDelayMs?: number;
  /**
   * Source address for outbound dials (default: chosen by the OS). Members that listen on their
   * own loopback address dial from it too, so a test proxy can tell them apart.
   */
  readonly localAddress?: string;
}

type Limits = { -readonly [K in keyof typeof DEFAULTS]: number };

export interface ResolvedOptions extends Limits {
  readonly clusterId: string;
  readonly memberId: number;
  readonly listenUrls: readonly URL[];
  readonly tls: PeerTlsOptions | undefined;
  readonly localAddress: string | undefined;
}

const CLUSTER_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Room for a chunk frame's header, transfer id, offset and length varints. */
const CHUNK_FRAME_OVERHEAD_BYTES = 64;

function intOption(
  options: PeerTransportOptions,
  name: keyof typeof DEFAULTS,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const value = options[name] ?? DEFAULTS[name];
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidConfigError(name, `${String(value)} is not an integer in [${min}, ${max}]`);
  }
  return value;
}

export function isValidMemberId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

/** Parses a peer URL: http(s) with host and port, no path, query, credentials or fragment. */
export function parsePeerUrl(option: string, raw: string, allowPortZero: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidConfigError(option, `${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidConfigError(option, `${raw}: scheme must be http or https`);
  }
  if (
    url.hostname === '' ||
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== ''
  ) {
    throw new InvalidConfigError(option, `${raw}: only scheme://host:port is allowed`);
  }
  if (url.pathname !== '/' && url.pathname !== '') {
    throw new InvalidConfigError(option, `${raw}: a path is not allowed`);
  }
  if (url.port === '' && !/:\d+\/?$/.test(raw)) {
    throw new InvalidConfigError(option, `${raw}: an explicit port is required`);
  }
  if (url.port === '0' && !allowPortZero) {
    throw new InvalidConfigError(option, `${raw}: port 0 is only valid for listening`);
  }
  return url;
}

export function resolveOptions(options: PeerTransportOptions): ResolvedOptions {
  if (typeof options.clusterId !== 'string' || !CLUSTER_ID.test(options.clusterId)) {
    throw new InvalidConfigError('clusterId', 'must be 1–128 characters of [A-Za-z0-9._:-]');
  }
  if (!isValidMemberId(options.memberId)) {
    throw new InvalidConfigError('memberId', `${String(options.memberId)} is not a positive safe integer`);
  }
  const limits: Limits = {
    dialTimeoutMs: intOption(options, 'dialTimeoutMs', 1),
    maxFrameBytes: intOption(options, 'maxFrameBytes', 1024, 1024 * MiB),
    maxQueuedBytesPerPeer: intOption(options, 'maxQueuedBytesPerPeer', 1024),
    reconnectBackoffMinMs: intOption(options, 'reconnectBackoffMinMs', 1),
    reconnectBackoffMaxMs: intOption(options, 'reconnectBackoffMaxMs', 1),
    snapshotChunkBytes: intOption(options, 'snapshotChunkBytes', 1),
    maxSnapshotBytes: intOption(options, 'maxSnapshotBytes', 0, 2 ** 32),
    snapshotIdleTimeoutMs: intOption(options, 'snapshotIdleTimeoutMs', 1),
    maxInboundSnapshots: intOption(options, 'maxInboundSnapshots', 1),
    maxInboundConnections: intOption(options, 'maxInboundConnections', 1),
    pingIntervalMs: intOption(options, 'pingIntervalMs', 0),
    commitNoticeDelayMs: intOption(options, 'commitNoticeDelayMs', 0, 1_000),
  };
  if (limits.reconnectBackoffMinMs > limits.reconnectBackoffMaxMs) {
    throw new InvalidConfigError('reconnectBackoffMinMs', 'must not exceed reconnectBackoffMaxMs');
  }
  if (limits.snapshotChunkBytes + CHUNK_FRAME_OVERHEAD_BYTES > limits.maxFrameBytes) {
    throw new InvalidConfigError(
      'snapshotChunkBytes',
      `a chunk (plus ${CHUNK_FRAME_OVERHEAD_BYTES} bytes of framing) must fit in maxFrameBytes`,
    );
  }
  if (limits.maxQueuedBytesPerPeer < limits.maxFrameBytes) {
    throw new InvalidConfigError('maxQueuedBytesPerPeer', 'must be at least maxFrameBytes');
  }
  const tls = options.tls;
  if (tls !== undefined) {
    for (const key of ['certFile', 'keyFile', 'trustedCaFile'] as const) {
      if (typeof tls[key] !== 'string' || tls[key] === '') {
        throw new InvalidConfigError(`tls.${key}`, 'must be a non-empty path');
      }
    }
    const checksNames = (tls.allowedCn ?? '') !== '' || (tls.allowedHostname ?? '') !== '';
    if (checksNames && tls.clientCertAuth !== true) {
      // Inbound, an unverified (or absent) certificate's name proves nothing.
      throw new InvalidConfigError('tls.allowedCn', 'a peer name check needs clientCertAuth');
    }
    if ((tls.allowedCn ?? '') !== '' && (tls.allowedHostname ?? '') !== '') {
      throw new InvalidConfigError('tls.allowedHostname', 'cannot be used with tls.allowedCn');
    }
  }
  const listenUrls = (options.listenUrls ?? []).map((raw, i) => parsePeerUrl(`listenUrls[${i}]`, raw, true));
  for (const url of listenUrls) {
    if (url.protocol === 'https:' && tls === undefined) {
      throw new InvalidConfigError('tls', `listening on ${url.href} needs tls options`);
    }
  }
  const localAddress = options.localAddress;
  if (localAddress !== undefined && !isIP(localAddress)) {
    throw new InvalidConfigError('localAddress', `${JSON.stringify(localAddress)} is not an IP address`);
  }
  return {
    clusterId: options.clusterId,
    memberId: options.memberId,
    listenUrls,
    tls,
    localAddress,
    ...limits,
  };
}
