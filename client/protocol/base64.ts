/**
 * Base64 for bytes fields, as the proto3 JSON mapping (and so etcd's gateway) defines it: output is
 * standard base64 with padding; input may be standard or URL-safe, with or without padding.
 * Implemented here (not with Buffer or atob) so that client/protocol runs unchanged in browsers.
 *
 * Rules of the decoder, which returns undefined rather than throwing:
 * - one alphabet per string: `+` `/` (standard) or `-` `_` (URL-safe), never both;
 * - padding is all or nothing: a padded string has a length that is a multiple of 4 and ends in at
 *   most two `=`; an unpadded one has no `=` at all; a length of 1 mod 4 is never valid;
 * - non-zero bits in the last character beyond the data are ignored (like Go's decoder).
 */

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_SAFE_62 = 45; // '-'
const URL_SAFE_63 = 95; // '_'
const PAD = 61; // '='

const ENCODE: Uint8Array = new Uint8Array(64);
const DECODE: Int8Array = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = STD.charCodeAt(i);
  DECODE[STD.charCodeAt(i)] = i;
}
DECODE[URL_SAFE_62] = 62;
DECODE[URL_SAFE_63] = 63;

const CHUNK = 0x2000;

export function encodeBase64(bytes: Uint8Array): string {
  const outLength = Math.ceil(bytes.length / 3) * 4;
  const out = new Uint8Array(outLength);
  let o = 0;
  let i = 0;
  const whole = bytes.length - (bytes.length % 3);
  for (; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[(n >> 18) & 63]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    out[o++] = ENCODE[(n >> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = bytes.length - whole;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out[o++] = ENCODE[(n >> 18) & 63]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = ENCODE[(n >> 18) & 63]!;
    out[o++] = ENCODE[(n >> 12) & 63]!;
    out[o++] = ENCODE[(n >> 6) & 63]!;
    out[o++] = PAD;
  }
  let text = '';
  for (let start = 0; start < out.length; start += CHUNK) {
    text += String.fromCharCode(...out.subarray(start, start + CHUNK));
  }
  return text;
}

/** Decodes standard or URL-safe base64, padded or not; undefined if the text is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  if (end % 4 === 0 && end > 0 && text.charCodeAt(end - 1) === PAD) {
    end--;
    if (text.charCodeAt(end - 1) === PAD) end--;
  }
  if (end % 4 === 1) return undefined;
  let sawStd = false;
  let sawUrl = false;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return undefined;
    if (c === 43 || c === 47) sawStd = true;
    else if (c === URL_SAFE_62 || c === URL_SAFE_63) sawUrl = true;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  if (sawStd && sawUrl) return undefined;
  return o === out.length ? out : out.subarray(0, o);
}

/**
 * True when `text` is exactly what encodeBase64 would produce for its bytes (standard alphabet,
 * padded, zero trailing bits). Lets the decoder keep canonical input without re-encoding it.
 */
export function isCanonicalBase64(text: string): boolean {
  const n = text.length;
  if (n % 4 !== 0) return false;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === PAD) end = text.charCodeAt(n - 2) === PAD ? n - 2 : n - 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || DECODE[c]! < 0 || c === URL_SAFE_62 || c === URL_SAFE_63) return false;
  }
  const pads = n - end;
  if (pads === 0) return true;
  const last = DECODE[text.charCodeAt(end - 1)]!;
  return pads === 1 ? (last & 0b11) === 0 : (last & 0b1111) === 0;
}
