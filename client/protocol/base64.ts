/**
 * Base64 for bytes fields. Output is standard base64 with padding (the proto3 JSON mapping's form).
 * Input is decoded exactly as etcd's gateway decodes it: Go's `encoding/json` puts a bytes field
 * through `base64.StdEncoding`, so the same rules and the same error offsets apply here, on the
 * WebSocket protocol and on the gateway alike (checked against etcd 3.4.23, see
 * test/unit/protocol/base64.test.ts):
 * - the standard alphabet only (`-` and `_` are refused);
 * - padding is required: the text ends in whole quanta of four characters, the last one may end in
 *   `=` or `==`, and nothing but line breaks may follow the padding;
 * - carriage returns and line feeds are skipped wherever they are;
 * - non-zero bits in the last character beyond the data are ignored.
 * A refusal names the byte offset Go's `CorruptInputError` names (`illegal base64 data at input
 * byte N`): the offending character; the end of the text when a `==` lacks its second `=`; or the
 * first character of an incomplete final quantum (so `"foo"` fails at byte 0).
 * Implemented here (not with Buffer or atob) so that client/protocol runs unchanged in browsers.
 */

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 61; // '='
const LF = 10;
const CR = 13;

const ENCODE: Uint8Array = new Uint8Array(64);
/** Sextet of each Latin-1 character of the standard alphabet, -1 for any other. */
const DECODE: Int8Array = new Int8Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = STD.charCodeAt(i);
  DECODE[STD.charCodeAt(i)] = i;
}

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

/** The text of Go's `base64.CorruptInputError`, which etcd's gateway answers verbatim. */
export function base64ErrorText(offset: number): string {
  return `illegal base64 data at input byte ${offset}`;
}

/** The outcome of decoding: the bytes, or the offset Go would report. */
export type Base64Decoded =
  { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly errorOffset: number };

/**
 * Decodes padded standard base64 as Go's `base64.StdEncoding.Decode` does (rules in the file
 * header). Offsets are byte offsets in the UTF-8 text; they equal character offsets because the
 * first character that is not ASCII is itself an error, and nothing after it is examined.
 */
export function decodeBase64Strict(text: string): Base64Decoded {
  const plain = decodePlain(text);
  if (plain !== undefined) return { ok: true, bytes: plain };
  const out = new Uint8Array((text.length >>> 2) * 3);
  const n = decodeInto(text, out);
  return n >= 0 ? { ok: true, bytes: out.subarray(0, n) } : { ok: false, errorOffset: ~n };
}

/** Decodes padded standard base64 (decodeBase64Strict's rules); undefined if the text is refused. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const plain = decodePlain(text);
  if (plain !== undefined) return plain;
  const out = new Uint8Array((text.length >>> 2) * 3);
  const n = decodeInto(text, out);
  return n >= 0 ? out.subarray(0, n) : undefined;
}

/**
 * The common case, quickly: whole quanta of alphabet characters with at most `==` at the very end
 * (what every encoder writes). Undefined for anything else, which decodeInto then judges; for the
 * texts it accepts, the result is decodeInto's.
 */
function decodePlain(text: string): Uint8Array | undefined {
  const n = text.length;
  if (n % 4 !== 0) return undefined;
  let end = n;
  if (n > 0 && text.charCodeAt(n - 1) === PAD) end = text.charCodeAt(n - 2) === PAD ? n - 2 : n - 1;
  const rest = end % 4;
  const whole = end - rest;
  const out = new Uint8Array((whole / 4) * 3 + (rest === 0 ? 0 : rest - 1));
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
    const q = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
    out[o] = q >>> 16;
    out[o + 1] = (q >>> 8) & 255;
    out[o + 2] = q & 255;
    o += 3;
  }
  if (rest > 0) {
    // Two or three characters before the padding (rest 1 cannot occur: the length is 4k).
    let q = 0;
    for (let i = whole; i < end; i++) {
      const c = text.charCodeAt(i);
      const v = c > 255 ? -1 : DECODE[c]!;
      if (v < 0) return undefined;
      q = (q << 6) | v;
    }
    if (rest === 2) {
      out[o] = q >>> 4;
    } else {
      out[o] = q >>> 10;
      out[o + 1] = (q >>> 2) & 255;
    }
  }
  return out;
}

function isLineBreak(c: number): boolean {
  return c === LF || c === CR;
}

/**
 * Writes the bytes of `text` into `out` (at least 3 bytes per 4 characters) and returns how many,
 * or `~offset` of the first error. Whole quanta of four alphabet characters take the fast path;
 * anything else (padding, line breaks, errors) goes through the quantum loop of Go's decoder.
 */
function decodeInto(text: string, out: Uint8Array): number {
  const n = text.length;
  let si = 0;
  let o = 0;
  while (si < n) {
    if (si + 4 <= n) {
      const c0 = text.charCodeAt(si);
      const c1 = text.charCodeAt(si + 1);
      const c2 = text.charCodeAt(si + 2);
      const c3 = text.charCodeAt(si + 3);
      if ((c0 | c1 | c2 | c3) < 256) {
        const v0 = DECODE[c0]!;
        const v1 = DECODE[c1]!;
        const v2 = DECODE[c2]!;
        const v3 = DECODE[c3]!;
        if ((v0 | v1 | v2 | v3) >= 0) {
          const q = (v0 << 18) | (v1 << 12) | (v2 << 6) | v3;
          out[o] = q >>> 16;
          out[o + 1] = (q >>> 8) & 255;
          out[o + 2] = q & 255;
          o += 3;
          si += 4;
          continue;
        }
      }
    }
    // One quantum the slow way: `j` counts its sextets, line breaks do not count.
    let q = 0;
    let sextets = 4;
    let trailingAt = -1;
    for (let j = 0; j < 4; j++) {
      if (si === n) {
        if (j === 0) return o;
        return ~(si - j); // an incomplete quantum: padding was required
      }
      const c = text.charCodeAt(si++);
      const v = c < 256 ? DECODE[c]! : -1;
      if (v >= 0) {
        q = (q << 6) | v;
        continue;
      }
      if (isLineBreak(c)) {
        j--;
        continue;
      }
      if (c !== PAD || j < 2) return ~(si - 1); // not base64, or padding after 0 or 1 sextets
      if (j === 2) {
        // Two sextets: "==" is required; the first "=" is consumed.
        while (si < n && isLineBreak(text.charCodeAt(si))) si++;
        if (si === n) return ~n;
        if (text.charCodeAt(si) !== PAD) return ~(si - 1);
        si++;
      }
      while (si < n && isLineBreak(text.charCodeAt(si))) si++;
      if (si < n) trailingAt = si; // something after the padding
      sextets = j;
      break;
    }
    if (sextets === 4) {
      out[o] = q >>> 16;
      out[o + 1] = (q >>> 8) & 255;
      out[o + 2] = q & 255;
      o += 3;
    } else if (sextets === 3) {
      out[o] = q >>> 10;
      out[o + 1] = (q >>> 2) & 255;
      o += 2;
    } else {
      out[o] = q >>> 4;
      o += 1;
    }
    if (trailingAt >= 0) return ~trailingAt;
  }
  return o;
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
    if (c > 255 || DECODE[c]! < 0) return false;
  }
  const pads = n - end;
  if (pads === 0) return true;
  const last = DECODE[text.charCodeAt(end - 1)]!;
  return pads === 1 ? (last & 0b11) === 0 : (last & 0b1111) === 0;
}
