/**
 * etcd's v3 gRPC API on the client port (docs/protocol.md, "The gRPC door"): a grpc-js server that
 * owns no port. The client port's listener hands it the connections that speak HTTP/2
 * (`inject`); every service of the .proto files is registered, each method either served over the
 * shared handlers or answered UNIMPLEMENTED naming the method.
 */
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import {
  Server,
  ServerCredentials,
  type ServerDuplexStream,
  type ServerWritableStream,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { Duplex } from 'node:stream';
import { ErrorCode, ProtocolError } from '../../../client/protocol/index.js';
import {
  Auth,
  Cluster,
  KV,
  Lease,
  Maintenance,
  Watch,
  type LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
  type SnapshotRequest,
  type SnapshotResponse,
  type WatchRequest,
  type WatchResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import {
  Health,
  type HealthCheckRequest,
  type HealthCheckResponse,
} from '../../../client/protocol/gen/grpc/health/v1/health_pb.js';
import { Election } from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import { Lock } from '../../../client/protocol/gen/v3lockpb/v3lock_pb.js';
import { CONCURRENCY_UNARY, OBSERVE_PATH } from '../concurrency/services.js';
import type {
  LeaderRequest,
  LeaderResponse,
} from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import { concurrencyUnaryHandler, serveObserve } from './concurrency-calls.js';
import { leaderRequirementFailed, type GrpcContext } from './context.js';
import { serviceDefinition, type AnyMessage } from './definitions.js';
import { HealthService } from './health.js';
import { GrpcKeepAliveStream } from './lease-stream.js';
import { serveSnapshot } from './snapshot-call.js';
import { unimplementedStatus } from './status.js';
import { UNARY_METHODS, unaryHandler } from './unary.js';
import { GrpcWatchStream } from './watch-stream.js';

/** Every service a member registers: etcd's six, its lock and election services, gRPC's health. */
export const SERVICES: readonly DescService[] = [
  KV,
  Watch,
  Lease,
  Cluster,
  Maintenance,
  Auth,
  Lock,
  Election,
  Health,
];

/** etcd's message size rule: the request limit plus room for the gRPC envelope. */
const GRPC_OVERHEAD_BYTES = 512 * 1024;

interface OpenStream {
  close(error: { code: ErrorCode; message: string; details: Record<string, never> }): Promise<void>;
}

export class GrpcDoor {
  private readonly server: Server;
  private readonly injector: ReturnType<Server['createConnectionInjector']>;
  private readonly streams = new Set<OpenStream>();
  /** The connections handed over, until they close. */
  private readonly sockets = new Set<Duplex>();
  private watchStreams = 0;
  private keepAliveStreams = 0;
  private closed = false;
  private readonly health: HealthService;

  constructor(private readonly ctx: GrpcContext) {
    this.health = new HealthService(ctx, new Set(SERVICES.map((s) => s.typeName)));
    this.server = new Server({
      'grpc.max_receive_message_length': ctx.limits.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    });
    for (const service of SERVICES)
      this.server.addService(serviceDefinition(service), this.implement(service));
    this.injector = this.server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  /** Open watch and keep-alive streams (for the API's gauges). */
  streamCounts(): { watchers: number; keepAlives: number } {
    return { watchers: this.watchStreams, keepAlives: this.keepAliveStreams };
  }

  /** Serves a connection speaking HTTP/2 (TLS, if any, already terminated). */
  inject(socket: Duplex): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.injector.injectConnection(socket);
  }

  /**
   * Ends every open stream with UNAVAILABLE, lets calls in flight finish for `graceMs`, then closes
   * the connections.
   */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Each stream's status is handed to its connection, then every connection is closed
    // gracefully (GOAWAY, calls in flight finish) and waited for, so that what was written reaches
    // the client before the listener destroys what is left. Both waits are bounded by graceMs.
    const ended = Promise.all(
      [...this.streams].map((stream) =>
        stream.close({ code: ErrorCode.Unavailable, message: 'etcdserver: server stopped', details: {} }),
      ),
    );
    await withinMs(graceMs, ended);
    this.injector.drain(graceMs);
    const closed = [...this.sockets].map(
      (s) => new Promise<void>((resolve) => s.once('close', () => resolve())),
    );
    await withinMs(graceMs, Promise.all(closed));
    this.server.forceShutdown();
    this.injector.destroy();
    this.ctx.forwarder?.close();
  }

  private implement(service: DescService): UntypedServiceImplementation {
    const impl: UntypedServiceImplementation = {};
    for (const method of service.methods) impl[method.name] = this.handler(service, method);
    return impl;
  }

  private handler(service: DescService, method: DescMethod): UntypedHandleCall {
    const path = `/${service.typeName}/${method.name}`;
    const unary = UNARY_METHODS[path];
    if (unary !== undefined) return unaryHandler(this.ctx, method, unary);
    const concurrency = CONCURRENCY_UNARY[path];
    if (concurrency !== undefined) return concurrencyUnaryHandler(this.ctx, method, concurrency);
    switch (path) {
      case '/etcdserverpb.Watch/Watch':
        return (call: ServerDuplexStream<WatchRequest, WatchResponse>) => {
          if (this.refusedForLeader(call)) return;
          this.watchStreams++;
          const stream: GrpcWatchStream = new GrpcWatchStream(this.ctx, call, () => {
            this.watchStreams--;
            this.streams.delete(stream);
          });
          this.streams.add(stream);
        };
      case '/etcdserverpb.Lease/LeaseKeepAlive':
        return (call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>) => {
          if (this.refusedForLeader(call)) return;
          this.keepAliveStreams++;
          const stream: GrpcKeepAliveStream = new GrpcKeepAliveStream(this.ctx, call, () => {
            this.keepAliveStreams--;
            this.streams.delete(stream);
          });
          this.streams.add(stream);
        };
      case '/grpc.health.v1.Health/Check':
        return this.health.check.bind(this.health);
      case '/grpc.health.v1.Health/Watch':
        return (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
          const stream = this.health.watch(call, () => this.streams.delete(stream));
          this.streams.add(stream);
        };
      case OBSERVE_PATH:
        return (call: ServerWritableStream<LeaderRequest, LeaderResponse>) => {
          if (this.refusedForLeader(call)) return;
          const stop = new AbortController();
          const stream: OpenStream = {
            close: async (error) => stop.abort(new ProtocolError(error.code, error.message)),
          };
          this.streams.add(stream);
          void serveObserve(this.ctx, call, stop.signal).finally(() => this.streams.delete(stream));
        };
      case '/etcdserverpb.Maintenance/Snapshot':
        return (call: ServerWritableStream<SnapshotRequest, SnapshotResponse>) => {
          if (this.refusedForLeader(call)) return;
          void serveSnapshot(this.ctx, call);
        };
      default:
        return notServed(path, method);
    }
  }

  /** etcd's `hasleader` rule for a stream: true if the call was ended for it. */
  private refusedForLeader(call: {
    metadata: ServerDuplexStream<AnyMessage, AnyMessage>['metadata'];
    emit(event: 'error', err: Error): boolean;
  }): boolean {
    const status = leaderRequirementFailed(this.ctx, call.metadata);
    if (status === undefined) return false;
    call.emit('error', status);
    return true;
  }
}

/** Resolves when `promise` settles or after `ms`, whichever comes first. */
async function withinMs(ms: number, promise: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** The handler of a method this member does not serve yet: UNIMPLEMENTED, naming it. */
function notServed(path: string, method: DescMethod): UntypedHandleCall {
  switch (method.methodKind) {
    case 'unary':
    case 'client_streaming':
      return (_call: unknown, callback: (err: Error) => void) => callback(unimplementedStatus(path));
    default:
      return (call: { emit(event: 'error', err: Error): boolean }) => {
        call.emit('error', unimplementedStatus(path));
      };
  }
}
