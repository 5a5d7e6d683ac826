/**
 * The peer handshake. The dialer opens `GET /raft/stream` (Raft messages) or `GET /raft/snapshot`
 * (one snapshot transfer) with these headers; the acceptor checks them before reading any frame
 * and either answers with a Hello frame (its cluster id and member id, which the dialer checks in
 * turn) or closes the WebSocket with one of the close codes below and a reason naming the
 * mismatch. Nothing from a refused connection ever reaches Raft.
 *
 * Only the ids of current members are accepted as senders (as etcd's peer handler refuses a sender
 * it does not know). The reasons say which check failed but never this member's cluster id or
 * member id: a stranger on the peer port learns nothing it did not send (the acceptor's own log has
 * the details; the Hello frame with the ids goes only to an accepted peer).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isValidMemberId } from './options.js';

export const PEER_PROTOCOL_VERSION = '2';

export const Header = {
  Version: 'x-concord-peer-version',
  ClusterId: 'x-concord-cluster-id',
  From: 'x-concord-from',
  To: 'x-concord-to',
} as const;

export const Channel = { Stream: 'stream', Snapshot: 'snapshot' } as const;
export type Channel = (typeof Channel)[keyof typeof Channel];

export const CHANNEL_PATHS: Readonly<Record<Channel, string>> = {
  stream: '/raft/stream',
  snapshot: '/raft/snapshot',
};

/** WebSocket close codes used between peers (4000–4999 is the application range). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** A malformed or out-of-place frame. */
  ProtocolError: 4000,
  UnsupportedVersion: 4001,
  ClusterIdMismatch: 4002,
  WrongTarget: 4003,
  /** Missing or invalid sender id, a removed member, or a member dialling itself. */
  PeerRejected: 4004,
  /** Too many snapshots or connections right now; retry later. */
  Busy: 4005,
  SnapshotTimeout: 4006,
  SnapshotTooLarge: 4007,
  /** A newer stream from the same peer replaced this one. */
  Replaced: 4008,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Close codes that mean "this peer will not talk to us as configured": logged as errors. */
export const REFUSAL_CODES: ReadonlySet<number> = new Set([
  CloseCode.UnsupportedVersion,
  CloseCode.ClusterIdMismatch,
  CloseCode.WrongTarget,
  CloseCode.PeerRejected,
]);

export function handshakeHeaders(clusterId: string, from: number, to: number): Record<string, string> {
  return {
    [Header.Version]: PEER_PROTOCOL_VERSION,
    [Header.ClusterId]: clusterId,
    [Header.From]: String(from),
    [Header.To]: String(to),
  };
}

/** What the acceptor checks a dialer against. */
export interface HandshakeSelf {
  readonly clusterId: string;
  readonly memberId: number;
  /** Whether `id` is a current member of the cluster (absent: any valid id is accepted). */
  readonly isMember?: (id: number) => boolean;
}

export type HandshakeCheck =
  | { readonly ok: true; readonly from: number }
  | { readonly ok: false; readonly code: CloseCode; readonly reason: string };

function single(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * The acceptor's check of a dialer's headers. Reasons are short (a close reason must fit in 123
 * bytes) and say what this member expected.
 */
export function checkHandshake(headers: IncomingHttpHeaders, self: HandshakeSelf): HandshakeCheck {
  const version = single(headers, Header.Version);
  if (version !== PEER_PROTOCOL_VERSION) {
    return {
      ok: false,
      code: CloseCode.UnsupportedVersion,
      reason: `peer protocol version ${String(version).slice(0, 16)} unsupported (want ${PEER_PROTOCOL_VERSION})`,
    };
  }
  const clusterId = single(headers, Header.ClusterId);
  if (clusterId !== self.clusterId) {
    return {
      ok: false,
      code: CloseCode.ClusterIdMismatch,
      reason: 'cluster id mismatch',
    };
  }
  const to = Number(single(headers, Header.To));
  if (to !== self.memberId) {
    return {
      ok: false,
      code: CloseCode.WrongTarget,
      reason: 'wrong target member',
    };
  }
  const fromRaw = single(headers, Header.From);
  const from = fromRaw !== undefined && /^\d{1,16}$/.test(fromRaw) ? Number(fromRaw) : NaN;
  if (!isValidMemberId(from) || from === self.memberId) {
    return { ok: false, code: CloseCode.PeerRejected, reason: 'invalid sender member id' };
  }
  if (self.isMember !== undefined && !self.isMember(from))
    return { ok: false, code: CloseCode.PeerRejected, reason: 'sender is not a member of this cluster' };
  return { ok: true, from };
}
