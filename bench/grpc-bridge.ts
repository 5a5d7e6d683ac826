/**
 * `npm run bench -- grpc-bridge [--iterations N]`: the gRPC door's per-request conversion, in
 * process, for a put and a txn: bytes → protobuf message → domain request, and domain response →
 * message → bytes. Two ways, so the ratio shows what the direct mapping saves:
 * - json: the former bridge, through proto3 JSON (toJson → the JSON codecs' validating decoder;
 *   toWire → fromJson), base64 both ways;
 * - direct: the generated codecs' fromProto / toProto (the *_codec.ts files of client/protocol/gen).
 * Prints CPU µs per request (median of 5 runs) and the ratio.
 */
import { fromBinary, fromJson, toBinary, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import {
  codecs,
  decodeMessage,
  decodeProtoMessage,
  ProtocolError,
  withDefaults,
  type Codec,
  type ProtoMessage,
} from '../client/protocol/index.js';
import {
  PutRequestSchema,
  PutResponseSchema,
  TxnRequestSchema,
  TxnResponseSchema,
} from '../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { ArgReader } from './args.js';
import { cpuMicrosPerCall } from './micro.js';
import { median } from './stats.js';

const USAGE = 'usage: npm run bench -- grpc-bridge [--iterations 50000]';

interface Case {
  readonly name: string;
  readonly input: DescMessage;
  readonly output: DescMessage;
  readonly params: Codec<unknown, unknown>;
  readonly result: Codec<unknown, unknown>;
  readonly request: Uint8Array;
  readonly response: unknown;
}

const enc = new TextEncoder();
const header = { clusterId: 0x1234_5678_9abc, memberId: 0x2345_6789_abcd, revision: 123_456, raftTerm: 7 };
const kv = {
  key: enc.encode('bench/key/000123'),
  createRevision: 100_000,
  modRevision: 123_456,
  version: 9,
  value: new Uint8Array(64).fill(120),
  lease: 0,
};

function requestBytes(codec: Codec<unknown, unknown>, desc: DescMessage, domain: unknown): Uint8Array {
  return toBinary(desc, codec.toProto(domain, desc));
}

function cases(): Case[] {
  const put = {
    key: kv.key,
    value: kv.value,
    lease: 0,
    prevKv: false,
    ignoreValue: false,
    ignoreLease: false,
  };
  const txn = {
    compare: [{ key: kv.key, rangeEnd: new Uint8Array(0), result: 'equal', target: 'mod', value: 123_456 }],
    success: [{ type: 'put', request: put }],
    failure: [{ type: 'range', request: withDefaults(codecs.RANGE_REQUEST, { key: kv.key }) }],
  };
  const c = (
    name: string,
    input: DescMessage,
    output: DescMessage,
    params: unknown,
    result: unknown,
    request: unknown,
    response: unknown,
  ): Case => {
    const p = params as Codec<unknown, unknown>;
    return {
      name,
      input,
      output,
      params: p,
      result: result as Codec<unknown, unknown>,
      request: requestBytes(p, input, request),
      response,
    };
  };
  return [
    c('put', PutRequestSchema, PutResponseSchema, codecs.PUT_REQUEST, codecs.PUT_RESPONSE, put, { header }),
    c('txn', TxnRequestSchema, TxnResponseSchema, codecs.TXN_REQUEST, codecs.TXN_RESPONSE, txn, {
      header,
      succeeded: true,
      responses: [{ type: 'put', response: { header } }],
    }),
  ];
}

function viaJson(k: Case): Uint8Array {
  const message = fromBinary(k.input, k.request);
  const decoded = decodeMessage(k.params, toJson(k.input, message, { useProtoFieldName: true }));
  if (decoded instanceof ProtocolError) throw decoded;
  const out = fromJson(k.output, k.result.toWire(k.response) as JsonValue, { ignoreUnknownFields: true });
  return toBinary(k.output, out);
}

function direct(k: Case): Uint8Array {
  const message = fromBinary(k.input, k.request) as unknown as ProtoMessage;
  const decoded = decodeProtoMessage(k.params, message, k.input);
  if (decoded instanceof ProtocolError) throw decoded;
  return toBinary(k.output, k.result.toProto(k.response, k.output));
}

export async function run(argv: string[]): Promise<void> {
  const a = new ArgReader(argv, USAGE);
  let iterations = 50_000;
  for (let f = a.flag(); f !== undefined; f = a.flag()) {
    if (f === '--iterations') iterations = a.integer(f);
    else throw a.unknown(f);
  }
  console.log(
    `gRPC door conversion per request (bytes in → domain; domain → bytes out), CPU µs, median of 5`,
  );
  console.log('| request | via JSON | direct | ratio |');
  console.log('|---|---|---|---|');
  for (const k of cases()) {
    // Both ways give the same bytes; then warm up.
    if (Buffer.compare(viaJson(k), direct(k)) !== 0) throw new Error(`${k.name}: the two ways disagree`);
    cpuMicrosPerCall(() => viaJson(k), iterations / 5);
    cpuMicrosPerCall(() => direct(k), iterations / 5);
    const j: number[] = [];
    const d: number[] = [];
    for (let r = 0; r < 5; r++) {
      j.push(cpuMicrosPerCall(() => viaJson(k), iterations));
      d.push(cpuMicrosPerCall(() => direct(k), iterations));
    }
    const mj = median(j);
    const md = median(d);
    console.log(`| ${k.name} | ${mj.toFixed(2)} | ${md.toFixed(2)} | ${(mj / md).toFixed(1)}× |`);
  }
  await Promise.resolve();
}
