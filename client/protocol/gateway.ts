/**
 * The etcd-compatible HTTP JSON gateway on the client port: the same request and response bodies
 * as the WebSocket methods (etcd's v3 messages in proto3 JSON with proto field names), the same
 * paths as etcd (`POST /v3/kv/range`, ...), and etcd's gateway error shape (grpc-gateway v1.16:
 * `{"error", "code", "message", "details"}` with the gRPC code number, and the HTTP status that
 * grpc-gateway maps it to). Streams (`/v3/watch`, `/v3/lease/keepalive`, `/v3/maintenance/snapshot`)
 * answer with newline-delimited `{"result": ...}` objects, as etcd's gateway does.
 */
import { ERROR_CODE_INFO } from './error-codes.js';
import type { ErrorBody } from './errors.js';
import { errorBodyToJson } from './codec.js';
import { METHODS, type Method } from './methods.js';
import type { WireObject } from './codec-runtime.js';
import type { ResponseHeader, WatchCanceled } from './types.js';

/** What a gateway path serves: one method, or the watch stream (body: WatchRequest). */
export type GatewayRoute = { readonly kind: 'method'; readonly method: Method } | { readonly kind: 'watch' };

function buildRoutes(): ReadonlyMap<string, GatewayRoute> {
  const routes = new Map<string, GatewayRoute>();
  for (const spec of Object.values(METHODS)) {
    if (spec.gatewayPath === '/v3/watch') continue;
    routes.set(spec.gatewayPath, { kind: 'method', method: spec.method });
  }
  routes.set('/v3/watch', { kind: 'watch' });
  // etcd's additional bindings for three lease methods.
  routes.set('/v3/kv/lease/revoke', { kind: 'method', method: 'lease.revoke' });
  routes.set('/v3/kv/lease/timetolive', { kind: 'method', method: 'lease.timeToLive' });
  routes.set('/v3/kv/lease/leases', { kind: 'method', method: 'lease.leases' });
  return routes;
}

/** POST paths of the gateway. `/v3beta/...` is served as `/v3/...` (see gatewayRoute). */
export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = buildRoutes();

/** The route of a request path, accepting etcd's deprecated `/v3beta/` prefix; undefined if none. */
export function gatewayRoute(path: string): GatewayRoute | undefined {
  const normalized = path.startsWith('/v3beta/') ? `/v3/${path.slice('/v3beta/'.length)}` : path;
  return GATEWAY_ROUTES.get(normalized);
}

export interface GatewayErrorBody {
  readonly error: string;
  readonly code: number;
  readonly message: string;
  readonly details: readonly WireObject[];
}

/** The `@type` of Concord's error detail in gateway error bodies. */
export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/concord.v1.ErrorInfo';

/**
 * An error as the gateway answers it: the HTTP status and etcd's body. The Concord code and details
 * ride in `details` as a google.protobuf.Any-style object, which etcd clients ignore.
 */
export function gatewayError(body: ErrorBody): {
  readonly httpStatus: number;
  readonly json: GatewayErrorBody;
} {
  const info = ERROR_CODE_INFO[body.code];
  const detail = { '@type': ERROR_INFO_TYPE_URL, ...errorBodyToJson(body) } as WireObject;
  return {
    httpStatus: info.httpStatus,
    json: { error: body.message, code: info.grpcCode, message: body.message, details: [detail] },
  };
}

/** One line of a gateway stream (newline-delimited JSON): a result. */
export function gatewayStreamResult(result: object): string {
  return `${JSON.stringify({ result })}\n`;
}

/**
 * One line of a gateway stream that ends with an error. (Shape of grpc-gateway v1's stream error,
 * from its source as we remember it; etcd clients rarely read it.)
 */
export function gatewayStreamError(body: ErrorBody): string {
  const info = ERROR_CODE_INFO[body.code];
  return `${JSON.stringify({
    error: {
      grpc_code: info.grpcCode,
      http_code: info.httpStatus,
      message: body.message,
      http_status: String(info.httpStatus),
    },
  })}\n`;
}

/**
 * etcd reports the end of a watch inside the stream (a WatchResponse with canceled: true); the
 * WebSocket protocol reports it with an `end` frame. This builds the former from the latter.
 */
export function watchCanceledFromEnd(
  watchId: number,
  header: ResponseHeader,
  error?: ErrorBody,
): WatchCanceled {
  return {
    type: 'canceled',
    header,
    watchId,
    compactRevision: error?.code === 'COMPACTED' ? (error.details.compactRevision ?? 0) : 0,
    cancelReason: error?.message ?? '',
  };
}
