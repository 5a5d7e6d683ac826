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
/** Sextet of each Latin-1 character, -1 if not base64 (either alphabet). */
const DECODE: Int8Array = new Int8Array(256).fill(-1);
/** 1 for characters only the standard alphabet has, 2 for those only the URL-safe one has. */
const ALPHABET: Uint8Array = new Uint8Array(256);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = STD.charCodeAt(i);
  DECODE[STD.charCodeAt(i)] = i;
}
DECODE[URL_SAFE_62] = 62;
DECODE[URL_SAFE_63] = 63;
ALPHABET[43] = 1; // '+'
ALPHABET[47] = 1; // '/'
ALPHABET[URL_SAFE_62] = 2;
ALPHABET[URL_SAFE_63] = 2;

// ASCII is valid UTF-8, so the native decoder turns the output bytes into a string quickly.
const ascii = new TextDecoder();

export function encodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  const whole = bytes.length - (bytes.length % 3);
  for (; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o] = ENCODE[n >>> 18]!;
    out[o + 1] = ENCODE[(n >>> 12) & 63]!;
    out[o + 2] = ENCODE[(n >>> 6) & 63]!;
    out[o + 3] = ENCODE[n & 63]!;
    o += 4;
  }
  const rest = bytes.length - whole;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o] = ENCODE[n >>> 18]!;
    out[o + 1] = ENCODE[(n >>> 12) & 63]!;
    out[o + 2] = rest === 2 ? ENCODE[(n >>> 6) & 63]! : PAD;
    out[o + 3] = PAD;
  }
  return ascii.decode(out);
}

/** Decodes standard or URL-safe base64, padded or not; undefined if the text is not base64. */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  if (end % 4 === 0 && end > 0 && text.charCodeAt(end - 1) === PAD) {
    end--;
    if (text.charCodeAt(end - 1) === PAD) end--;
  }
  const rest = end % 4;
  if (rest === 1) return undefined;
  const whole = end - rest;
  const out = new Uint8Array((whole / 4) * 3 + (rest === 0 ? 0 : rest - 1));
  let alphabets = 0;
  let o = 0;
  for (let i = 0; i < whole; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 255) return undefined;
    const v0 = DECODE[c0]!;
    const v1 = DECODE[c1]!;
    const v2 = DECODE[c2]!;
    const v3 = DECODE[c3]!;
    if ((v0 | v1 | v2 | v3) < 0) return undefined;
    alphabets |= ALPHABET[c0]! | ALPHABET[c1]! | ALPHABET[c2]! | ALPHABET[c3]!;
    const n = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
    out[o] = n >>> 16;
    out[o + 1] = (n >>> 8) & 255;
    out[o + 2] = n & 255;
    o += 3;
  }
  if (rest > 0) {
    let n = 0;
    for (let i = whole; i < end; i++) {
      const c = text.charCodeAt(i);
      const v = c > 255 ? -1 : DECODE[c]!;
      if (v < 0) return undefined;
      alphabets |= ALPHABET[c]!;
      n = (n << 6) | v;
    }
    if (rest === 2) {
      out[o] = n >>> 4;
    } else {
      out[o] = n >>> 10;
      out[o + 1] = (n >>> 2) & 255;
    }
  }
  return alphabets === 3 ? undefined : out;
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
    if (c > 255 || DECODE[c]! < 0 || ALPHABET[c] === 2) return false;
  }
  const pads = n - end;
  if (pads === 0) return true;
  const last = DECODE[text.charCodeAt(end - 1)]!;
  return pads === 1 ? (last & 0b11) === 0 : (last & 0b1111) === 0;
}
