/**
 * A gRPC client that opens a watch and never reads it: once `maxQueuedWatchBytes` wait for it, its
 * Watch call ends with SLOW_WATCHER's status (RESOURCE_EXHAUSTED), the member's memory stops
 * growing for it, and other clients are served meanwhile. The client is raw node:http2, since a
 * gRPC library reads (and buffers) whatever arrives.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { expect } from 'chai';
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import {
  PutRequestSchema,
  PutResponseSchema,
  StatusRequestSchema,
  StatusResponseSchema,
  WatchRequestSchema,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { RawGrpc } from './grpc-client.js';

/** One gRPC length-prefixed message. */
function grpcFrame(bytes: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

describe('gRPC door: a watch client that does not read', function () {
  this.timeout(60_000);
  let server: TestServer;
  let session: ClientHttp2Session;
  let grpc: RawGrpc;

  before(async () => {
    server = await startTestServer({ maxQueuedWatchBytes: 256 * 1024 });
    grpc = new RawGrpc(server.url);
    session = connect(server.url);
  });
  after(async () => {
    session.destroy();
    grpc.close();
    await server.stop();
  });

  it('ends with RESOURCE_EXHAUSTED while the member serves others', async () => {
    const stream: ClientHttp2Stream = session.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.Watch/Watch',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const trailers = new Promise<Record<string, unknown>>((resolve) => stream.once('trailers', resolve));
    stream.write(
      grpcFrame(
        toBinary(
          WatchRequestSchema,
          create(WatchRequestSchema, {
            requestUnion: {
              case: 'createRequest',
              value: { key: new Uint8Array([0x73]), rangeEnd: new Uint8Array([0x74]) },
            },
          }),
        ),
      ),
    );
    // Reads nothing from now on (the created response included).
    stream.pause();
    const value = new Uint8Array(64 * 1024);
    for (let i = 0; i < 40; i++) {
      await grpc.unary('/etcdserverpb.KV/Put', PutRequestSchema, PutResponseSchema, {
        key: new TextEncoder().encode(`s${i}`),
        value,
      });
    }
    const st = await grpc.unary(
      '/etcdserverpb.Maintenance/Status',
      StatusRequestSchema,
      StatusResponseSchema,
      {},
    );
    expect(st.header?.memberId).to.equal(22n);
    // Now read: what was queued, then the status the call ended with.
    stream.on('data', () => undefined);
    stream.resume();
    const t = await trailers;
    expect(t['grpc-status']).to.equal('8');
    expect(decodeURIComponent(String(t['grpc-message']))).to.contain('watch could not keep up');
  });
});
