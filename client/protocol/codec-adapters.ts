/**
 * The SDK's types that differ in shape from their etcd message, and the conversions between the
 * two, by the names the .proto files give them (`option (concord.codec.message).adapter = "…"`).
 * The generated codec of such a message decodes and validates the message as it is on the wire
 * (Raw…), then hands it to `fromRaw`; it encodes what `toRaw` gives back.
 */
import type { RawCompare, RawWatchRequest, RawWatchResponse } from './gen/etcdserverpb/rpc_codec.js';
import type * as D from './types.js';

/** A Compare as a union on its target: the operand is `value`, bytes for VALUE, else a number. */
export const compare = {
  fromRaw(raw: RawCompare): D.Compare {
    const base = { key: raw.key, rangeEnd: raw.rangeEnd, result: raw.result };
    switch (raw.target) {
      case 'value':
        return { ...base, target: 'value', value: raw.value ?? new Uint8Array(0) };
      case 'version':
        return { ...base, target: 'version', value: raw.version ?? 0 };
      case 'create':
        return { ...base, target: 'create', value: raw.createRevision ?? 0 };
      case 'mod':
        return { ...base, target: 'mod', value: raw.modRevision ?? 0 };
      case 'lease':
        return { ...base, target: 'lease', value: raw.lease ?? 0 };
    }
  },
  // The target's operand is always written, even at its default (oneof presence): canonical form.
  toRaw(cmp: D.Compare): RawCompare {
    const base = { result: cmp.result, target: cmp.target, key: cmp.key, rangeEnd: cmp.rangeEnd };
    switch (cmp.target) {
      case 'value':
        return { ...base, value: cmp.value };
      case 'version':
        return { ...base, version: cmp.value };
      case 'create':
        return { ...base, createRevision: cmp.value };
      case 'mod':
        return { ...base, modRevision: cmp.value };
      case 'lease':
        return { ...base, lease: cmp.value };
    }
  },
};

/** The gateway's /v3/watch body: a progress request carries no payload in the SDK's type. */
export const watchRequest = {
  fromRaw(raw: RawWatchRequest): D.WatchRequest {
    return raw.type === 'progress' ? { type: 'progress' } : raw;
  },
  toRaw(d: D.WatchRequest): RawWatchRequest {
    return d.type === 'progress' ? { type: 'progress', request: {} } : d;
  },
};

/**
 * etcd's WatchResponse, classified: canceled, else created, else events (non-empty or a fragment),
 * else a progress notification. Flags that contradict the kind are dropped.
 */
export const watchResponse = {
  fromRaw(r: RawWatchResponse): D.WatchResponse {
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
  },
  toRaw(d: D.WatchResponse): RawWatchResponse {
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
  },
};
