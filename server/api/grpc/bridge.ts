/**
 * Between the generated protobuf messages of the gRPC door and the domain types the shared
 * handlers take. The bridge goes through the gateway's JSON (proto3 JSON with proto field names,
 * which is what the client/protocol codecs read and write), so a request reaching the backend by
 * gRPC has passed exactly the validation of one reaching it through the gateway or the WebSocket:
 * the three doors cannot drift. (When the hand-written codecs give way to the generated ones, this
 * file becomes a direct mapping.)
 */
import { fromJson, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { decodeMessage, ProtocolError, type Codec } from '../../../client/protocol/index.js';
import type { ApiLimits } from '../options.js';

/** A received message as the domain value `codec` decodes, or the ProtocolError that refuses it. */
export function toDomain<Desc extends DescMessage, D>(
  schema: Desc,
  message: MessageShape<Desc>,
  codec: Codec<D, unknown>,
  limits: ApiLimits,
): D {
  const json = toJson(schema, message, { useProtoFieldName: true });
  const decoded = decodeMessage(codec, json, { limits });
  if (decoded instanceof ProtocolError) throw decoded;
  return decoded;
}

/** A domain value as the message to send (fields the .proto lacks, Concord's own, are dropped). */
export function toMessage<Desc extends DescMessage, D>(
  schema: Desc,
  value: D,
  codec: Codec<D, unknown>,
): MessageShape<Desc> {
  return fromWire(schema, codec.toWire(value));
}

/** A gateway-JSON object (as the codecs' `toWire` give) as a message. */
export function fromWire<Desc extends DescMessage>(schema: Desc, wire: unknown): MessageShape<Desc> {
  return fromJson(schema, wire as JsonValue, { ignoreUnknownFields: true });
}
