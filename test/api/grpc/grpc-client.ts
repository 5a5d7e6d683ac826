/**
 * A raw gRPC client for tests: calls any method path with the generated message types, or with
 * raw bytes (to send what no encoder would), over @grpc/grpc-js.
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';

export class RawGrpc {
  readonly client: Client;

  constructor(url: string, creds: ChannelCredentials = credentials.createInsecure()) {
    this.client = new Client(url.replace(/^https?:\/\//, ''), creds);
  }

  unary<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
    request: MessageInitShape<I>,
    metadata = new Metadata(),
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
        (b: Buffer) => fromBinary(output, b),
        create(input, request),
        metadata,
        (err: ServiceError | null, res?: MessageShape<O>) =>
          err !== null ? reject(err) : resolve(res as MessageShape<O>),
      );
    });
  }

  /** Sends `bytes` as the request message of `path`; resolves with the raw response bytes. */
  raw(path: string, bytes: Uint8Array): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from(bytes),
        (err: ServiceError | null, res?: Buffer) => (err !== null ? reject(err) : resolve(res as Buffer)),
      );
    });
  }

  /** A bidirectional stream of `path`. */
  bidi<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
    metadata = new Metadata(),
  ) {
    return this.client.makeBidiStreamRequest(
      path,
      (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
      (b: Buffer) => fromBinary(output, b),
      metadata,
    );
  }

  /** A server stream of `path` for one request. */
  serverStream<I extends DescMessage, O extends DescMessage>(
    path: string,
    input: I,
    output: O,
    request: MessageInitShape<I>,
    metadata = new Metadata(),
  ) {
    return this.client.makeServerStreamRequest(
      path,
      (m: MessageShape<I>) => Buffer.from(toBinary(input, m)),
      (b: Buffer) => fromBinary(output, b),
      create(input, request),
      metadata,
    );
  }

  close(): void {
    this.client.close();
  }
}

/** The rejection of `promise` as a gRPC error (fails if it resolves). */
export async function grpcError(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error('expected the call to fail');
}
