/**
 * grpc-js service definitions made from the generated protobuf service descriptors: the method
 * paths (`/etcdserverpb.KV/Range`), stream kinds and binary codecs all come from the .proto files,
 * so nothing here repeats etcd's method list.
 */
import {
  fromBinary,
  toBinary,
  type DescMessage,
  type DescService,
  type MessageShape,
} from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

export type AnyMessage = MessageShape<DescMessage>;

/** The definition of every method of `service`, keyed by the method's name as in the .proto. */
export function serviceDefinition(service: DescService): ServiceDefinition {
  const definition: Record<string, MethodDefinition<AnyMessage, AnyMessage>> = {};
  for (const method of service.methods) {
    const input = method.input;
    const output = method.output;
    definition[method.name] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: (message) => Buffer.from(toBinary(input, message)),
      // Throws on bytes that are not a valid message: grpc-js then answers INTERNAL, as etcd does.
      requestDeserialize: (bytes) => fromBinary(input, bytes),
      responseSerialize: (message) => Buffer.from(toBinary(output, message)),
      responseDeserialize: (bytes) => fromBinary(output, bytes),
    };
  }
  return definition;
}
