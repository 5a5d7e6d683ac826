/**
 * The JSON values of a text that holds several, one after another: how Go's `json.Decoder` reads a
 * request body, and so how etcd's gateway reads the requests of a `/v3/watch` stream. Whitespace
 * between values is optional (`{...}{...}` is two values).
 */

export interface JsonSequence {
  /** The values before the first one that could not be read. */
  readonly values: unknown[];
  /** Why reading stopped early; absent when the whole text was read. */
  readonly error?: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Ends a scalar token (number, true, false, null). */
function isDelimiter(c: number): boolean {
  return (
    isSpace(c) ||
    c === OPEN_BRACE ||
    c === CLOSE_BRACE ||
    c === OPEN_BRACKET ||
    c === CLOSE_BRACKET ||
    c === QUOTE ||
    c === 44 || // ','
    c === 58 // ':'
  );
}

/** Index just after the string that opens at `start`; -1 if it is not closed. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Index just after the value that starts at `start` (not whitespace); -1 if it is not closed. Only
 * finds the extent: JSON.parse of that slice judges whether it is valid.
 */
function valueEnd(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === QUOTE) return stringEnd(text, start);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        const end = stringEnd(text, i);
        if (end < 0) return -1;
        i = end - 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return -1;
  }
  let i = start + 1;
  while (i < text.length && !isDelimiter(text.charCodeAt(i))) i++;
  return i;
}

/** Reads every JSON value of `text` in order, stopping at the first that is not valid JSON. */
export function parseJsonSequence(text: string): JsonSequence {
  const values: unknown[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) return { values };
    const end = valueEnd(text, i);
    if (end < 0) return { values, error: `request ${values.length + 1} of the body is not closed` };
    try {
      values.push(JSON.parse(text.slice(i, end)));
    } catch {
      return { values, error: `request ${values.length + 1} of the body is not valid JSON` };
    }
    i = end;
  }
}
