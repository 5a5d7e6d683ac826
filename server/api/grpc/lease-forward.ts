/**
 * Keep-alives a follower cannot serve, sent on to the leader. Only the leader's lessor renews, so
 * etcd's followers forward a renewal to their leader; the gRPC door does the same, over the leader's
 * own gRPC port (one short KeepAlive stream per renewal on a connection kept per leader URL).
 * A renewal that was itself forwarded carries the `concord-forwarded` metadata and is never
 * forwarded again, so a leader change cannot make two members bounce it.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import type { SecureContextOptions } from 'node:tls';
import {
  LeaseKeepAliveRequestSchema,
  LeaseKeepAliveResponseSchema,
  type LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';

/** Metadata marking a renewal a follower forwarded. */
export const FORWARDED_METADATA = 'concord-forwarded';

const PATH = '/etcdserverpb.Lease/LeaseKeepAlive';

export class LeaseForwarder {
  private readonly clients = new Map<string, Client>();

  /** `tls`: the member's TLS options; their CA (and certificate, for mutual TLS) reach https leaders. */
  constructor(private readonly tls?: Pick<SecureContextOptions, 'ca' | 'cert' | 'key'>) {}

  /** Renews lease `id` once on the leader at the first of `urls` that answers; its TTL. */
  /** `token`: the client's auth token, passed on so the leader checks the renewal as its own. */
  async renew(id: number, urls: readonly string[], signal: AbortSignal, token?: string): Promise<number> {
    let last: unknown = new Error('no leader URL');
    for (const url of urls) {
      try {
        return await this.renewAt(url, id, signal, token);
      } catch (err) {
        last = err;
        if (signal.aborted) break;
      }
    }
    throw last;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private renewAt(url: string, id: number, signal: AbortSignal, token: string | undefined): Promise<number> {
    const client = this.client(url);
    const metadata = new Metadata();
    metadata.set(FORWARDED_METADATA, '1');
    if (token !== undefined) metadata.set('token', token);
    const call = client.makeBidiStreamRequest<LeaseKeepAliveRequest, LeaseKeepAliveResponse>(
      PATH,
      (m) => Buffer.from(toBinary(LeaseKeepAliveRequestSchema, m)),
      (b) => fromBinary(LeaseKeepAliveResponseSchema, b),
      metadata,
      { deadline: Date.now() + 5_000 },
    );
    return new Promise<number>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        call.cancel();
      };
      call.once('data', (res: LeaseKeepAliveResponse) => {
        resolve(Number(res.TTL));
        done();
      });
      call.once('error', (err: Error) => {
        reject(err);
        done();
      });
      call.write(create(LeaseKeepAliveRequestSchema, { ID: BigInt(id) }));
    });
  }

  private client(url: string): Client {
    let client = this.clients.get(url);
    if (client === undefined) {
      const u = new URL(url);
      client = new Client(u.host, u.protocol === 'https:' ? this.secure() : credentials.createInsecure());
      this.clients.set(url, client);
    }
    return client;
  }

  private secure(): ChannelCredentials {
    const ca = pemOf(this.tls?.ca);
    const key = pemOf(this.tls?.key);
    const cert = pemOf(this.tls?.cert);
    return key !== null && cert !== null ? credentials.createSsl(ca, key, cert) : credentials.createSsl(ca);
  }
}

/** PEM text or bytes (or a list of them) as one buffer; null for anything else (a KeyObject). */
function pemOf(v: unknown): Buffer | null {
  if (typeof v === 'string') return Buffer.from(v);
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (Array.isArray(v) && v.length > 0) {
    const parts = v.map(pemOf);
    return parts.every((p) => p !== null) ? Buffer.concat(parts as Buffer[]) : null;
  }
  return null;
}
