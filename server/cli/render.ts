/**
 * How the client verbs print: keys and values as text when they are valid UTF-8 (escaped
 * otherwise), etcdctl's JSON shapes for `-w json` (bytes in base64, snake_case header, zero values
 * left out as etcd's encoder does) so scripts written for etcdctl carry over, etcdctl's `"Field" :
 * value` lines for `-w fields`, and aligned tables for `-w table`.
 */
import type { DeleteResult, KeyValue, PutResult, RangeResult, ResponseHeader } from '../../client/index.js';

export type OutputFormat = 'simple' | 'json' | 'fields' | 'table';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['simple', 'json', 'fields', 'table'];

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes as text when they are valid UTF-8; else printable ASCII kept and the rest as \xNN. */
export function text(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    let out = '';
    for (const b of bytes) {
      if (b === 0x5c) out += '\\\\';
      else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
      else out += `\\x${b.toString(16).padStart(2, '0')}`;
    }
    return out;
  }
}

export const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A lease id as etcdctl prints and parses it: hexadecimal, 16 digits. */
export const leaseHex = (id: number): string => id.toString(16).padStart(16, '0');
export const memberHex = (id: number): string => id.toString(16);

/** JSON value types of the etcd shapes (a plain JSON tree). */
export type Json = string | number | boolean | null | readonly Json[] | { readonly [k: string]: Json };

/** Drops zero, false, empty-string and empty-array fields, as etcd's JSON encoder (omitempty) does. */
export function omitEmpty(fields: Readonly<Record<string, Json | undefined>>): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || v === 0 || v === false || v === '' || (Array.isArray(v) && v.length === 0))
      continue;
    out[k] = v;
  }
  return out;
}

export function headerJson(h: ResponseHeader): Record<string, Json> {
  return omitEmpty({
    cluster_id: h.clusterId,
    member_id: h.memberId,
    revision: h.revision,
    raft_term: h.raftTerm,
  });
}

export function kvJson(kv: KeyValue): Record<string, Json> {
  return omitEmpty({
    key: b64(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: b64(kv.value),
    lease: kv.lease,
  });
}

/** One `-w fields` line before formatting: `"Name" : value`. */
export type Field = [string, string | number | boolean];

/** etcdctl's `-w fields` lines of a header. */
export function headerFields(h: ResponseHeader): Field[] {
  return [
    ['ClusterID', h.clusterId],
    ['MemberID', h.memberId],
    ['Revision', h.revision],
    ['RaftTerm', h.raftTerm],
  ];
}

export function kvFields(kv: KeyValue): Field[] {
  return [
    ['Key', JSON.stringify(text(kv.key))],
    ['CreateRevision', kv.createRevision],
    ['ModRevision', kv.modRevision],
    ['Version', kv.version],
    ['Value', JSON.stringify(text(kv.value))],
    ['Lease', kv.lease],
  ];
}

export function fieldLines(fields: readonly (readonly [string, string | number | boolean])[]): string[] {
  return fields.map(([k, v]) => `"${k}" : ${String(v)}`);
}

/** An aligned table with a header row, framed like etcdctl's. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]): string =>
    `|${cells.map((c, i) => ` ${c.padEnd(widths[i]!)} `).join('|')}|`;
  return [rule, line(head), rule, ...rows.map(line), rule].join('\n');
}

/** Bytes as etcdctl prints sizes: 20 kB, 1.5 MB. */
export function humanBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return u === 0 ? `${n} B` : `${Number(v.toFixed(1))} ${units[u]}`;
}

/** Fields renamed with a prefix (`PrevKey`, `PrevValue`, ... for a previous key-value). */
export const prefixed = (prefix: string, fields: readonly Field[]): Field[] =>
  fields.map(([k, v]) => [`${prefix}${k}`, v]);

/** A quoted `-w fields` string value, as etcdctl prints them (%q). */
export const quoted = (s: string): string => JSON.stringify(s);

// The answers of get, put and del, in each format; `txn` prints its responses with the same.

export function rangeJson(r: RangeResult): Record<string, Json> {
  return omitEmpty({ header: headerJson(r.header), kvs: r.kvs.map(kvJson), more: r.more, count: r.count });
}

export function putJson(r: PutResult): Record<string, Json> {
  return omitEmpty({
    header: headerJson(r.header),
    prev_kv: r.prevKv === undefined ? undefined : kvJson(r.prevKv),
  });
}

export function deleteJson(r: DeleteResult): Record<string, Json> {
  return omitEmpty({ header: headerJson(r.header), deleted: r.deleted, prev_kvs: r.prevKvs.map(kvJson) });
}

export function rangeFields(r: RangeResult): Field[] {
  const lines = headerFields(r.header);
  for (const kv of r.kvs) lines.push(...kvFields(kv));
  lines.push(['More', r.more], ['Count', r.count]);
  return lines;
}

export function putFields(r: PutResult): Field[] {
  const lines = headerFields(r.header);
  if (r.prevKv !== undefined) lines.push(...prefixed('PrevKey', kvFields(r.prevKv)));
  return lines;
}

export function deleteFields(r: DeleteResult): Field[] {
  const lines = headerFields(r.header);
  lines.push(['Deleted', r.deleted]);
  for (const kv of r.prevKvs) lines.push(...kvFields(kv));
  return lines;
}

export interface RangeSimpleOptions {
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly printValueOnly?: boolean;
}

export function rangeSimple(r: RangeResult, o: RangeSimpleOptions = {}): string[] {
  if (o.countOnly === true) return [String(r.count)];
  const out: string[] = [];
  for (const kv of r.kvs) {
    if (o.printValueOnly !== true) out.push(text(kv.key));
    if (o.keysOnly !== true) out.push(text(kv.value));
  }
  return out;
}

export function putSimple(r: PutResult): string[] {
  return r.prevKv === undefined ? ['OK'] : ['OK', text(r.prevKv.key), text(r.prevKv.value)];
}

export function deleteSimple(r: DeleteResult): string[] {
  return [String(r.deleted), ...r.prevKvs.flatMap((kv) => [text(kv.key), text(kv.value)])];
}

/**
 * The format of an answer with one row per member: a table when there are several and the user
 * chose no format (-w or CONCORD_WRITE_OUT), as issue 17 asks for multi-member answers; else the
 * chosen one.
 */
export function multiMemberFormat(
  g: { readonly format: OutputFormat; readonly formatGiven: boolean },
  rows: number,
): OutputFormat {
  return !g.formatGiven && g.format === 'simple' && rows > 1 ? 'table' : g.format;
}
