/**
 * protoc-gen-concord-codecs: the JSON and protobuf codecs of the client protocol, written from the
 * .proto files (client/protocol/proto) that import concord/codec.proto. Run by `npm run gen`
 * through buf (buf.gen.yaml), beside protoc-gen-es; the output, client/protocol/gen/**\/*_codec.ts,
 * is committed and test/unit/protocol/generated.test.ts checks it is up to date.
 *
 * For every message it writes the SDK's type (fields by domain name: Uint8Array bytes, number
 * integers, lower-case enum strings), the canonical wire JSON's type, and four straight-line
 * functions: decode (any JSON → domain value, validating), toWire (domain → canonical JSON),
 * fromProto (a message @bufbuild/protobuf decoded → domain value, validating alike) and toProto.
 * No schema is interpreted at run time: each field is one call of client/protocol/codec-runtime.ts,
 * which holds every error text. What the wire shape does not say (domain names that carry units,
 * signed integers, required sub-messages, txn limits, request rules, adapters) comes from the
 * concord.codec options on the .proto (concord/codec.proto explains each).
 */
import {
  getOption,
  ScalarType,
  type DescEnum,
  type DescExtension,
  type DescField,
  type DescFile,
  type DescMessage,
} from '@bufbuild/protobuf';
import { createEcmaScriptPlugin, getComments, runNodeJs, type Schema } from '@bufbuild/protoplugin';
import { posix } from 'node:path';

const OPTIONS_FILE = 'concord/codec';
const MIN_SAFE = '-9007199254740991';

interface FieldRules {
  readonly domain: string;
  readonly signed: boolean;
  readonly min?: bigint | undefined;
  readonly required: boolean;
  readonly txnOps: boolean;
  readonly txnNested: boolean;
}

interface MessageRules {
  readonly check: readonly string[];
  readonly oneofPayload: string;
  readonly adapter: string;
}

interface Extensions {
  readonly field: DescExtension;
  readonly message: DescExtension;
  readonly value: DescExtension;
}

function extensionsOf(schema: Schema): Extensions {
  const file = schema.allFiles.find((f) => f.name === OPTIONS_FILE);
  if (file === undefined)
    throw new Error(
      `${OPTIONS_FILE}.proto is not among the inputs (${schema.allFiles.map((f) => f.name).join(', ')})`,
    );
  const ext = (name: string): DescExtension => {
    const e = file.extensions.find((x) => x.name === name);
    if (e === undefined) throw new Error(`${OPTIONS_FILE}.proto lacks the extension ${name}`);
    return e;
  };
  return { field: ext('field'), message: ext('message'), value: ext('value') };
}

const NO_FIELD_RULES: FieldRules = {
  domain: '',
  signed: false,
  required: false,
  txnOps: false,
  txnNested: false,
};
const NO_MESSAGE_RULES: MessageRules = { check: [], oneofPayload: '', adapter: '' };

// ---- names ----------------------------------------------------------------------------------

/** The SDK's name of a field: lowerCamelCase with ID, URLs and TTL as words, unless the .proto says. */
function defaultDomainName(f: DescField): string {
  let s = f.jsonName;
  if (/^[A-Z]+$/.test(s)) s = s.toLowerCase();
  return s.replace(/ID$/, 'Id').replace(/URLs/g, 'Urls').replace(/TTL/g, 'Ttl');
}

function enumValueDomain(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** RangeRequest → RANGE_REQUEST, HashKVRequest → HASH_KV_REQUEST. */
function constantName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
}

function localName(desc: DescMessage | DescEnum): string {
  return desc.typeName.slice(desc.file.proto.package.length + 1).replace(/\./g, '_');
}

function moduleAlias(file: DescFile): string {
  return file.name.replace(/[^a-zA-Z0-9]/g, '_');
}

/** The .proto's leading comment of an element as JSDoc lines, indented. */
function jsdoc(desc: DescMessage | DescField | DescEnum, indent: string): string[] {
  const text = getComments(desc).leading?.trim();
  if (text === undefined || text === '') return [];
  const lines = text.split('\n').map((l) => l.replace(/^ /, '').trimEnd());
  if (lines.length === 1) return [`${indent}/** ${lines[0]!.replace(/\*\//g, '* /')} */`];
  return [
    `${indent}/**`,
    ...lines.map((l) => `${indent} *${l === '' ? '' : ` ${l.replace(/\*\//g, '* /')}`}`),
    `${indent} */`,
  ];
}

// ---- one file -------------------------------------------------------------------------------

class FileWriter {
  readonly lines: string[] = [];
  readonly imports = new Map<string, string>();
  usesChecks = false;
  usesAdapters = false;

  constructor(
    readonly file: DescFile,
    readonly ext: Extensions,
  ) {}

  out(line: string): void {
    this.lines.push(line);
  }

  fieldRules(f: DescField): FieldRules {
    const v = getOption(f, this.ext.field) as unknown as FieldRules | undefined;
    return v ?? NO_FIELD_RULES;
  }

  messageRules(m: DescMessage): MessageRules {
    const v = getOption(m, this.ext.message) as unknown as MessageRules | undefined;
    return v ?? NO_MESSAGE_RULES;
  }

  domainName(f: DescField): string {
    const r = this.fieldRules(f);
    return r.domain !== '' ? r.domain : defaultDomainName(f);
  }

  /** A name of the file that defines `desc`, qualified when it is another file. */
  ref(desc: DescMessage | DescEnum, name: string): string {
    if (desc.file === this.file) return name;
    const alias = moduleAlias(desc.file);
    const from = posix.relative(posix.dirname(this.file.name), desc.file.name);
    this.imports.set(alias, `${from.startsWith('.') ? from : `./${from}`}_codec.js`);
    return `${alias}.${name}`;
  }

  enumValues(e: DescEnum): { wire: string[]; domain: string[] } {
    e.values.forEach((v, i) => {
      if (v.number !== i) throw new Error(`${e.typeName}: values must be numbered 0, 1, 2, …`);
    });
    return {
      wire: e.values.map((v) => v.name),
      domain: e.values.map((v) => {
        const own = getOption(v, this.ext.value) as unknown as string | undefined;
        return own !== undefined && own !== '' ? own : enumValueDomain(v.name);
      }),
    };
  }

  minOf(f: DescField): string {
    const r = this.fieldRules(f);
    if (r.min !== undefined) return String(r.min);
    return r.signed ? MIN_SAFE : '0';
  }
}

type Kind =
  | { readonly k: 'bytes' }
  | { readonly k: 'string' }
  | { readonly k: 'bool' }
  | { readonly k: 'long'; readonly asString: boolean }
  | { readonly k: 'int32' }
  | { readonly k: 'enum'; readonly e: DescEnum }
  | { readonly k: 'message'; readonly m: DescMessage };

function kindOf(f: DescField): Kind {
  const scalar = (s: ScalarType, asString: boolean): Kind => {
    switch (s) {
      case ScalarType.BYTES:
        return { k: 'bytes' };
      case ScalarType.STRING:
        return { k: 'string' };
      case ScalarType.BOOL:
        return { k: 'bool' };
      case ScalarType.INT64:
      case ScalarType.UINT64:
      case ScalarType.SINT64:
      case ScalarType.FIXED64:
      case ScalarType.SFIXED64:
        return { k: 'long', asString };
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return { k: 'int32' };
      default:
        throw new Error(`${f.parent.typeName}.${f.name}: scalar type ${ScalarType[s]} is not supported`);
    }
  };
  switch (f.fieldKind) {
    case 'scalar':
      return scalar(f.scalar, f.longAsString);
    case 'enum':
      return { k: 'enum', e: f.enum };
    case 'message':
      return { k: 'message', m: f.message };
    case 'list':
      if (f.listKind === 'scalar') return scalar(f.scalar, f.longAsString);
      if (f.listKind === 'enum') return { k: 'enum', e: f.enum };
      return { k: 'message', m: f.message };
    case 'map':
      throw new Error(`${f.parent.typeName}.${f.name}: map fields are not supported`);
  }
}

interface Names {
  /** The SDK's type (the adapter's for an adapted message). */
  readonly domain: string;
  /** The type the generated functions produce (Raw… for an adapted message). */
  readonly raw: string;
  readonly wire: string;
  readonly pb: string;
}

function namesOf(w: FileWriter, m: DescMessage): Names {
  const n = localName(m);
  const adapted = w.messageRules(m).adapter !== '';
  return { domain: n, raw: adapted ? `Raw${n}` : n, wire: `Wire${n}`, pb: `pb.${n}` };
}

function enumConsts(w: FileWriter, e: DescEnum): { wire: string; domain: string } {
  const n = localName(e);
  return { wire: w.ref(e, `${n}_WIRE`), domain: w.ref(e, `${n}_DOMAIN`) };
}

function domainType(w: FileWriter, f: DescField, k: Kind): string {
  let t: string;
  switch (k.k) {
    case 'bytes':
      t = 'Uint8Array';
      break;
    case 'string':
      t = 'string';
      break;
    case 'bool':
      t = 'boolean';
      break;
    case 'long':
    case 'int32':
      t = 'number';
      break;
    case 'enum':
      t = w.ref(k.e, localName(k.e));
      break;
    case 'message':
      t = w.ref(k.m, localName(k.m));
      break;
  }
  return f.fieldKind === 'list' ? `readonly ${t}[]` : t;
}

function wireType(w: FileWriter, f: DescField, k: Kind): string {
  let t: string;
  switch (k.k) {
    case 'bytes':
    case 'string':
    case 'long':
      t = 'string';
      break;
    case 'bool':
      t = 'boolean';
      break;
    case 'int32':
      t = 'number';
      break;
    case 'enum':
      t = w.ref(k.e, `Wire${localName(k.e)}`);
      break;
    case 'message':
      t = w.ref(k.m, `Wire${localName(k.m)}`);
      break;
  }
  return f.fieldKind === 'list' ? `readonly ${t}[]` : t;
}

function fn(w: FileWriter, m: DescMessage, verb: 'decode' | 'toWire' | 'fromProto' | 'toProto'): string {
  return w.ref(m, `${verb}${localName(m)}`);
}

/** JSON in: the expression decoding `r` (known present) of kind k; `f` is the field name or index. */
function decodeScalarExpr(w: FileWriter, fd: DescField, k: Kind, r: string, f: string): string {
  switch (k.k) {
    case 'bytes':
      return `rt.bytesIn(${r}, path, ${f})`;
    case 'string':
      return `rt.stringIn(${r}, path, ${f})`;
    case 'bool':
      return `rt.boolIn(${r}, path, ${f})`;
    case 'long':
      return `rt.intIn(${r}, path, ${f}, ${w.minOf(fd)})`;
    case 'int32':
      return `rt.uint32In(${r}, path, ${f})`;
    case 'enum': {
      const c = enumConsts(w, k.e);
      return `rt.enumIn(${r}, path, ${f}, ${c.wire}, ${c.domain})`;
    }
    case 'message':
      throw new Error('messages are decoded by decodeMessageExpr');
  }
}

function defaultValue(w: FileWriter, k: Kind): string {
  switch (k.k) {
    case 'bytes':
      return 'rt.EMPTY_BYTES';
    case 'string':
      return "''";
    case 'bool':
      return 'false';
    case 'long':
    case 'int32':
      return '0';
    case 'enum':
      return JSON.stringify(w.enumValues(k.e).domain[0]);
    case 'message':
      return 'undefined';
  }
}

function rawField(fd: DescField): string {
  return fd.jsonName === fd.name
    ? `o[${JSON.stringify(fd.name)}]`
    : `rt.fieldIn(o, ${JSON.stringify(fd.name)}, ${JSON.stringify(fd.jsonName)}, path)`;
}

/** The statements decoding one field into the local `v<i>`. */
function decodeFieldLines(w: FileWriter, fd: DescField, i: number): string[] {
  const k = kindOf(fd);
  const rules = w.fieldRules(fd);
  const name = JSON.stringify(fd.name);
  const v = `v${i}`;
  const lines: string[] = [];
  const absentIsNull = fd.jsonName === fd.name;
  lines.push(`r = ${rawField(fd)};`);
  const present = absentIsNull ? 'r != null' : 'r !== undefined';
  const ctxOf = rules.txnNested ? `rt.nestedTxn(ctx, path, ${name})` : 'ctx';
  if (fd.fieldKind === 'list') {
    const t = domainType(w, fd, k)
      .replace(/^readonly /, '')
      .replace(/\[\]$/, '');
    lines.push(`let ${v}: readonly ${t}[] = [];`);
    lines.push(`if (${present}) {`);
    lines.push(`  const a = rt.listIn(r, path, ${name});`);
    if (rules.txnOps) lines.push(`  rt.txnOps(a.length, ctx, path, ${name});`);
    lines.push(`  const lp = rt.joinPath(path, ${name});`);
    lines.push(`  const out: ${t}[] = new Array<${t}>(a.length);`);
    lines.push(`  for (let i = 0; i < a.length; i++) {`);
    if (k.k === 'message') {
      lines.push(`    out[i] = ${fn(w, k.m, 'decode')}(a[i], \`\${lp}[\${i}]\`, ${ctxOf});`);
    } else {
      lines.push(`    const x = a[i];`);
      lines.push(
        `    out[i] = x === null ? rt.nullItem(lp, i) : ${decodeScalarExpr(w, fd, k, 'x', 'i').replace('path', 'lp')};`,
      );
    }
    lines.push('  }');
    lines.push(`  ${v} = out;`);
    lines.push('}');
    return lines;
  }
  const t = domainType(w, fd, k);
  const optional = (k.k === 'message' && !rules.required) || fd.oneof !== undefined;
  let expr: string;
  if (k.k === 'message') {
    expr = `${fn(w, k.m, 'decode')}(r, rt.joinPath(path, ${name}), ${ctxOf})`;
  } else {
    expr = decodeScalarExpr(w, fd, k, 'r', name);
    if (rules.txnNested) throw new Error(`${fd.name}: txn_nested on a scalar`);
  }
  if (k.k === 'message' && rules.required) {
    lines.push(`const ${v}: ${t} = ${present} ? ${expr} : rt.requiredField(path, ${name});`);
  } else if (optional) {
    lines.push(`const ${v}: ${t} | undefined = ${present} ? ${expr} : undefined;`);
  } else {
    lines.push(`const ${v}: ${t} = ${present} ? ${expr} : ${defaultValue(w, k)};`);
  }
  return lines;
}

function isOptional(w: FileWriter, fd: DescField): boolean {
  if (fd.fieldKind === 'list') return false;
  return (fd.fieldKind === 'message' && !w.fieldRules(fd).required) || fd.oneof !== undefined;
}

/** The value of a domain field as protobuf (`x` is the domain value). */
function protoScalarExpr(w: FileWriter, k: Kind, x: string, name: string): string {
  switch (k.k) {
    case 'long':
      return k.asString ? `rt.intOut(${x}, ${name})` : `rt.bigOut(${x})`;
    case 'enum':
      return `rt.enumIndex(${x}, ${enumConsts(w, k.e).domain}, ${name})`;
    case 'message':
      return `${fn(w, k.m, 'toProto')}(${x})`;
    default:
      return x;
  }
}

/** The value of a protobuf field as the domain's (`x` is the protobuf value). */
function fromProtoScalarExpr(
  w: FileWriter,
  fd: DescField,
  k: Kind,
  x: string,
  f: string,
  ctxOf: string,
): string {
  switch (k.k) {
    case 'bytes':
      return `rt.bytesCopy(${x})`;
    case 'string':
    case 'bool':
      return x;
    case 'long':
      return k.asString
        ? `rt.intIn(${x}, path, ${f}, ${w.minOf(fd)})`
        : `rt.bigIn(${x}, path, ${f}, ${w.minOf(fd)})`;
    case 'int32':
      return `rt.numberIn(${x}, path, ${f}, 0)`;
    case 'enum': {
      const c = enumConsts(w, k.e);
      return `rt.enumNumberIn(${x}, path, ${f}, ${c.wire}, ${c.domain})`;
    }
    case 'message':
      return `${fn(w, k.m, 'fromProto')}(${x}, ${f.startsWith('`') ? f : `rt.joinPath(path, ${f})`}, ${ctxOf})`;
  }
}

function wireScalarExpr(w: FileWriter, k: Kind, x: string, name: string): string {
  switch (k.k) {
    case 'bytes':
      return `rt.bytesOut(${x}, ${name})`;

    case 'string':
      return `rt.stringOut(${x}, ${name})`;
    case 'bool':
      return `rt.boolOut(${x}, ${name})`;
    case 'long':
      return `rt.intOut(${x}, ${name})`;
    case 'int32':
      return `rt.uint32Out(${x}, ${name})`;
    case 'enum': {
      const c = enumConsts(w, k.e);
      return `${c.wire}[rt.enumIndex(${x}, ${c.domain}, ${name})]!`;
    }
    case 'message':
      return `${fn(w, k.m, 'toWire')}(${x})`;
  }
}

/** The test that a domain value is not its field's default (omitted from canonical JSON). */
function notDefault(w: FileWriter, k: Kind, x: string): string {
  switch (k.k) {
    case 'bytes':
      return `rt.hasBytes(${x}, NAME)`;
    case 'string':
      return `${x} !== ''`;
    case 'bool':
      return `${x} !== false`;
    case 'long':
    case 'int32':
      return `${x} !== 0`;
    case 'enum':
      return `${x} !== ${defaultValue(w, k)}`;
    case 'message':
      return `${x} !== undefined`;
  }
}

// ---- a plain message ------------------------------------------------------------------------

function writePlainMessage(w: FileWriter, m: DescMessage): void {
  const n = namesOf(w, m);
  const rules = w.messageRules(m);
  const fields = m.fields;
  const domainNames = fields.map((f) => w.domainName(f));

  // Types.
  jsdoc(m, '').forEach((l) => w.out(l));
  w.out(`export interface ${n.raw} {`);
  if (fields.length === 0) w.out('  readonly _?: never;');
  fields.forEach((f, i) => {
    const opt = isOptional(w, f) ? '?' : '';
    jsdoc(f, '  ').forEach((l) => w.out(l));
    w.out(`  readonly ${domainNames[i]}${opt}: ${domainType(w, f, kindOf(f))};`);
  });
  w.out('}');
  w.out('');
  w.out(`export interface ${n.wire} {`);
  fields.forEach((f) => {
    const required = f.fieldKind === 'message' && w.fieldRules(f).required;
    w.out(`  readonly ${f.name}${required ? '' : '?'}: ${wireType(w, f, kindOf(f))};`);
  });
  w.out('}');
  w.out('');

  // Decode and fromProto both end by assembling the domain value from v0…vN and checking it.
  const writeDomainValue = (): void => {
    const always = fields.map((f, i) => [f, i] as const).filter(([f]) => !isOptional(w, f));
    const optional = fields.map((f, i) => [f, i] as const).filter(([f]) => isOptional(w, f));
    const decl = optional.length > 0 ? `const d: rt.Writable<${n.raw}> =` : 'const d: ' + n.raw + ' =';
    w.out(`  ${decl} { ${always.map(([, i]) => `${domainNames[i]}: v${i}`).join(', ')} };`);
    for (const [, i] of optional) w.out(`  if (v${i} !== undefined) d.${domainNames[i]} = v${i};`);
    writeChecks(w, rules);
    w.out('  return d;');
  };

  // decode.
  const prefix = rules.adapter !== '' ? 'Raw' : '';
  w.out(
    `function decode${prefix}${localName(m)}(value: unknown, path: string, ctx: rt.DecodeContext): ${n.raw} {`,
  );
  w.out(`  ${fields.length === 0 ? '' : 'const o = '}rt.objectIn(value, path, ${JSON.stringify(m.name)});`);
  if (fields.length === 0) {
    w.out('  return {};');
  } else {
    w.out('  let r: unknown;');
    fields.forEach((f, i) => decodeFieldLines(w, f, i).forEach((l) => w.out(`  ${l}`)));
    writeDomainValue();
  }
  w.out('}');
  w.out('');

  // toWire.
  w.out(`function toWire${prefix}${localName(m)}(d: ${n.raw}): ${n.wire} {`);
  if (fields.length === 0) {
    w.out('  return {};');
  } else {
    w.out(`  const w = {} as rt.Writable<${n.wire}>;`);
    fields.forEach((f, i) => {
      const k = kindOf(f);
      const x = `d.${domainNames[i]}`;
      const name = JSON.stringify(`${m.name}.${domainNames[i]}`);
      if (f.fieldKind === 'list') {
        w.out(`  if (rt.listOut(${x}, ${name}).length !== 0)`);
        w.out(`    w.${f.name} = ${x}.map((x) => ${wireScalarExpr(w, k, 'x', name)});`);
      } else if (k.k === 'message' && w.fieldRules(f).required) {
        w.out(`  w.${f.name} = ${x} === undefined ? rt.missing(${name}) : ${wireScalarExpr(w, k, x, name)};`);
      } else if (isOptional(w, f)) {
        w.out(`  if (${x} !== undefined) w.${f.name} = ${wireScalarExpr(w, k, x, name)};`);
      } else {
        w.out(
          `  if (${notDefault(w, k, x).replace('NAME', name)}) w.${f.name} = ${wireScalarExpr(w, k, x, name)};`,
        );
      }
    });
    w.out('  return w;');
  }
  w.out('}');
  w.out('');

  // fromProto.
  w.out(
    `function fromProto${prefix}${localName(m)}(${fields.length === 0 ? '_m' : 'm'}: ${n.pb}, ${fields.length === 0 ? '_path' : 'path'}: string, ${fields.length === 0 ? '_ctx' : 'ctx'}: rt.DecodeContext): ${n.raw} {`,
  );
  if (fields.length === 0) {
    w.out('  return {};');
  } else {
    fields.forEach((f, i) => {
      const k = kindOf(f);
      const rulesF = w.fieldRules(f);
      const name = JSON.stringify(f.name);
      const ctxOf = rulesF.txnNested ? `rt.nestedTxn(ctx, path, ${name})` : 'ctx';
      const local = `m.${f.localName}`;
      if (f.fieldKind === 'list') {
        if (rulesF.txnOps) w.out(`  rt.txnOps(${local}.length, ctx, path, ${name});`);
        if (k.k === 'message') {
          w.out(`  const lp${i} = rt.joinPath(path, ${name});`);
          w.out(
            `  const v${i} = ${local}.map((x, i) => ${fromProtoScalarExpr(w, f, k, 'x', `\`\${lp${i}}[\${i}]\``, ctxOf)});`,
          );
        } else {
          w.out(
            `  const v${i} = ${local}.map((x, i) => ${fromProtoScalarExpr(w, f, k, 'x', 'i', ctxOf).replace('path', `rt.joinPath(path, ${name})`)});`,
          );
        }
      } else if (f.oneof !== undefined) {
        const o = `m.${f.oneof.localName}`;
        w.out(
          `  const v${i} = ${o}.case === ${JSON.stringify(f.localName)} ? ${fromProtoScalarExpr(w, f, k, `${o}.value`, name, ctxOf)} : undefined;`,
        );
      } else if (k.k === 'message') {
        const miss = rulesF.required ? `rt.requiredField(path, ${name})` : 'undefined';
        w.out(
          `  const v${i} = ${local} === undefined ? ${miss} : ${fromProtoScalarExpr(w, f, k, local, name, ctxOf)};`,
        );
      } else {
        w.out(`  const v${i} = ${fromProtoScalarExpr(w, f, k, local, name, ctxOf)};`);
      }
    });
    writeDomainValue();
  }
  w.out('}');
  w.out('');

  // toProto.
  w.out(`function toProto${prefix}${localName(m)}(${fields.length === 0 ? '_d' : 'd'}: ${n.raw}): ${n.pb} {`);
  const props: string[] = [`$typeName: ${JSON.stringify(m.typeName)}`];
  const oneofs = new Map<string, string[]>();
  fields.forEach((f, i) => {
    const k = kindOf(f);
    const x = `d.${domainNames[i]}`;
    const name = JSON.stringify(`${m.name}.${domainNames[i]}`);
    if (f.fieldKind === 'list') {
      props.push(`${f.localName}: ${x}.map((x) => ${protoScalarExpr(w, k, 'x', name)})`);
    } else if (f.oneof !== undefined) {
      const cases = oneofs.get(f.oneof.localName) ?? [];
      cases.push(
        `${x} !== undefined ? { case: ${JSON.stringify(f.localName)} as const, value: ${protoScalarExpr(w, k, x, name)} }`,
      );
      oneofs.set(f.oneof.localName, cases);
    } else if (isOptional(w, f)) {
      props.push(`${f.localName}: ${x} === undefined ? undefined : ${protoScalarExpr(w, k, x, name)}`);
    } else {
      props.push(`${f.localName}: ${protoScalarExpr(w, k, x, name)}`);
    }
  });
  for (const [local, cases] of oneofs) props.push(`${local}: ${cases.join(' : ')} : { case: undefined }`);
  w.out(`  return { ${props.join(', ')} };`);
  w.out('}');
  w.out('');
  writeCodec(w, m, n, rules);
}

function writeChecks(w: FileWriter, rules: MessageRules): void {
  if (rules.check.length === 0) return;
  w.usesChecks = true;
  w.out('  if (ctx.unchecked !== true) {');
  for (const c of rules.check) w.out(`    checks.${c}(d, path);`);
  w.out('  }');
}

// ---- a message whose only oneof is the SDK's { type, payload } ------------------------------

function writeOneofMessage(w: FileWriter, m: DescMessage): void {
  const n = namesOf(w, m);
  const rules = w.messageRules(m);
  const payload = rules.oneofPayload;
  if (m.oneofs.length !== 1 || m.fields.some((f) => f.oneof === undefined))
    throw new Error(`${m.typeName}: oneof_payload needs a message of exactly one oneof`);
  const oneof = m.oneofs[0]!;
  const members = oneof.fields.map((f) => ({ f, type: w.domainName(f), k: kindOf(f) }));
  const names = JSON.stringify(members.map((x) => x.f.name).join(', '));
  const prefix = rules.adapter !== '' ? 'Raw' : '';

  jsdoc(m, '').forEach((l) => w.out(l));
  w.out(`export type ${n.raw} =`);
  for (const x of members)
    w.out(
      `  | { readonly type: ${JSON.stringify(x.type)}; readonly ${payload}: ${domainType(w, x.f, x.k)} }`,
    );
  w.out(';');
  w.out('');
  w.out(`export interface ${n.wire} {`);
  for (const x of members) w.out(`  readonly ${x.f.name}?: ${wireType(w, x.f, x.k)};`);
  w.out('}');
  w.out('');

  w.out(
    `function decode${prefix}${localName(m)}(value: unknown, path: string, ctx: rt.DecodeContext): ${n.raw} {`,
  );
  w.out(`  const o = rt.objectIn(value, path, ${JSON.stringify(m.name)});`);
  w.out(`  let d: ${n.raw} | undefined;`);
  w.out('  let set = 0;');
  w.out('  let r: unknown;');
  for (const x of members) {
    if (x.k.k !== 'message') throw new Error(`${m.typeName}: oneof_payload members must be messages`);
    const name = JSON.stringify(x.f.name);
    const ctxOf = w.fieldRules(x.f).txnNested ? `rt.nestedTxn(ctx, path, ${name})` : 'ctx';
    w.out(`  r = ${rawField(x.f)};`);
    w.out(`  if (r ${x.f.jsonName === x.f.name ? '!= null' : '!== undefined'}) {`);
    w.out(
      `    d = { type: ${JSON.stringify(x.type)}, ${payload}: ${fn(w, x.k.m, 'decode')}(r, rt.joinPath(path, ${name}), ${ctxOf}) };`,
    );
    w.out('    set++;');
    w.out('  }');
  }
  w.out(`  rt.oneMember(set, path, ${names});`);
  w.out('  return d!;');
  w.out('}');
  w.out('');

  w.out(`function toWire${prefix}${localName(m)}(d: ${n.raw}): ${n.wire} {`);
  w.out('  switch (d.type) {');
  for (const x of members) {
    w.out(`    case ${JSON.stringify(x.type)}:`);
    w.out(`      return { ${x.f.name}: ${wireScalarExpr(w, x.k, `d.${payload}`, '')} };`);
  }
  w.out('  }');
  w.out('}');
  w.out('');

  w.out(
    `function fromProto${prefix}${localName(m)}(m: ${n.pb}, path: string, ctx: rt.DecodeContext): ${n.raw} {`,
  );
  w.out(`  const o = m.${oneof.localName};`);
  w.out('  switch (o.case) {');
  for (const x of members) {
    const name = JSON.stringify(x.f.name);
    const ctxOf = w.fieldRules(x.f).txnNested ? `rt.nestedTxn(ctx, path, ${name})` : 'ctx';
    w.out(`    case ${JSON.stringify(x.f.localName)}:`);
    w.out(
      `      return { type: ${JSON.stringify(x.type)}, ${payload}: ${fromProtoScalarExpr(w, x.f, x.k, 'o.value', name, ctxOf)} };`,
    );
  }
  w.out('    default:');
  w.out(`      return rt.oneMember(0, path, ${names}) as never;`);
  w.out('  }');
  w.out('}');
  w.out('');

  w.out(`function toProto${prefix}${localName(m)}(d: ${n.raw}): ${n.pb} {`);
  w.out('  switch (d.type) {');
  for (const x of members) {
    w.out(`    case ${JSON.stringify(x.type)}:`);
    w.out(
      `      return { $typeName: ${JSON.stringify(m.typeName)}, ${oneof.localName}: { case: ${JSON.stringify(x.f.localName)}, value: ${protoScalarExpr(w, x.k, `d.${payload}`, '')} } };`,
    );
  }
  w.out('  }');
  w.out('}');
  w.out('');
  writeCodec(w, m, n, rules);
}

/** The codec constant, and the SDK-facing functions of an adapted message. */
function writeCodec(w: FileWriter, m: DescMessage, n: Names, rules: MessageRules): void {
  const l = localName(m);
  if (rules.adapter !== '') {
    w.usesAdapters = true;
    const a = `adapters.${rules.adapter}`;
    w.out(`export type ${n.domain} = ReturnType<typeof ${a}.fromRaw>;`);
    w.out('');
    w.out(`function decode${l}(value: unknown, path: string, ctx: rt.DecodeContext): ${n.domain} {`);
    w.out(`  return ${a}.fromRaw(decodeRaw${l}(value, path, ctx));`);
    w.out('}');
    w.out(`function toWire${l}(d: ${n.domain}): ${n.wire} {`);
    w.out(`  return toWireRaw${l}(${a}.toRaw(d));`);
    w.out('}');
    w.out(`function fromProto${l}(m: ${n.pb}, path: string, ctx: rt.DecodeContext): ${n.domain} {`);
    w.out(`  return ${a}.fromRaw(fromProtoRaw${l}(m, path, ctx));`);
    w.out('}');
    w.out(`function toProto${l}(d: ${n.domain}): ${n.pb} {`);
    w.out(`  return toProtoRaw${l}(${a}.toRaw(d));`);
    w.out('}');
    w.out('');
  }
  w.out(`export { decode${l}, toWire${l}, fromProto${l}, toProto${l} };`);
  w.out(
    `export const ${constantName(l)}: rt.Codec<${n.domain}, ${n.wire}> = rt.codec(${JSON.stringify(m.name)}, decode${l}, toWire${l}, fromProto${l}, toProto${l});`,
  );
  w.out('');
}

function writeEnum(w: FileWriter, e: DescEnum): void {
  const n = localName(e);
  const { wire, domain } = w.enumValues(e);
  jsdoc(e, '').forEach((l) => w.out(l));
  w.out(`export const ${n}_WIRE = ${JSON.stringify(wire)} as const;`);
  w.out(`export const ${n}_DOMAIN = ${JSON.stringify(domain)} as const;`);
  w.out(`export type ${n} = (typeof ${n}_DOMAIN)[number];`);
  w.out(`export type Wire${n} = (typeof ${n}_WIRE)[number];`);
  w.out('');
}

function generateFile(schema: Schema, ext: Extensions, file: DescFile): void {
  const w = new FileWriter(file, ext);
  const enums: DescEnum[] = [...file.enums];
  const messages: DescMessage[] = [];
  const visit = (m: DescMessage): void => {
    messages.push(m);
    enums.push(...m.nestedEnums);
    m.nestedMessages.forEach(visit);
  };
  file.messages.forEach(visit);
  for (const e of enums) writeEnum(w, e);
  for (const m of messages) {
    if (w.messageRules(m).oneofPayload !== '') writeOneofMessage(w, m);
    else writePlainMessage(w, m);
  }

  const depth = file.name.split('/').length;
  const up = '../'.repeat(depth);
  const base = posix.basename(file.name);
  const f = schema.generateFile(`${file.name}_codec.ts`);
  f.preamble(file);
  f.print(
    "// SDK types, wire JSON types and codecs of this file's messages (tools/protoc-gen-concord-codecs.ts).",
  );
  f.print('');
  f.print(`import * as rt from '${up}codec-runtime.js';`);
  if (w.usesChecks) f.print(`import * as checks from '${up}codec-checks.js';`);
  if (w.usesAdapters) f.print(`import * as adapters from '${up}codec-adapters.js';`);
  f.print(`import type * as pb from './${base}_pb.js';`);
  for (const [alias, path] of [...w.imports].sort()) f.print(`import * as ${alias} from '${path}';`);
  f.print('');
  for (const line of w.lines) f.print(line);
}

const plugin = createEcmaScriptPlugin({
  name: 'protoc-gen-concord-codecs',
  version: 'v1',
  generateTs(schema) {
    const ext = extensionsOf(schema);
    for (const file of schema.files) {
      if (!file.dependencies.some((d) => d.name === OPTIONS_FILE)) continue;
      generateFile(schema, ext, file);
    }
  },
});

runNodeJs(plugin);
