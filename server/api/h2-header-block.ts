/**
 * One HTTP/2 client's header blocks, decoded with the client's HPACK state and written out again
 * for node:http2 with `:authority` made acceptable (h2-authority-shim.ts says why).
 *
 * HPACK (RFC 7541) is stateful per direction of a connection: every block may add entries to a
 * dynamic table that later blocks refer to by index, so the decoder here sees every block the
 * client sends, in order, for the connection's whole life. The blocks it writes use only literal
 * fields "without indexing" (or "never indexed", kept as the client marked them, RFC 7541 §7.1.3)
 * and plain (not Huffman) strings: they never touch node's dynamic table, so node's decoder state
 * cannot drift from what this side writes, whatever the client does with its own table.
 *
 * Why not pass blocks through and rewrite only the ones that need it: a rewritten block that
 * carries `:authority` with incremental indexing would leave node's table with an entry of another
 * size than the client's table; every later eviction and every later index would then name
 * different fields on the two sides. Re-encoding every block as literals is the one way that keeps
 * both tables consistent without tracking node's table as well.
 *
 * Huffman decoding and the static/dynamic tables are hpack.js's; its stream classes are not used
 * (one object per header through a Readable costs more than the decoding).
 */
import { createRequire } from 'node:module';

interface HpackEntry {
  readonly name: string;
  readonly value: string;
  readonly nameSize: number;
}
interface HpackTable {
  lookup(index: number): HpackEntry;
  add(name: string, value: string, nameSize: number, valueSize: number): void;
  updateSize(size: number): void;
}
interface HpackBitDecoder {
  push(chunk: Buffer): void;
  isEmpty(): boolean;
  decodeBit(): number;
  decodeInt(): number;
  /** A raw string comes back as the bytes, a Huffman one as an array of octets. */
  decodeStr(): Buffer | number[];
}
interface HpackModule {
  readonly decoder: { create(): HpackBitDecoder };
  readonly table: { create(options: { maxSize: number }): HpackTable };
}

const hpack = createRequire(import.meta.url)('hpack.js') as HpackModule;

/** A block the client sent that cannot be decoded, or that is over a limit: the connection ends. */
export class HeaderBlockError extends Error {
  override readonly name = 'HeaderBlockError';
}

export interface HeaderBlockLimits {
  /**
   * The largest dynamic table the client may ask for. node:http2 announces the protocol's 4096
   * bytes (it sends no SETTINGS_HEADER_TABLE_SIZE), so a client may not use more.
   */
  readonly maxTableBytes: number;
  /** The largest decoded header list (RFC 9113 §6.5.2 size: name + value + 32 per field). */
  readonly maxHeaderListBytes: number;
}

export const HEADER_BLOCK_DEFAULTS: HeaderBlockLimits = {
  maxTableBytes: 4096,
  maxHeaderListBytes: 1 << 20,
};

/** `scheme://host:port[/...]` → `host:port`; undefined when the value has no scheme. */
export function authorityWithoutScheme(value: string): string | undefined {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value);
  return m === null ? undefined : m[1];
}

interface Field {
  readonly name: string;
  readonly value: string;
  readonly neverIndexed: boolean;
}

/** One connection's client → server header compression state. Not reusable across connections. */
export class HeaderBlockTranscoder {
  private readonly decoder = hpack.decoder.create();
  private readonly table: HpackTable;
  /** Authorities rewritten (for tests and metrics). */
  rewrites = 0;

  constructor(
    private readonly limits: HeaderBlockLimits = HEADER_BLOCK_DEFAULTS,
    /** Fields appended to every block (the shim's connection token), replacing the client's. */
    private readonly extra: readonly Field[] = [],
  ) {
    this.table = hpack.table.create({ maxSize: limits.maxTableBytes });
  }

  /** Decodes one complete header block and returns it re-encoded; throws HeaderBlockError. */
  transcode(block: Buffer): Buffer {
    let fields = this.decode(block);
    // A client's own field of an added name is dropped: only this side's value may reach node.
    if (this.extra.length > 0) fields = fields.filter((f) => !this.extra.some((e) => e.name === f.name));
    let bytes = 0;
    for (const f of fields) bytes += fieldBytes(f);
    for (const f of this.extra) bytes += fieldBytes(f);
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    for (const f of fields) at = writeField(out, at, f);
    for (const f of this.extra) at = writeField(out, at, f);
    return out;
  }

  private decode(block: Buffer): Field[] {
    const d = this.decoder;
    const fields: Field[] = [];
    let listBytes = 0;
    try {
      d.push(block);
      while (!d.isEmpty()) {
        let field: Field | undefined;
        if (d.decodeBit() === 1) {
          const e = this.table.lookup(d.decodeInt());
          field = { name: e.name, value: e.value, neverIndexed: false };
        } else if (d.decodeBit() === 1) {
          field = this.literal(true, false);
        } else if (d.decodeBit() === 1) {
          this.table.updateSize(d.decodeInt());
        } else {
          field = this.literal(false, d.decodeBit() === 1);
        }
        if (field === undefined) continue;
        listBytes += field.name.length + field.value.length + 32;
        if (listBytes > this.limits.maxHeaderListBytes)
          throw new HeaderBlockError(`header list over ${this.limits.maxHeaderListBytes} bytes`);
        if (field.name === ':authority') {
          const bare = authorityWithoutScheme(field.value);
          if (bare !== undefined) {
            field = { name: field.name, value: bare, neverIndexed: field.neverIndexed };
            this.rewrites++;
          }
        }
        fields.push(field);
      }
    } catch (err) {
      if (err instanceof HeaderBlockError) throw err;
      // hpack.js throws plain Errors (and TypeErrors past the end of the input) on bad input.
      throw new HeaderBlockError(`malformed header block: ${(err as Error).message}`, { cause: err });
    }
    return fields;
  }

  /** A literal field after its representation bits (RFC 7541 §6.2). */
  private literal(incremental: boolean, neverIndexed: boolean): Field {
    const d = this.decoder;
    const index = d.decodeInt();
    let name: string;
    let nameSize: number;
    if (index === 0) {
      const raw = d.decodeStr();
      nameSize = raw.length;
      name = latin1(raw);
    } else {
      const e = this.table.lookup(index);
      name = e.name;
      nameSize = e.nameSize;
    }
    const rawValue = d.decodeStr();
    const value = latin1(rawValue);
    if (incremental) this.table.add(name, value, nameSize, rawValue.length);
    return { name, value, neverIndexed };
  }
}

function latin1(raw: Buffer | number[]): string {
  return (Buffer.isBuffer(raw) ? raw : Buffer.from(raw)).toString('latin1');
}

/** RFC 7541 §5.1: an integer's length with an N-bit prefix. */
function intBytes(n: number, prefixBits: number): number {
  const max = (1 << prefixBits) - 1;
  if (n < max) return 1;
  let len = 2;
  for (let rest = n - max; rest >= 128; rest >>>= 7) len++;
  return len;
}

function writeInt(out: Buffer, at: number, firstBits: number, prefixBits: number, n: number): number {
  const max = (1 << prefixBits) - 1;
  if (n < max) {
    out[at] = firstBits | n;
    return at + 1;
  }
  out[at++] = firstBits | max;
  let rest = n - max;
  while (rest >= 128) {
    out[at++] = (rest & 0x7f) | 0x80;
    rest >>>= 7;
  }
  out[at++] = rest;
  return at;
}

/** A literal without indexing (0000) or never indexed (0001), new name, plain strings. */
function fieldBytes(f: Field): number {
  return 1 + intBytes(f.name.length, 7) + f.name.length + intBytes(f.value.length, 7) + f.value.length;
}

function writeField(out: Buffer, at: number, f: Field): number {
  out[at++] = f.neverIndexed ? 0x10 : 0x00;
  at = writeInt(out, at, 0, 7, f.name.length);
  at += out.write(f.name, at, 'latin1');
  at = writeInt(out, at, 0, 7, f.value.length);
  at += out.write(f.value, at, 'latin1');
  return at;
}
