/**
 * One `POST /v3/watch` of the HTTP gateway: etcd's watch stream carried by one HTTP response, a
 * thin door over watch-etcd-stream.ts (which answers as etcd does: created, events, fragments,
 * progress, canceled) and the shared core under it.
 *
 * The body holds WatchRequests one after another (create, cancel, progress), as etcd's gateway
 * reads them from the body; they are served in order, and every answer is a `{"result": ...}` line
 * of the response, as etcd writes them. Back-pressure: while `res.write()` has said false, nothing
 * is written until 'drain'.
 *
 * Since the body is read whole before the first line, no request can arrive later: the response
 * ends when no watch is left (etcd keeps its stream open until the client closes it; a client sees
 * the same lines, then the end). It also ends when the client goes, when the client does not read
 * (every watch gets a SLOW_WATCHER `canceled` line), and when the member stops.
 */
import type { ServerResponse } from 'node:http';
import {
  codecs,
  ErrorCode,
  gatewayStreamResult,
  ProtocolError,
  type ErrorBody,
  type WatchRequest,
  type WatchResponse,
} from '../../client/protocol/index.js';
import type { CallOptions } from './backend.js';
import { EtcdWatchStream, type EtcdWatchContext } from './watch-etcd-stream.js';

export type GatewayWatchContext = EtcdWatchContext;

export class GatewayWatchStream {
  private readonly stream: EtcdWatchStream;
  /** The body's requests are still being served (so the stream may not end for lack of watches). */
  private serving = true;
  private finished = false;
  private resolveDone: () => void = () => undefined;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    ctx: GatewayWatchContext,
    private readonly res: ServerResponse,
    signal: AbortSignal,
    /** The request's `Authorization` token: each watch created is checked with it. */
    token?: string,
    /** The user of the connection's verified client certificate (used when there is no token). */
    certUser?: string,
  ) {
    const options: CallOptions = {
      signal,
      ...(token === undefined ? {} : { token }),
      ...(certUser === undefined ? {} : { certUser }),
    };
    this.stream = new EtcdWatchStream(
      ctx,
      'http',
      {
        write: (response, refusedCreate) => this.line(response, refusedCreate),
        // res.write() said false: wait for 'drain'.
        isCongested: () => res.writableNeedDrain,
        ended: () => this.finish(),
        watchEnded: () => this.endIfNoWatch(),
      },
      options,
    );
    res.on('drain', () => this.stream.drained());
    res.on('close', () => this.finish());
    signal.addEventListener('abort', () => this.finish(), { once: true });
  }

  /** Answers 200, serves `requests` in order, then streams until the stream ends (file header). */
  async run(requests: readonly WatchRequest[]): Promise<void> {
    this.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    if (this.res.destroyed) this.finish();
    for (const request of requests) {
      if (this.finished) break;
      await this.stream.serve(request);
    }
    this.serving = false;
    this.endIfNoWatch();
    await this.done;
  }

  /** Ends the stream: every open watch gets a `canceled` line with `reason` (member stopping). */
  close(reason: string): void {
    this.finish({ code: ErrorCode.Unavailable, message: reason, details: {} });
  }

  private endIfNoWatch(): void {
    if (!this.serving && this.stream.size === 0) this.finish();
  }

  /** Ends the response once; with `error`, each open watch first gets a `canceled` line. */
  private finish(error?: ErrorBody): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.close(error);
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
    this.resolveDone();
  }

  private line(response: WatchResponse, refusedCreate: boolean): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    const wire = codecs.WATCH_RESPONSE.toWire(response);
    if (refusedCreate) {
      // etcd's answer to a refused create: `created` and `canceled` both set, after watch_id.
      const { header, watch_id, ...rest } = wire;
      this.res.write(gatewayStreamResult({ header, watch_id, created: true, ...rest }));
      return;
    }
    this.res.write(gatewayStreamResult(wire));
  }
}

/** The body of `/v3/watch` as requests, or the ProtocolError of the first that is not one. */
export function watchRequestsOf(
  values: readonly unknown[],
  decode: (value: unknown) => WatchRequest | ProtocolError,
): { requests: WatchRequest[]; error?: ProtocolError } {
  const requests: WatchRequest[] = [];
  for (const value of values) {
    const request = decode(value);
    if (request instanceof ProtocolError) return { requests, error: request };
    requests.push(request);
  }
  return { requests };
}
