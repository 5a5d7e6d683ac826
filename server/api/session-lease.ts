/**
 * The lease seam of a WebSocket session: `lease.keepAlive` opens a keep-alive stream once its
 * first renewal is answered (keepalive.ts runs the stream), and the connection's cap on open
 * keep-alives. The other lease methods are unary (dispatch.ts).
 */
import {
  ErrorCode,
  ProtocolError,
  type ErrorBody,
  type Method,
  type MethodParams,
  type MethodResult,
} from '../../client/protocol/index.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { KeepAlives, type KeepAliveHost } from './keepalive.js';

export class SessionLeases {
  readonly keepAlives: KeepAlives;

  constructor(
    private readonly backend: ClientBackend,
    host: KeepAliveHost,
  ) {
    this.keepAlives = new KeepAlives(backend, host);
  }

  /** Renews once; the answer opens stream `id` if it could be sent. */
  async openKeepAlive(
    id: number,
    params: MethodParams<'lease.keepAlive'>,
    options: CallOptions,
    respond: (result: MethodResult<'lease.keepAlive'>) => boolean,
  ): Promise<void> {
    const result = await this.backend.leaseKeepAlive(params.id, options);
    if (result.ttlSec <= 0) throw new ProtocolError(ErrorCode.LeaseNotFound, `lease ${params.id} not found`);
    if (respond(result)) this.keepAlives.open(id, params.id);
  }

  /**
   * TOO_MANY_STREAMS when one more keep-alive would pass `limit`, counting those still opening
   * (`inFlight`: the requests in flight on the connection, by id).
   */
  refusal(inFlight: ReadonlyMap<number, Method>, limit: number): ErrorBody | undefined {
    let opening = 0;
    for (const [id, method] of inFlight)
      if (method === 'lease.keepAlive' && !this.keepAlives.has(id)) opening++;
    if (this.keepAlives.size + opening < limit) return undefined;
    return tooManyStreams('keep-alive streams', limit);
  }
}

export function tooManyStreams(kind: string, limit: number): ErrorBody {
  return {
    code: ErrorCode.TooManyStreams,
    message: `this connection has its maximum of ${limit} ${kind}`,
    details: { limit },
  };
}
