/**
 * The JSON gateway's side of etcd's lock and election services (concurrency/services.ts):
 * `/v3/lock/*` and `/v3/election/*`, with bodies in proto3 JSON read and written from the generated
 * messages (proto field names, 64-bit numbers as strings, bytes in base64, defaults omitted).
 * `/v3/election/observe` answers with one `{"result": ...}` line per leader change.
 */
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import type { ServerResponse } from 'node:http';
import { ErrorCode, gatewayStreamResult, ProtocolError } from '../../client/protocol/index.js';
import {
  LeaderRequestSchema,
  LeaderResponseSchema,
} from '../../client/protocol/gen/v3electionpb/v3election_pb.js';
import {
  concurrencyGatewayEntry,
  observeMessages,
  OBSERVE_GATEWAY_PATH,
  type ConcurrencyContext,
} from './concurrency/services.js';

export { OBSERVE_GATEWAY_PATH };

/** Whether the gateway path is one of the lock and election services'. */
export function isConcurrencyPath(path: string): boolean {
  return path === OBSERVE_GATEWAY_PATH || concurrencyGatewayEntry(path) !== undefined;
}

function readMessage<D extends DescMessage>(schema: D, body: string): MessageShape<D> {
  let json: JsonValue;
  try {
    json = body.trim() === '' ? {} : (JSON.parse(body) as JsonValue);
  } catch (cause) {
    throw new ProtocolError(ErrorCode.InvalidArgument, 'request body is not valid JSON', { cause });
  }
  try {
    return fromJson(schema, json, { ignoreUnknownFields: true });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ProtocolError(
      ErrorCode.InvalidArgument,
      `request body does not match ${schema.name}: ${reason}`,
      {
        cause,
      },
    );
  }
}

/**
 * Serves one unary path: resolves with the response body, or rejects with the error the gateway
 * turns into its error reply.
 */
export async function serveConcurrencyUnary(
  ctx: ConcurrencyContext,
  path: string,
  body: string,
  signal: AbortSignal,
): Promise<string> {
  const entry = concurrencyGatewayEntry(path);
  if (entry === undefined) throw new ProtocolError(ErrorCode.Unimplemented, `${path} is not served`);
  const response = await entry.serve(ctx, readMessage(entry.input, body), signal);
  return JSON.stringify(toJson(entry.output, response, { useProtoFieldName: true }));
}

/**
 * `/v3/election/observe`: reads the request (rejecting before anything is written if it cannot),
 * calls `start` to open the stream, then writes one line per leader change, as fast as the client
 * reads, until `signal` aborts; rejects if the observation fails after the stream started.
 */
export async function serveObserveLines(
  ctx: ConcurrencyContext,
  body: string,
  res: ServerResponse,
  start: () => void,
  signal: AbortSignal,
): Promise<void> {
  const request = readMessage(LeaderRequestSchema, body);
  start();
  for await (const message of observeMessages(ctx, request.name, signal)) {
    const line = gatewayStreamResult(
      toJson(LeaderResponseSchema, message, { useProtoFieldName: true }) as object,
    );
    if (!res.write(line))
      await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
  }
}
