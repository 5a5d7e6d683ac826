/** Watch events and create requests for the unit tests of the watch doors and their core. */
import type { WatchCreateRequest, WatchEvent } from '../../../client/protocol/index.js';

/** A put of key "k" at `revision` with a value of `valueBytes` bytes. */
export function putEvent(revision: number, valueBytes = 10): WatchEvent {
  return {
    type: 'put',
    kv: {
      key: new TextEncoder().encode('k'),
      createRevision: revision,
      modRevision: revision,
      version: 1,
      value: new Uint8Array(valueBytes),
      lease: 0,
    },
  };
}

/** A create of a watch on key "k" from now on. */
export function watchRequest(fragment: boolean): WatchCreateRequest {
  return {
    key: new TextEncoder().encode('k'),
    rangeEnd: new Uint8Array(0),
    startRevision: 0,
    progressNotify: false,
    filters: [],
    prevKv: false,
    watchId: 0,
    fragment,
  };
}
