/**
 * `npm run bench -- ws-bodies [--iterations N]`: what the WebSocket protocol's bodies cost to code,
 * per put, on each side, three ways:
 * - json: today's whole frames, JSON text with the validating codecs generated from the .proto
 *   (client/protocol/gen/**\/*_codec.ts, by tools/protoc-gen-concord-codecs.ts; codec.ts);
 * - json-body: the same codecs on the body alone (params / result), to compare like with like;
 * - pb-json: the same JSON text read by @bufbuild/protobuf's reflective decoder (fromJson, then the
 *   codecs' fromProto for the domain rules) and written by its toJson: JSON from the descriptors
 *   at run time instead of generated code;
 * - binary: protobuf binary bodies (fromBinary/toBinary with fromProto/toProto); the envelope
 *   (type, id, method: a few bytes) is left out, as in pb-json and json-body.
 * - baseline (with `--baseline <dist>`): json-body with the codecs of another build of Concord (its
 *   dist/ folder, e.g. a build of the commit before the codecs were generated), to measure a change
 *   of the codecs against the code it replaces.
 * Prints CPU µs per put (median of 5 runs) for the server (decode the request, encode the response)
 * and the client (encode the request, decode the response), then the ratios: generated codecs vs
 * reflective JSON (pb-json), and vs the baseline when given.
 */
import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import {
  codecs,
  decodeClientFrame,
  decodeMessage,
  decodeProtoMessage,
  decodeServerFrame,
  encodeFrame,
  ProtocolError,
  type ProtoMessage,
} from '../client/protocol/index.js';
import { PutRequestSchema, PutResponseSchema } from '../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArgReader } from './args.js';
import { cpuMicrosPerCall } from './micro.js';
import { median } from './stats.js';

const USAGE =
  'usage: npm run bench -- ws-bodies [--iterations 50000] [--baseline <dist dir of another build>]';

const enc = new TextEncoder();
const put = {
  key: enc.encode('bench/key/000123'),
  value: new Uint8Array(64).fill(120),
  lease: 0,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
};
const header = { clusterId: 0x1234_5678_9abc, memberId: 0x2345_6789_abcd, revision: 123_456, raftTerm: 7 };
const result = { header };

function must<T>(v: T | ProtocolError): T {
  if (v instanceof ProtocolError) throw v;
  return v;
}

type Side = { readonly server: () => unknown; readonly client: () => unknown };

/** What the baseline build must offer: the message codecs' JSON API, unchanged since the first one. */
interface BaselineProtocol {
  readonly codecs: {
    readonly PUT_REQUEST: { toWire(d: unknown): unknown };
    readonly PUT_RESPONSE: { toWire(d: unknown): unknown };
  };
  decodeMessage(codec: unknown, value: unknown): unknown;
}

async function baselineSide(dist: string): Promise<Side> {
  const url = pathToFileURL(join(resolve(dist), 'client', 'protocol', 'index.js')).href;
  const b = (await import(url)) as BaselineProtocol;
  const paramsText = JSON.stringify(b.codecs.PUT_REQUEST.toWire(put));
  const resultText = JSON.stringify(b.codecs.PUT_RESPONSE.toWire(result));
  const check = (v: unknown): unknown => {
    if (v instanceof Error) throw v;
    return v;
  };
  return {
    server: () => {
      check(b.decodeMessage(b.codecs.PUT_REQUEST, JSON.parse(paramsText)));
      return JSON.stringify(b.codecs.PUT_RESPONSE.toWire(result));
    },
    client: () => {
      JSON.stringify(b.codecs.PUT_REQUEST.toWire(put));
      return check(b.decodeMessage(b.codecs.PUT_RESPONSE, JSON.parse(resultText)));
    },
  };
}

function ways(): Record<'json' | 'json-body' | 'pb-json' | 'binary', Side> {
  const requestText = encodeFrame({ type: 'request', id: 7, method: 'kv.put', params: put });
  const responseText = encodeFrame({ type: 'response', id: 7, method: 'kv.put', result });
  const requestBin = toBinary(PutRequestSchema, codecs.PUT_REQUEST.toProto(put, PutRequestSchema) as never);
  const responseBin = toBinary(
    PutResponseSchema,
    codecs.PUT_RESPONSE.toProto(result, PutResponseSchema) as never,
  );
  const paramsText = JSON.stringify(codecs.PUT_REQUEST.toWire(put));
  const resultText = JSON.stringify(codecs.PUT_RESPONSE.toWire(result));
  return {
    json: {
      server: () => {
        must(decodeClientFrame(requestText));
        return encodeFrame({ type: 'response', id: 7, method: 'kv.put', result });
      },
      client: () => {
        encodeFrame({ type: 'request', id: 7, method: 'kv.put', params: put });
        return must(decodeServerFrame(responseText, () => 'kv.put'));
      },
    },
    'json-body': {
      server: () => {
        must(decodeMessage(codecs.PUT_REQUEST, JSON.parse(paramsText)));
        return JSON.stringify(codecs.PUT_RESPONSE.toWire(result));
      },
      client: () => {
        JSON.stringify(codecs.PUT_REQUEST.toWire(put));
        return must(decodeMessage(codecs.PUT_RESPONSE, JSON.parse(resultText)));
      },
    },
    'pb-json': {
      server: () => {
        const m = fromJson(PutRequestSchema, JSON.parse(paramsText) as JsonValue, {
          ignoreUnknownFields: true,
        });
        must(decodeProtoMessage(codecs.PUT_REQUEST, m as unknown as ProtoMessage, PutRequestSchema));
        const out = codecs.PUT_RESPONSE.toProto(result, PutResponseSchema);
        return JSON.stringify(toJson(PutResponseSchema, out as never, { useProtoFieldName: true }));
      },
      client: () => {
        const out = codecs.PUT_REQUEST.toProto(put, PutRequestSchema);
        JSON.stringify(toJson(PutRequestSchema, out as never, { useProtoFieldName: true }));
        const m = fromJson(PutResponseSchema, JSON.parse(resultText) as JsonValue, {
          ignoreUnknownFields: true,
        });
        return must(decodeProtoMessage(codecs.PUT_RESPONSE, m as unknown as ProtoMessage, PutResponseSchema));
      },
    },
    binary: {
      server: () => {
        const m = fromBinary(PutRequestSchema, requestBin) as unknown as ProtoMessage;
        must(decodeProtoMessage(codecs.PUT_REQUEST, m, PutRequestSchema));
        return toBinary(PutResponseSchema, codecs.PUT_RESPONSE.toProto(result, PutResponseSchema) as never);
      },
      client: () => {
        toBinary(PutRequestSchema, codecs.PUT_REQUEST.toProto(put, PutRequestSchema) as never);
        const m = fromBinary(PutResponseSchema, responseBin) as unknown as ProtoMessage;
        return must(decodeProtoMessage(codecs.PUT_RESPONSE, m, PutResponseSchema));
      },
    },
  };
}

export async function run(argv: string[]): Promise<void> {
  const a = new ArgReader(argv, USAGE);
  let iterations = 50_000;
  let baseline: string | undefined;
  for (let f = a.flag(); f !== undefined; f = a.flag()) {
    if (f === '--iterations') iterations = a.integer(f);
    else if (f === '--baseline') baseline = a.value(f);
    else throw a.unknown(f);
  }
  // The JSON codecs and the protobuf path agree on the request (guards the comparison itself).
  const w: Record<string, Side> = ways();
  if (baseline !== undefined) w['baseline'] = await baselineSide(baseline);
  const viaJson = must(decodeMessage(codecs.PUT_REQUEST, codecs.PUT_REQUEST.toWire(put)));
  const viaBinary = must(
    decodeProtoMessage(
      codecs.PUT_REQUEST,
      fromBinary(
        PutRequestSchema,
        toBinary(PutRequestSchema, codecs.PUT_REQUEST.toProto(put, PutRequestSchema) as never),
      ) as unknown as ProtoMessage,
      PutRequestSchema,
    ),
  );
  if (
    JSON.stringify(codecs.PUT_REQUEST.toWire(viaJson)) !==
    JSON.stringify(codecs.PUT_REQUEST.toWire(viaBinary))
  )
    throw new Error('the JSON and binary paths disagree');
  const names = Object.keys(w);
  const samples = new Map<string, number[]>();
  for (const n of names)
    for (const side of ['server', 'client'] as const) cpuMicrosPerCall(w[n]![side], iterations / 5);
  for (let r = 0; r < 5; r++)
    for (const n of names)
      for (const side of ['server', 'client'] as const) {
        const key = `${n}/${side}`;
        samples.set(key, [...(samples.get(key) ?? []), cpuMicrosPerCall(w[n]![side], iterations)]);
      }
  console.log('WebSocket body coding per put (64-byte value), CPU µs, median of 5');
  console.log(
    '| bodies | server (decode request + encode response) | client (encode + decode) | server vs json-body |',
  );
  console.log('|---|---|---|---|');
  const base = median(samples.get('json-body/server')!);
  for (const n of names) {
    const s = median(samples.get(`${n}/server`)!);
    const c = median(samples.get(`${n}/client`)!);
    console.log(`| ${n} | ${s.toFixed(2)} | ${c.toFixed(2)} | ${(s / base).toFixed(2)}× |`);
  }
  const ratio = (way: string, side: 'server' | 'client'): string =>
    (median(samples.get(`${way}/${side}`)!) / median(samples.get(`json-body/${side}`)!)).toFixed(2);
  console.log(
    `generated JSON codecs are ${ratio('pb-json', 'server')}× (member) and ${ratio('pb-json', 'client')}× (client) ` +
      "as fast as @bufbuild's reflective JSON",
  );
  if (baseline !== undefined)
    console.log(
      `generated JSON codecs are ${ratio('baseline', 'server')}× (member) and ${ratio('baseline', 'client')}× (client) ` +
        `as fast as the codecs of ${baseline}`,
    );
  await Promise.resolve();
}
