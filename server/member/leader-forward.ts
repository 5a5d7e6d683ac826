/**
 * Forwards a request that only the leader can decide to the leader's client port, as etcd forwards
 * a member promotion to its leader: a follower that receives a membership change sends the same
 * request to the etcd JSON gateway of the leader (`POST /v3/cluster/member/...`), and answers its
 * own client with the leader's answer or the leader's error (same code, message and details). So a
 * client may send membership changes to any member, over the gateway or the WebSocket protocol.
 *
 * The leader's client URLs are the ones it published through Raft. With `--cert-file/--key-file`
 * the member dials https with its own certificate (the leader's `--client-cert-auth` must accept
 * it, as etcd's gateway needs for its own loopback calls) and `--trusted-ca-file` as the trusted CA.
 *
 * A forwarded request that reaches a member that lost leadership meanwhile is forwarded again to
 * the leader that member knows; each hop is to the leader of a newer term, so this ends with the
 * next election at the latest, and every hop is bounded by the request's signal and timeout.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import {
  decodeErrorBody,
  decodeMessage,
  ERROR_CODE_INFO,
  ErrorCode,
  methodSpec,
  type ErrorDetails,
  type MethodParams,
  type MethodResult,
} from '../../client/protocol/index.js';
import { ServerError, unavailable } from '../errors.js';
import type { ForwardedMethod } from './backend-core.js';
import type { TlsFiles } from './config.js';

export type { ForwardedMethod } from './backend-core.js';

/** The leader's answer was an error: its code, message and details, as the leader gave them. */
export class ForwardedError extends ServerError {
  override readonly name = 'ForwardedError';
  constructor(
    code: ErrorCode,
    message: string,
    readonly details: ErrorDetails,
  ) {
    super(code, message, ERROR_CODE_INFO[code].retryable);
  }
}

/** What the member presents to, and trusts of, the leader's https client port. */
interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** Largest answer read from the leader (a member list is a few KiB). */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export class LeaderForwarder {
  private tls: Promise<TlsMaterial> | undefined;

  constructor(
    private readonly tlsFiles: TlsFiles | undefined,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Sends `method` to the first of `urls` that answers; resolves with the leader's result, rejects
   * with its error (ForwardedError) or UNAVAILABLE when no URL could be reached.
   */
  async call<M extends ForwardedMethod>(
    method: M,
    params: MethodParams<M>,
    urls: readonly string[],
    signal?: AbortSignal,
    token?: string,
  ): Promise<MethodResult<M>> {
    const spec = methodSpec(method);
    const body = JSON.stringify((spec.params.toWire as (p: MethodParams<M>) => unknown)(params));
    const failures: string[] = [];
    for (const url of urls) {
      let answer: { status: number; json: unknown };
      try {
        answer = await this.post(new URL(spec.gatewayPath, url), body, signal, token);
      } catch (err) {
        if (signal?.aborted === true) throw err;
        failures.push(`${url}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      if (answer.status === 200) {
        const result = decodeMessage(spec.result, answer.json);
        if (result instanceof Error)
          throw unavailable(`the leader's answer was not understood: ${result.message}`);
        return result as MethodResult<M>;
      }
      throw errorOf(answer.json, answer.status);
    }
    throw unavailable(`could not forward ${method} to the leader (${failures.join('; ')})`);
  }

  private async post(
    url: URL,
    body: string,
    signal?: AbortSignal,
    token?: string,
  ): Promise<{ status: number; json: unknown }> {
    const secure = url.protocol === 'https:';
    const tls = secure ? await (this.tls ??= loadTls(this.tlsFiles)) : {};
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            // The caller's token: with auth on, the leader checks the change as the caller's.
            ...(token === undefined ? {} : { authorization: token }),
          },
          timeout: this.timeoutMs,
          ...(signal === undefined ? {} : { signal }),
          ...tls,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_ANSWER_BYTES)
              req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
            else chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () => {
            try {
              resolve({
                status: res.statusCode ?? 0,
                json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
              });
            } catch {
              reject(new Error(`HTTP ${res.statusCode ?? 0} without a JSON body`));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** The gateway's error body (Concord's error in `details[0]`) as a typed error. */
function errorOf(json: unknown, status: number): ServerError {
  const detail = (json as { details?: unknown[] } | null)?.details?.[0];
  try {
    const body = decodeErrorBody(detail, 'details[0]');
    return new ForwardedError(body.code, body.message, body.details);
  } catch {
    return unavailable(`the leader answered HTTP ${status} without an error body`);
  }
}

async function loadTls(files: TlsFiles | undefined): Promise<TlsMaterial> {
  if (files === undefined) return {};
  return {
    cert: await readFile(files.certFile),
    key: await readFile(files.keyFile),
    ...(files.trustedCaFile !== '' ? { ca: await readFile(files.trustedCaFile) } : {}),
  };
}
