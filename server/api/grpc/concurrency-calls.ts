/**
 * The gRPC door's side of etcd's lock and election services (concurrency/services.ts): unary
 * calls and the Observe stream, with the door's `hasleader` rule, cancellation and metrics.
 */
import type { DescMethod } from '@bufbuild/protobuf';
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import type {
  LeaderRequest,
  LeaderResponse,
} from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import { observeMessages, type ConcurrencyUnary } from '../concurrency/services.js';
import { toErrorBody } from '../errors.js';
import { leaderRequirementFailed, type GrpcContext } from './context.js';
import type { AnyMessage } from './definitions.js';
import { statusOf } from './status.js';
import { abortOnCancel } from './unary.js';

export function concurrencyUnaryHandler(
  ctx: GrpcContext,
  desc: DescMethod,
  entry: ConcurrencyUnary,
): (call: ServerUnaryCall<AnyMessage, AnyMessage>, callback: sendUnaryData<AnyMessage>) => void {
  const name = desc.parent.typeName + '.' + desc.name;
  const onInternal = (e: unknown): void =>
    ctx.logger.error('grpc request failed unexpectedly', { method: name, error: e });
  return (call, callback) => {
    const noLeader = leaderRequirementFailed(ctx, call.metadata);
    if (noLeader !== undefined) {
      callback(noLeader);
      return;
    }
    const abort = abortOnCancel(call);
    entry.serve(ctx, call.request, abort.signal).then(
      (response) => {
        ctx.metrics.observe('grpc', name, 'OK');
        callback(null, response);
      },
      (err: unknown) => {
        ctx.metrics.observe('grpc', name, toErrorBody(err).code);
        callback(statusOf(err, onInternal));
      },
    );
  };
}

/**
 * Observe: writes each leader change as the client reads; ends when the client cancels, or with
 * `stop`'s reason (the member stopping) when `stop` aborts.
 */
export async function serveObserve(
  ctx: GrpcContext,
  call: ServerWritableStream<LeaderRequest, LeaderResponse>,
  stop: AbortSignal,
): Promise<void> {
  const cancelled = abortOnCancel(call);
  const signal = AbortSignal.any([cancelled.signal, stop]);
  try {
    for await (const message of observeMessages(ctx, call.request.name, signal)) {
      if (!call.write(message))
        await new Promise<void>((resolve) => call.once('drain', resolve).once('close', resolve));
    }
  } catch (err) {
    if (cancelled.signal.aborted) return;
    ctx.metrics.observe('grpc', 'v3electionpb.Election.Observe', toErrorBody(err).code);
    call.emit(
      'error',
      statusOf(err, (e) => ctx.logger.error('grpc observe failed unexpectedly', { error: e })),
    );
  }
}
