/**
 * etcd's `Snapshot` method: the member's state as a stream of blobs of `snapshotChunkBytes`, each
 * with the bytes still to come, the last with 0; written as fast as the client reads.
 */
import { create } from '@bufbuild/protobuf';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { codecs } from '../../../client/protocol/index.js';
import {
  ResponseHeaderSchema,
  SnapshotResponseSchema,
  type SnapshotRequest,
  type SnapshotResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { rechunk } from '../rechunk.js';
import { toMessage } from './bridge.js';
import type { GrpcContext } from './context.js';
import { statusOf } from './status.js';
import { abortOnCancel } from './unary.js';
import { grpcCallOptions } from './auth-service.js';

export async function serveSnapshot(
  ctx: GrpcContext,
  call: ServerWritableStream<SnapshotRequest, SnapshotResponse>,
): Promise<void> {
  const abort = abortOnCancel(call);
  try {
    const snap = await ctx.backend.snapshot(grpcCallOptions(call, abort.signal));
    const header = toMessage(ResponseHeaderSchema, snap.header, codecs.RESPONSE_HEADER);
    let remaining = snap.sizeBytes;
    for await (const blob of rechunk(snap.chunks, ctx.limits.snapshotChunkBytes)) {
      if (abort.signal.aborted) return;
      remaining -= blob.length;
      const message = create(SnapshotResponseSchema, {
        header,
        remainingBytes: BigInt(Math.max(0, remaining)),
        blob,
        version: snap.version,
      });
      if (!call.write(message))
        await new Promise<void>((resolve) => call.once('drain', resolve).once('close', resolve));
    }
    ctx.metrics.observe('grpc', 'maintenance.snapshot', 'OK');
    call.end();
  } catch (err) {
    call.emit(
      'error',
      statusOf(err, (e) => ctx.logger.error('grpc snapshot failed unexpectedly', { error: e })),
    );
  }
}
