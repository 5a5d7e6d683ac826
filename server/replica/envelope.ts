/**
 * A proposal on the log: the proposing member's request id (so that the member that proposed it
 * can answer its client when the entry is applied, and nobody else does) followed by the command.
 *
 *   byte 0      envelope version (1)
 *   byte 1      kind: 1 = state-machine command, 2 = member attributes (replica-internal)
 *   bytes 2-9   request id, unsigned big-endian (u64, ids fit in 53 bits)
 *   bytes 10-   payload (opaque here)
 */
import { assert } from '../assert.js';
import { entryBytes } from '../entry-bytes.js';

const VERSION = 1;
const HEADER_BYTES = 10;

export const EnvelopeKind = { Command: 1, MemberAttributes: 2 } as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

export interface Envelope {
  readonly kind: EnvelopeKind;
  readonly requestId: number;
  readonly command: Uint8Array;
}

export function encodeEnvelope(
  requestId: number,
  command: Uint8Array,
  kind: EnvelopeKind = EnvelopeKind.Command,
): Uint8Array {
  assert(Number.isSafeInteger(requestId) && requestId >= 0, 'envelope: bad request id');
  const out = entryBytes.alloc(HEADER_BYTES + command.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = VERSION;
  out[1] = kind;
  view.setBigUint64(2, BigInt(requestId));
  out.set(command, HEADER_BYTES);
  return out;
}

/** Decodes an entry the cluster committed; a malformed one is an invariant violation. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  assert(data.length >= HEADER_BYTES && data[0] === VERSION, 'envelope: malformed committed entry');
  const kind = data[1];
  assert(kind === EnvelopeKind.Command || kind === EnvelopeKind.MemberAttributes, 'envelope: unknown kind');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { kind, requestId: Number(view.getBigUint64(2)), command: data.subarray(HEADER_BYTES) };
}
