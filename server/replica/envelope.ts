/**
 * A proposal on the log: the proposing member's request id (so that the member that proposed it
 * can answer its client when the entry is applied, and nobody else does) followed by the command.
 *
 *   byte 0      envelope version (1)
 *   bytes 1-8   request id, unsigned big-endian (u64, ids fit in 53 bits)
 *   bytes 9-    command bytes (opaque here)
 */
import { assert } from '../assert.js';

const VERSION = 1;
const HEADER_BYTES = 9;

export interface Envelope {
  readonly requestId: number;
  readonly command: Uint8Array;
}

export function encodeEnvelope(requestId: number, command: Uint8Array): Uint8Array {
  assert(Number.isSafeInteger(requestId) && requestId >= 0, 'envelope: bad request id');
  const out = new Uint8Array(HEADER_BYTES + command.length);
  const view = new DataView(out.buffer);
  out[0] = VERSION;
  view.setBigUint64(1, BigInt(requestId));
  out.set(command, HEADER_BYTES);
  return out;
}

/** Decodes an entry the cluster committed; a malformed one is an invariant violation. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  assert(data.length >= HEADER_BYTES && data[0] === VERSION, 'envelope: malformed committed entry');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { requestId: Number(view.getBigUint64(1)), command: data.subarray(HEADER_BYTES) };
}
