/**
 * Between the generated protobuf messages of the gRPC door and the domain types the shared
 * handlers take. The mapping is direct (client/protocol/proto-codec.ts): a received message is
 * validated by the same codec, with the same rules and errors, as the gateway's and the
 * WebSocket's JSON, but without going through JSON and base64 (which cost about as much CPU as the
 * rest of a put: bench/door-cpu.ts).
 */
import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import {
  decodeProtoMessage,
  ProtocolError,
  type Codec,
  type ProtoMessage,
} from '../../../client/protocol/index.js';
import type { ApiLimits } from '../options.js';

/** A received message as the domain value `codec` decodes, or the ProtocolError that refuses it. */
export function toDomain<Desc extends DescMessage, D>(
  schema: Desc,
  message: MessageShape<Desc>,
  codec: Codec<D, unknown>,
  limits: ApiLimits,
): D {
  const decoded = decodeProtoMessage(codec, message as unknown as ProtoMessage, schema, { limits });
  if (decoded instanceof ProtocolError) throw decoded;
  return decoded;
}

/** A domain value as the message to send (fields the .proto lacks, Concord's own, are dropped). */
export function toMessage<Desc extends DescMessage, D>(
  schema: Desc,
  value: D,
  codec: Codec<D, unknown>,
): MessageShape<Desc> {
  return codec.toProto(value, schema) as unknown as MessageShape<Desc>;
}
