/**
 * `concord txn`: etcdctl's transaction syntax, read from stdin (or typed at its prompts with
 * `-i`). Three sections, each ended by an empty line (the last one also by the end of input):
 *
 *   mod("app/leader") > "0"          compares, ANDed: (c|create|m|mod|val|value|ver|version|lease)
 *   val("app/mode") = "active"       ("KEY") (=|!=|<|>) VALUE
 *                                    (empty line)
 *   put app/mode "standby"           success requests: get, put, del with their etcdctl flags
 *   get app/ --prefix --keys-only
 *                                    (empty line)
 *   put app/mode "active"            failure requests
 *
 * This module parses and renders; the runner in client-verbs.ts sends the transaction.
 */
import { parseArgs } from 'node:util';
import {
  Cmp,
  Op,
  type CompareOperator,
  type DeleteResult,
  type PutResult,
  type RangeResult,
  type SortOrder,
  type SortTarget,
  type TxnBuilder,
  type TxnCompare,
  type TxnOp,
  type TxnResult,
} from '../../client/index.js';
import { UsageError } from './exit-codes.js';
import { keyRangeOf } from './key-range.js';
import {
  deleteFields,
  deleteJson,
  deleteSimple,
  fieldLines,
  headerFields,
  headerJson,
  omitEmpty,
  putFields,
  putJson,
  putSimple,
  rangeFields,
  rangeJson,
  rangeSimple,
  type Json,
  type OutputFormat,
  type RangeSimpleOptions,
} from './render.js';

/** One request of a branch, as parsed (what to send, and how its answer prints). */
export type TxnRequestSpec =
  | { readonly kind: 'get'; readonly op: TxnOp<RangeResult>; readonly print: RangeSimpleOptions }
  | { readonly kind: 'put'; readonly op: TxnOp<PutResult> }
  | { readonly kind: 'del'; readonly op: TxnOp<DeleteResult> };

export interface TxnSpec {
  readonly compares: readonly TxnCompare[];
  readonly success: readonly TxnRequestSpec[];
  readonly failure: readonly TxnRequestSpec[];
}

export const TXN_PROMPTS = [
  'compares:',
  'success requests (get, put, del):',
  'failure requests (get, put, del):',
] as const;

/**
 * Reads the three sections from `lines`. With `prompt`, each section's prompt is shown first
 * (interactive mode). Line numbers in errors count from 1.
 */
export async function readTxn(
  lines: AsyncIterable<string>,
  prompt?: (text: string) => void,
): Promise<TxnSpec> {
  const sections: { text: string; line: number }[][] = [[], [], []];
  let section = 0;
  let n = 0;
  prompt?.(TXN_PROMPTS[0]);
  for await (const raw of lines) {
    n += 1;
    const line = raw.trim();
    if (line === '') {
      section += 1;
      if (section === 3) break;
      prompt?.(`\n${TXN_PROMPTS[section]}`);
      continue;
    }
    sections[section]!.push({ text: line, line: n });
  }
  const at = <T>(line: number, parse: () => T): T => {
    try {
      return parse();
    } catch (e) {
      throw new UsageError(`line ${line}: ${(e as Error).message}`);
    }
  };
  return {
    compares: sections[0]!.map((l) => at(l.line, () => parseCompare(l.text))),
    success: sections[1]!.map((l) => at(l.line, () => parseRequest(l.text))),
    failure: sections[2]!.map((l) => at(l.line, () => parseRequest(l.text))),
  };
}

const TARGETS: Readonly<Record<string, 'create' | 'mod' | 'value' | 'version' | 'lease'>> = {
  c: 'create',
  create: 'create',
  m: 'mod',
  mod: 'mod',
  val: 'value',
  value: 'value',
  ver: 'version',
  version: 'version',
  lease: 'lease',
};

const COMPARE = /^([a-z]+)\(\s*("(?:[^"\\]|\\.)*"|[^)\s]+)\s*\)\s*(==|=|!=|<|>)\s*(.*)$/;

/** `mod("k") > "5"`, `val("k") = "v"`, `lease("k") = "694d77aa9e38260f"` (hex, as printed). */
export function parseCompare(line: string): TxnCompare {
  const m = COMPARE.exec(line);
  const target = m === null ? undefined : TARGETS[m[1]!];
  if (m === null || target === undefined)
    throw new Error(
      `bad compare ${JSON.stringify(line)} (expected e.g. mod("key") > "0"; targets c|create, m|mod, val|value, ver|version, lease)`,
    );
  const key = oneWord(m[2]!, 'key');
  const op: CompareOperator = m[3] === '=' ? '==' : (m[3] as CompareOperator);
  const value = oneWord(m[4]!, 'value');
  switch (target) {
    case 'value':
      return Cmp.value(key, op, value);
    case 'lease':
      return Cmp.lease(key, op, leaseNumber(value));
    case 'create':
      return Cmp.createRevision(key, op, integer(value, target));
    case 'mod':
      return Cmp.modRevision(key, op, integer(value, target));
    case 'version':
      return Cmp.version(key, op, integer(value, target));
  }
}

function oneWord(s: string, what: string): string {
  const words = splitWords(s);
  if (words.length !== 1) throw new Error(`expected one ${what}, got ${JSON.stringify(s.trim())}`);
  return words[0]!;
}

function integer(s: string, what: string): number {
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s)))
    throw new Error(`${what} compares with a non-negative integer, not ${JSON.stringify(s)}`);
  return Number(s);
}

function leaseNumber(s: string): number {
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(s)) throw new Error(`bad lease id ${JSON.stringify(s)} (hexadecimal)`);
  const n = Number.parseInt(s.replace(/^0x/, ''), 16);
  if (!Number.isSafeInteger(n)) throw new Error(`lease id ${s} is out of range`);
  return n;
}

/**
 * Splits a line into words as a shell would for these simple cases: blanks separate words,
 * "double quotes" keep blanks and take \" \\ \n \t \r escapes, 'single quotes' take nothing.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '"' || c === "'") {
      const close = quoteEnd(line, i, c);
      const body = line.slice(i + 1, close);
      word = (word ?? '') + (c === '"' ? unescape(body) : body);
      i = close;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

function quoteEnd(line: string, open: number, quote: string): number {
  for (let i = open + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i += 1;
    else if (line[i] === quote) return i;
  }
  throw new Error(`unterminated ${quote} quote`);
}

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

function unescape(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => {
    const r = ESCAPES[c];
    if (r === undefined) throw new Error(`unknown escape \\${c}`);
    return r;
  });
}

const SORT_TARGET: Readonly<Record<string, SortTarget>> = {
  KEY: 'key',
  VERSION: 'version',
  CREATE: 'create',
  MODIFY: 'mod',
  VALUE: 'value',
};

/** `get KEY [RANGE_END] [flags]`, `put KEY VALUE [--lease=ID] [--prev-kv]`, `del KEY [RANGE_END] [flags]`. */
export function parseRequest(line: string): TxnRequestSpec {
  const [verb, ...rest] = splitWords(line);
  switch (verb) {
    case 'get':
      return parseGet(rest);
    case 'put':
      return parsePut(rest);
    case 'del':
    case 'delete':
      return parseDel(rest);
    default:
      throw new Error(`unknown request ${JSON.stringify(verb ?? '')} (get, put or del)`);
  }
}

function parse<O extends Record<string, { type: 'string' | 'boolean' }>>(
  verb: string,
  args: string[],
  options: O,
  operands: [min: number, max: number],
): { values: { [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : string }; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new Error(`${verb}: ${(e as Error).message}`);
  }
  const n = parsed.positionals.length;
  if (n < operands[0] || n > operands[1])
    throw new Error(
      `${verb} takes ${operands[0] === operands[1] ? operands[0] : `${operands[0]} to ${operands[1]}`} arguments, got ${n}`,
    );
  return parsed as never;
}

function count(flag: string, value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new Error(`--${flag}: expected a non-negative integer, got ${value}`);
  return Number(value);
}

function parseGet(args: string[]): TxnRequestSpec {
  const { values: v, positionals } = parse(
    'get',
    args,
    {
      prefix: { type: 'boolean' },
      'from-key': { type: 'boolean' },
      rev: { type: 'string' },
      limit: { type: 'string' },
      'sort-by': { type: 'string' },
      order: { type: 'string' },
      'keys-only': { type: 'boolean' },
      'count-only': { type: 'boolean' },
      'print-value-only': { type: 'boolean' },
    },
    [1, 2],
  );
  const sortBy = v['sort-by'];
  if (sortBy !== undefined && SORT_TARGET[sortBy] === undefined)
    throw new Error(`--sort-by: one of ${Object.keys(SORT_TARGET).join(', ')}`);
  if (v.order !== undefined && v.order !== 'ASCEND' && v.order !== 'DESCEND')
    throw new Error('--order: ASCEND or DESCEND');
  const sortOrder: SortOrder =
    v.order === 'DESCEND' ? 'descend' : v.order === 'ASCEND' || sortBy !== undefined ? 'ascend' : 'none';
  const { key, rangeEnd } = keyRangeOf(
    positionals[0]!,
    positionals[1],
    v.prefix === true,
    v['from-key'] === true,
  );
  const op = Op.range(key, rangeEnd ?? new Uint8Array(), {
    revision: count('rev', v.rev),
    limit: count('limit', v.limit),
    sortOrder,
    sortTarget: SORT_TARGET[sortBy ?? 'KEY']!,
    keysOnly: v['keys-only'] === true,
    countOnly: v['count-only'] === true,
  });
  const print = {
    keysOnly: v['keys-only'] === true,
    countOnly: v['count-only'] === true,
    printValueOnly: v['print-value-only'] === true,
  };
  return { kind: 'get', op, print };
}

function parsePut(args: string[]): TxnRequestSpec {
  const { values: v, positionals } = parse(
    'put',
    args,
    { lease: { type: 'string' }, 'prev-kv': { type: 'boolean' } },
    [2, 2],
  );
  const lease = v.lease === undefined ? 0 : leaseNumber(v.lease);
  return {
    kind: 'put',
    op: Op.put(positionals[0]!, positionals[1]!, { lease, prevKv: v['prev-kv'] === true }),
  };
}

function parseDel(args: string[]): TxnRequestSpec {
  const { values: v, positionals } = parse(
    'del',
    args,
    { prefix: { type: 'boolean' }, 'from-key': { type: 'boolean' }, 'prev-kv': { type: 'boolean' } },
    [1, 2],
  );
  const prevKv = v['prev-kv'] === true;
  const { key, rangeEnd } = keyRangeOf(
    positionals[0]!,
    positionals[1],
    v.prefix === true,
    v['from-key'] === true,
  );
  return {
    kind: 'del',
    op: rangeEnd === undefined ? Op.delete(key, { prevKv }) : deleteRange(key, rangeEnd, prevKv),
  };
}

/**
 * A ranged delete inside a txn. The SDK's builder offers single-key and prefix deletes; etcdctl's
 * `del KEY RANGE_END` (and `--from-key`) needs [key, rangeEnd), so the single-key op is built and
 * its range widened the way the SDK maps ranges into a key space.
 */
function deleteRange(key: Uint8Array, rangeEnd: Uint8Array, prevKv: boolean): TxnOp<DeleteResult> {
  const single = Op.delete(key, { prevKv });
  return {
    build: (space) => {
      const op = single.build(space);
      if (op.type !== 'deleteRange') return op;
      return { type: 'deleteRange', request: { ...op.request, ...space.range(key, rangeEnd) } };
    },
    result: single.result,
  };
}

/** The builder with the parsed compares and branches. */
export function buildTxn(txn: TxnBuilder, spec: TxnSpec): TxnBuilder<TxnOp<unknown>[], TxnOp<unknown>[]> {
  return txn
    .if(...spec.compares)
    .then(...spec.success.map((r) => r.op as TxnOp<unknown>))
    .else(...spec.failure.map((r) => r.op as TxnOp<unknown>));
}

type AnyTxnResult = TxnResult<TxnOp<unknown>[], TxnOp<unknown>[]>;

/** The lines `concord txn` prints for its answer, in the chosen format (json: one line). */
export function txnOutput(spec: TxnSpec, r: AnyTxnResult, format: OutputFormat): string[] {
  const requests = r.succeeded ? spec.success : spec.failure;
  const answers = requests.map((req, i) => ({ req, res: r.results[i] }));
  if (format === 'json') {
    // etcdctl marshals the protobuf TxnResponse: each answer under Response.Response<Kind>.
    const responses: Json[] = answers.map(({ req, res }) => {
      switch (req.kind) {
        case 'get':
          return { Response: { ResponseRange: rangeJson(res as RangeResult) } };
        case 'put':
          return { Response: { ResponsePut: putJson(res as PutResult) } };
        case 'del':
          return { Response: { ResponseDeleteRange: deleteJson(res as DeleteResult) } };
      }
    });
    return [JSON.stringify(omitEmpty({ header: headerJson(r.header), succeeded: r.succeeded, responses }))];
  }
  if (format === 'fields') {
    const lines = [...headerFields(r.header), ['Succeeded', r.succeeded] as [string, boolean]];
    for (const { req, res } of answers) {
      if (req.kind === 'get') lines.push(...rangeFields(res as RangeResult));
      else if (req.kind === 'put') lines.push(...putFields(res as PutResult));
      else lines.push(...deleteFields(res as DeleteResult));
    }
    return fieldLines(lines);
  }
  // etcdctl's simple output: SUCCESS or FAILURE, then each answer after an empty line.
  const out = [r.succeeded ? 'SUCCESS' : 'FAILURE'];
  for (const { req, res } of answers) {
    out.push('');
    if (req.kind === 'get') out.push(...rangeSimple(res as RangeResult, req.print));
    else if (req.kind === 'put') out.push(...putSimple(res as PutResult));
    else out.push(...deleteSimple(res as DeleteResult));
  }
  return out;
}
