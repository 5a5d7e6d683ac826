/**
 * gRPC's standard health service, as etcd serves it beside its API. A member is SERVING by the rule
 * of its /health endpoint (a leader is known and no alarm is raised), NOT_SERVING otherwise. The
 * service names known are "" (the member as a whole) and those of the registered services;
 * another name is NOT_FOUND for Check and SERVICE_UNKNOWN for Watch, as the protocol says.
 */
import { create } from '@bufbuild/protobuf';
import {
  status as Status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as Serving,
  HealthCheckResponseSchema,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../../client/protocol/gen/grpc/health/v1/health_pb.js';
import type { ErrorBody } from '../../../client/protocol/index.js';
import type { GrpcContext } from './context.js';
import { statusOf } from './status.js';

/** How often a Watch call looks at the member's health (it has no change notification for alarms). */
const WATCH_INTERVAL_MS = 1_000;

export class HealthService {
  constructor(
    private readonly ctx: GrpcContext,
    private readonly services: ReadonlySet<string>,
  ) {}

  private statusOf(service: string): Serving {
    if (service !== '' && !this.services.has(service)) return Serving.SERVICE_UNKNOWN;
    const h = this.ctx.backend.health();
    return h.ready !== false && h.leaderId !== 0 && h.alarms.length === 0
      ? Serving.SERVING
      : Serving.NOT_SERVING;
  }

  check(
    call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>,
    callback: sendUnaryData<HealthCheckResponse>,
  ): void {
    const status = this.statusOf(call.request.service);
    if (status === Serving.SERVICE_UNKNOWN) {
      callback({ code: Status.NOT_FOUND, details: `unknown service ${call.request.service}` });
      return;
    }
    callback(null, create(HealthCheckResponseSchema, { status }));
  }

  /** A Watch call: the current status now, then each change; `close` ends it (member stopping). */
  watch(
    call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>,
    onFinish: () => void,
  ): {
    close(error: ErrorBody): Promise<void>;
  } {
    let last: Serving | undefined;
    let finished = false;
    const send = (): void => {
      const status = this.statusOf(call.request.service);
      if (status === last || finished) return;
      last = status;
      call.write(create(HealthCheckResponseSchema, { status }));
    };
    const timer = setInterval(send, WATCH_INTERVAL_MS);
    timer.unref();
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      onFinish();
    };
    call.on('cancelled', finish);
    call.on('close', finish);
    call.on('error', finish);
    send();
    return {
      close: (error) => {
        if (finished) return Promise.resolve();
        const written = new Promise<void>((resolve) => call.once('finish', resolve).once('close', resolve));
        call.emit('error', statusOf(error));
        finish();
        return written;
      },
    };
  }
}
