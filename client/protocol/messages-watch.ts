/** WatchResponse codecs restricted to some of its kinds: what a method or a stream frame may carry. */
import { invalid } from './errors.js';
import type { Codec } from './codec-runtime.js';
import { WATCH_RESPONSE, type WireWatchResponse } from './gen/etcdserverpb/rpc_codec.js';
import type * as D from './types.js';

/** A WatchResponse restricted to some of its kinds (the decoders refuse the others). */
export function watchResponseOf<K extends D.WatchResponse['type']>(
  name: string,
  kinds: readonly K[],
): Codec<Extract<D.WatchResponse, { type: K }>, WireWatchResponse> {
  type R = Extract<D.WatchResponse, { type: K }>;
  const only = (response: D.WatchResponse, path: string): R => {
    if (!(kinds as readonly string[]).includes(response.type)) {
      throw invalid(
        path,
        `a ${response.type} watch response is not allowed here (expected ${kinds.join(' or ')})`,
      );
    }
    return response as R;
  };
  return {
    name,
    decode: (value, path, ctx) => only(WATCH_RESPONSE.decode(value, path, ctx), path),
    decodeWire: (value, path, ctx) =>
      WATCH_RESPONSE.toWire(only(WATCH_RESPONSE.decode(value, path, ctx), path)),
    fromWire: (wire) => WATCH_RESPONSE.fromWire(wire) as R,
    toWire: (d) => WATCH_RESPONSE.toWire(d),
    fromProto: (message, desc, path, ctx) => only(WATCH_RESPONSE.fromProto(message, desc, path, ctx), path),
    toProto: (d, desc) => WATCH_RESPONSE.toProto(d, desc),
  };
}
