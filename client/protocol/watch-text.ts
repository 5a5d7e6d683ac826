/**
 * Fast JSON text of watch frames, for the server's fan-out: the same bytes as `encodeFrame` (the
 * tests compare them), but each key-value is encoded once and its text reused for every watch and
 * every connection that sends it, and a frame is assembled from those texts by concatenation.
 *
 * The cache is keyed by the KeyValue object (a WeakMap): the watch layer hands the same object to
 * every watcher of a revision, so 1000 watchers of one key cost one base64 + JSON encoding, not
 * 1000. Key-values are immutable once committed, so a cached text never goes stale.
 */
import { KEY_VALUE, RESPONSE_HEADER } from './messages.js';
import type { KeyValue, ResponseHeader, WatchEvent } from './types.js';

const kvTexts = new WeakMap<KeyValue, string>();
/** The text of a whole event without prev_kv, by its kv: [put text, delete text]. */
const eventTexts = new WeakMap<KeyValue, [string | undefined, string | undefined]>();

function kvText(kv: KeyValue): string {
  let text = kvTexts.get(kv);
  if (text === undefined) {
    text = JSON.stringify(KEY_VALUE.toWire(kv));
    kvTexts.set(kv, text);
  }
  return text;
}

/** JSON text of one event (etcd's mvccpb.Event), as `EVENT` would encode it. */
export function watchEventText(e: WatchEvent): string {
  if (e.prevKv !== undefined) {
    const type = e.type === 'delete' ? '"type":"DELETE",' : '';
    return `{${type}"kv":${kvText(e.kv)},"prev_kv":${kvText(e.prevKv)}}`;
  }
  let slots = eventTexts.get(e.kv);
  if (slots === undefined) {
    slots = [undefined, undefined];
    eventTexts.set(e.kv, slots);
  }
  const i = e.type === 'delete' ? 1 : 0;
  let text = slots[i];
  if (text === undefined) {
    text = e.type === 'delete' ? `{"type":"DELETE","kv":${kvText(e.kv)}}` : `{"kv":${kvText(e.kv)}}`;
    slots[i] = text;
  }
  return text;
}

/** JSON text of a response header. */
export function headerText(header: ResponseHeader): string {
  return JSON.stringify(RESPONSE_HEADER.toWire(header));
}

/** The events part of a frame: the texts of `events`, comma-separated (no brackets). */
export function watchEventsText(events: readonly WatchEvent[]): string {
  if (events.length === 1) return watchEventText(events[0] as WatchEvent);
  let out = '';
  for (let i = 0; i < events.length; i++) {
    if (i > 0) out += ',';
    out += watchEventText(events[i] as WatchEvent);
  }
  return out;
}

/**
 * A `watch` frame of events for watch `id`: `encodeFrame({type: 'watch', id, result: {type:
 * 'events', header, watchId: id, events, fragment}})`, from the texts above.
 */
export function watchEventsFrameText(
  id: number,
  headerJson: string,
  eventsText: string,
  fragment: boolean,
): string {
  const frag = fragment ? ',"fragment":true' : '';
  return `{"type":"watch","id":${id},"result":{"header":${headerJson},"watch_id":"${id}"${frag},"events":[${eventsText}]}}`;
}

/** A `watch_group` frame of events for the watches `ids` (feature `watch_group`). */
export function watchGroupFrameText(
  ids: readonly number[],
  headerJson: string,
  eventsText: string,
  fragment: boolean,
): string {
  const frag = fragment ? ',"fragment":true' : '';
  return `{"type":"watch_group","ids":[${ids.join(',')}],"result":{"header":${headerJson}${frag},"events":[${eventsText}]}}`;
}
