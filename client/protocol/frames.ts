/**
 * Frames of the WebSocket protocol (subprotocol `concord.v1.json`): one JSON object per WebSocket
 * text message, told apart by `type`. These are the domain forms; codec.ts converts them to and
 * from JSON text. docs/protocol.md describes the wire form field by field.
 *
 * Client → server: hello (first frame, once), request, renew (a keep-alive stream's next renewal),
 * cancel (close a stream). Server → client: welcome (answer to hello), response (exactly one per
 * request), watch / keepalive / snapshot (stream messages, named by the id of the request that
 * opened the stream), end (last frame of a stream), notice (server-initiated), error (a problem
 * with the connection or with a frame that had no readable id).
 */
import type { ErrorBody } from './errors.js';
import type { ProtocolLimits } from './limits.js';
import type { Method, MethodParams, MethodResult } from './methods.js';
import type {
  LeaseKeepAliveResponse,
  ResponseHeader,
  SnapshotResponse,
  WatchStreamResponse,
} from './types.js';

/** The HTTP path of the WebSocket endpoint on the client port (ws://host:2379/ws). */
export const WEBSOCKET_PATH = '/ws';
/** The protocol version spoken by this code (the `1` of `concord.v1.json`). */
export const PROTOCOL_VERSION = 1;
/** The WebSocket subprotocol of the JSON encoding, version 1. */
export const SUBPROTOCOL_JSON_V1 = 'concord.v1.json';
/** Subprotocols this code speaks, most preferred first (a binary encoding may be added later). */
export const SUPPORTED_SUBPROTOCOLS: readonly string[] = [SUBPROTOCOL_JSON_V1];

/**
 * Optional protocol features (compatible additions inside v1). A client lists the ones it
 * understands in `hello.features`; the server lists in `welcome.features` the ones it will use on
 * this connection. A side that does not know a feature ignores it, so either side may be older.
 */
export const Feature = {
  /**
   * The server may send one `watch_group` frame in place of identical `watch` frames of several
   * watches of the connection (docs/protocol.md §6.1).
   */
  WatchGroup: 'watch_group',
} as const;
export type Feature = (typeof Feature)[keyof typeof Feature];
/** Features this code implements (both sides). */
export const SUPPORTED_FEATURES: readonly Feature[] = [Feature.WatchGroup];
/** Most entries of a features list, and the longest entry, that a receiver reads. */
export const MAX_FEATURES = 32;
export const MAX_FEATURE_LENGTH = 64;

// ---- client → server ------------------------------------------------------------------------

export interface HelloFrame {
  readonly type: 'hello';
  readonly protocolVersion: number;
  /** Free text for logs and metrics, e.g. "concord-js/0.1.0 billing-service". */
  readonly clientName: string;
  readonly authToken?: string;
  /** Optional features this client understands (unknown ones are ignored by the server). */
  readonly features?: readonly string[];
}

export type RequestFrame = {
  readonly [K in Method]: {
    readonly type: 'request';
    readonly id: number;
    readonly method: K;
    readonly params: MethodParams<K>;
  };
}[Method];

/** Renew the lease of the keep-alive stream `id` now; answered by one `keepalive` frame. */
export interface RenewFrame {
  readonly type: 'renew';
  readonly id: number;
}

/** Close the stream `id` (watch, keep-alive or snapshot); the server answers with `end`. */
export interface CancelFrame {
  readonly type: 'cancel';
  readonly id: number;
}

export type ClientFrame = HelloFrame | RequestFrame | RenewFrame | CancelFrame;

// ---- server → client ------------------------------------------------------------------------

export interface WelcomeFrame {
  readonly type: 'welcome';
  readonly protocolVersion: number;
  readonly serverVersion: string;
  readonly header: ResponseHeader;
  readonly limits: ProtocolLimits;
  /** The optional features the server uses on this connection (absent: none). */
  readonly features?: readonly string[];
  /** The leader this member knows (0: none; absent: a server that does not say). */
  readonly leaderId?: number;
  /** The client URLs the leader published (empty or absent: not known yet). */
  readonly leaderClientUrls?: readonly string[];
}

export type ResultFrame = {
  readonly [K in Method]: {
    readonly type: 'response';
    readonly id: number;
    /** Not on the wire: the decoder learns it from the caller's table of pending requests. */
    readonly method: K;
    readonly result: MethodResult<K>;
  };
}[Method];

export interface ErrorResponseFrame {
  readonly type: 'response';
  readonly id: number;
  readonly method: Method;
  readonly error: ErrorBody;
}

export type ResponseFrame = ResultFrame | ErrorResponseFrame;

/** Events of, or a progress notification for, the watch opened by request `id`. */
export interface WatchFrame {
  readonly type: 'watch';
  readonly id: number;
  readonly result: WatchStreamResponse;
}

/**
 * Feature `watch_group`: the same as one `watch` frame per id in `ids`, in that order, each with
 * `result` (whose `watchId` is each frame's id). Sent only to a client that announced the feature.
 */
export interface WatchGroupFrame {
  readonly type: 'watch_group';
  readonly ids: readonly number[];
  /** `watchId` is 0 here: the id of each watch is its entry in `ids`. */
  readonly result: WatchStreamResponse;
}

/** The answer to one renew of keep-alive stream `id`; an error here does not end the stream. */
export type KeepAliveFrame =
  | { readonly type: 'keepalive'; readonly id: number; readonly result: LeaseKeepAliveResponse }
  | { readonly type: 'keepalive'; readonly id: number; readonly error: ErrorBody };

/** The next chunk of snapshot stream `id`; the last has remainingBytes 0. */
export interface SnapshotFrame {
  readonly type: 'snapshot';
  readonly id: number;
  readonly result: SnapshotResponse;
}

/** The stream `id` is over: normally (cancelled, snapshot complete) or with an error. */
export interface EndFrame {
  readonly type: 'end';
  readonly id: number;
  readonly error?: ErrorBody;
}

export type Notice =
  | {
      /** The member is shutting down or shedding load: reconnect elsewhere. */
      readonly kind: 'going_away';
      readonly message: string;
      readonly retryAfterMs?: number;
    }
  | {
      /** Informational: this member saw a new leader (0: none known now). */
      readonly kind: 'leader_changed';
      readonly header: ResponseHeader;
      readonly leaderId: number;
      /** The client URLs the new leader published (absent or empty: not known yet). */
      readonly leaderClientUrls?: readonly string[];
    };

export interface NoticeFrame {
  readonly type: 'notice';
  readonly notice: Notice;
}

/** A problem that concerns the connection, or a frame whose request id could not be read. */
export interface ConnectionErrorFrame {
  readonly type: 'error';
  readonly error: ErrorBody;
}

export type StreamFrame = WatchFrame | WatchGroupFrame | KeepAliveFrame | SnapshotFrame | EndFrame;

export type ServerFrame = WelcomeFrame | ResponseFrame | StreamFrame | NoticeFrame | ConnectionErrorFrame;

/** WebSocket close codes used by the protocol. */
export const CloseCode = {
  /** Normal close (client or server). */
  Normal: 1000,
  /** The server is shutting down (after a going_away notice). */
  GoingAway: 1001,
  /** The client's first frame was not a hello. */
  ProtocolError: 1002,
  /** Handshake refused: no hello in time, unsupported version, authentication failed. */
  PolicyViolation: 1008,
  /** A frame exceeded maxFrameBytes. */
  MessageTooBig: 1009,
  /** The server hit an unexpected condition. */
  InternalError: 1011,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
