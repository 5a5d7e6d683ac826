/** Codecs of etcd's watch messages, and WatchResponse told apart by meaning. */
import { invalid } from './errors.js';
import { HEADER, KEY_VALUE } from './messages-kv.js';
import { field, INT_NON_NEGATIVE, messageCodec, oneofCodec, T, type Codec } from './schema.js';
import type * as D from './types.js';
import type * as W from './wire.js';

const REV = INT_NON_NEGATIVE;
const req = { presence: 'required' } as const;
const opt = { presence: 'optional' } as const;
const rep = { repeated: true } as const;

// ---- Watch ----------------------------------------------------------------------------------

export const EMPTY_REQUEST: Codec<D.EmptyRequest, W.WireEmpty> = messageCodec('Empty', []);

export const WATCH_CREATE_REQUEST: Codec<D.WatchCreateRequest, W.WireWatchCreateRequest> = messageCodec(
  'WatchCreateRequest',
  [
    field('key', 'key', T.bytes),
    field('range_end', 'rangeEnd', T.bytes),
    field('start_revision', 'startRevision', REV),
    field('progress_notify', 'progressNotify', T.bool),
    field('filters', 'filters', T.enumOf(['NOPUT', 'NODELETE'], ['noPut', 'noDelete']), rep),
    field('prev_kv', 'prevKv', T.bool),
    field('watch_id', 'watchId', T.int(0)),
    field('fragment', 'fragment', T.bool),
  ],
);

export const WATCH_CANCEL_REQUEST: Codec<D.WatchCancelRequest, W.WireWatchCancelRequest> = messageCodec(
  'WatchCancelRequest',
  [field('watch_id', 'watchId', T.int(0))],
);

type WatchRequestMember = { readonly type: 'create' | 'cancel' | 'progress'; readonly request: unknown };

const WATCH_REQUEST_ONEOF: Codec<WatchRequestMember, W.WireWatchRequest> = oneofCodec(
  'WatchRequest',
  'request',
  [
    { wire: 'create_request', type: 'create', codec: () => WATCH_CREATE_REQUEST },
    { wire: 'cancel_request', type: 'cancel', codec: () => WATCH_CANCEL_REQUEST },
    { wire: 'progress_request', type: 'progress', codec: () => EMPTY_REQUEST },
  ],
);

/** The HTTP gateway's /v3/watch request body. */
export const WATCH_REQUEST: Codec<D.WatchRequest, W.WireWatchRequest> = {
  name: 'WatchRequest',
  decodeWire: (value, path, ctx) => WATCH_REQUEST_ONEOF.decodeWire(value, path, ctx),
  fromWire: (wire) => watchRequestOf(WATCH_REQUEST_ONEOF.fromWire(wire)),
  toWire: (d) => WATCH_REQUEST_ONEOF.toWire(watchRequestMember(d)),
  fromProto: (message, desc, path, ctx) =>
    watchRequestOf(WATCH_REQUEST_ONEOF.fromProto(message, desc, path, ctx)),
  toProto: (d, desc) => WATCH_REQUEST_ONEOF.toProto(watchRequestMember(d), desc),
};

function watchRequestOf(m: WatchRequestMember): D.WatchRequest {
  return m.type === 'progress' ? { type: 'progress' } : (m as D.WatchRequest);
}

function watchRequestMember(d: D.WatchRequest): WatchRequestMember {
  return d.type === 'progress' ? { type: 'progress', request: {} } : d;
}

export const EVENT: Codec<D.WatchEvent, W.WireEvent> = messageCodec('Event', [
  field('type', 'type', T.enumOf(['PUT', 'DELETE'], ['put', 'delete'])),
  field(
    'kv',
    'kv',
    T.message(() => KEY_VALUE),
    req,
  ),
  field(
    'prev_kv',
    'prevKv',
    T.message(() => KEY_VALUE),
    opt,
  ),
]);

interface RawWatchResponse {
  readonly header: D.ResponseHeader;
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compactRevision: number;
  readonly cancelReason: string;
  readonly fragment: boolean;
  readonly events: readonly D.WatchEvent[];
}

const RAW_WATCH_RESPONSE: Codec<RawWatchResponse, W.WireWatchResponse> = messageCodec('WatchResponse', [
  HEADER,
  field('watch_id', 'watchId', T.int(-1)),
  field('created', 'created', T.bool),
  field('canceled', 'canceled', T.bool),
  field('compact_revision', 'compactRevision', REV),
  field('cancel_reason', 'cancelReason', T.string),
  field('fragment', 'fragment', T.bool),
  field(
    'events',
    'events',
    T.message(() => EVENT),
    rep,
  ),
]);

/**
 * etcd's WatchResponse, classified: canceled, else created, else events (non-empty or a fragment),
 * else a progress notification.
 */
export const WATCH_RESPONSE: Codec<D.WatchResponse, W.WireWatchResponse> = {
  name: 'WatchResponse',
  // Canonical form is the classified one (flags that contradict the kind are dropped).
  decodeWire: (value, path, ctx) =>
    WATCH_RESPONSE.toWire(WATCH_RESPONSE.fromWire(RAW_WATCH_RESPONSE.decodeWire(value, path, ctx))),
  fromWire: (wire) => watchResponseFromRaw(RAW_WATCH_RESPONSE.fromWire(wire)),
  toWire: (d) => RAW_WATCH_RESPONSE.toWire(watchResponseToRaw(d)),
  fromProto: (message, desc, path, ctx) =>
    watchResponseFromRaw(RAW_WATCH_RESPONSE.fromProto(message, desc, path, ctx)),
  toProto: (d, desc) => RAW_WATCH_RESPONSE.toProto(watchResponseToRaw(d), desc),
};

function watchResponseFromRaw(r: RawWatchResponse): D.WatchResponse {
  const { header, watchId } = r;
  if (r.canceled) {
    return {
      type: 'canceled',
      header,
      watchId,
      compactRevision: r.compactRevision,
      cancelReason: r.cancelReason,
    };
  }
  if (r.created) return { type: 'created', header, watchId };
  if (r.events.length > 0 || r.fragment) {
    return { type: 'events', header, watchId, events: r.events, fragment: r.fragment };
  }
  return { type: 'progress', header, watchId };
}

function watchResponseToRaw(d: D.WatchResponse): RawWatchResponse {
  return {
    header: d.header,
    watchId: d.watchId,
    created: d.type === 'created',
    canceled: d.type === 'canceled',
    compactRevision: d.type === 'canceled' ? d.compactRevision : 0,
    cancelReason: d.type === 'canceled' ? d.cancelReason : '',
    fragment: d.type === 'events' ? d.fragment : false,
    events: d.type === 'events' ? d.events : [],
  };
}

/** A WatchResponse restricted to some of its kinds (the decoder refuses the others). */
export function watchResponseOf<K extends D.WatchResponse['type']>(
  name: string,
  kinds: readonly K[],
): Codec<Extract<D.WatchResponse, { type: K }>, W.WireWatchResponse> {
  return {
    name,
    decodeWire(value, path, ctx) {
      const wire = WATCH_RESPONSE.decodeWire(value, path, ctx);
      const kind = WATCH_RESPONSE.fromWire(wire).type;
      if (!(kinds as readonly string[]).includes(kind)) {
        throw invalid(path, `a ${kind} watch response is not allowed here (expected ${kinds.join(' or ')})`);
      }
      return wire;
    },
    fromWire: (wire) => WATCH_RESPONSE.fromWire(wire) as Extract<D.WatchResponse, { type: K }>,
    toWire: (d) => WATCH_RESPONSE.toWire(d),
    fromProto(message, desc, path, ctx) {
      const response = WATCH_RESPONSE.fromProto(message, desc, path, ctx);
      if (!(kinds as readonly string[]).includes(response.type)) {
        throw invalid(
          path,
          `a ${response.type} watch response is not allowed here (expected ${kinds.join(' or ')})`,
        );
      }
      return response as Extract<D.WatchResponse, { type: K }>;
    },
    toProto: (d, desc) => WATCH_RESPONSE.toProto(d, desc),
  };
}
