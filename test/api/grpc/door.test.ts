/**
 * The gRPC door on the client port, against the in-memory backend: the listener routes HTTP/2 to
 * gRPC and HTTP/1.1 to the rest on one port (cleartext and TLS with ALPN), methods answer over the
 * shared handlers with etcd's status codes and texts, and bad input gets a coded error while the
 * member keeps serving.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  LeaseGrantRequestSchema,
  LeaseGrantResponseSchema,
  LeaseRevokeRequestSchema,
  LeaseRevokeResponseSchema,
  MemberListRequestSchema,
  MemberListResponseSchema,
  PutRequestSchema,
  PutResponseSchema,
  RangeRequestSchema,
  RangeResponseSchema,
  StatusRequestSchema,
  StatusResponseSchema,
  WatchRequestSchema,
  WatchResponseSchema,
  DowngradeRequestSchema,
  DowngradeResponseSchema,
  LeaseKeepAliveRequestSchema,
  LeaseKeepAliveResponseSchema,
  type LeaseKeepAliveResponse,
  type WatchResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import {
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
} from '../../../client/protocol/gen/grpc/health/v1/health_pb.js';
import { startClientApi } from '../../../server/api/index.js';
import { eventually } from '../../helpers/eventually.js';
import { createTestPki } from '../../helpers/tls.js';
import { FakeBackend } from '../fake-backend.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { grpcError, RawGrpc } from './grpc-client.js';

/** Waits until `assert` stops throwing. */
const until = (what: string, assert: () => void): Promise<true> =>
  eventually(what, () => {
    assert();
    return true as const;
  });

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('gRPC door', () => {
  let server: TestServer;
  let grpc: RawGrpc;

  beforeEach(async () => {
    server = await startTestServer();
    grpc = new RawGrpc(server.url);
  });
  afterEach(async () => {
    grpc.close();
    await server.stop();
  });

  it('serves gRPC and HTTP/1.1 on the same port', async () => {
    await grpc.unary('/etcdserverpb.KV/Put', PutRequestSchema, PutResponseSchema, {
      key: enc('k'),
      value: enc('v'),
    });
    const got = await grpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, {
      key: enc('k'),
    });
    expect(got.kvs.map((kv) => dec(kv.value))).to.deep.equal(['v']);
    expect(got.header?.clusterId).to.equal(11n);
    expect(got.header?.memberId).to.equal(22n);
    expect(got.header?.raftTerm).to.equal(3n);
    expect(got.header?.revision).to.equal(BigInt(server.backend.revision));
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).to.deep.equal({ health: 'true' });
    const gateway = await fetch(`${server.url}/v3/kv/range`, {
      method: 'POST',
      body: JSON.stringify({ key: Buffer.from('k').toString('base64') }),
    });
    const json = (await gateway.json()) as { kvs: { value: string }[] };
    expect(json.kvs.map((kv) => Buffer.from(kv.value, 'base64').toString())).to.deep.equal(['v']);
  });

  it("answers errors with etcd's status codes and texts", async () => {
    const future = await grpcError(
      grpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, {
        key: enc('k'),
        revision: 1000n,
      }),
    );
    expect(future.code).to.equal(status.OUT_OF_RANGE);
    expect(future.details).to.equal('etcdserver: mvcc: required revision is a future revision');
    const lease = await grpcError(
      grpc.unary('/etcdserverpb.Lease/LeaseRevoke', LeaseRevokeRequestSchema, LeaseRevokeResponseSchema, {
        ID: 12345n,
      }),
    );
    expect(lease.code).to.equal(status.NOT_FOUND);
    expect(lease.details).to.equal('etcdserver: requested lease not found');
    expect(lease.metadata.get('concord-error-code')).to.deep.equal(['LEASE_NOT_FOUND']);
    const empty = await grpcError(
      grpc.unary('/etcdserverpb.KV/Put', PutRequestSchema, PutResponseSchema, { value: enc('v') }),
    );
    expect(empty.code).to.equal(status.INVALID_ARGUMENT);
    expect(empty.details).to.equal('etcdserver: key is not provided');
  });

  it('answers UNIMPLEMENTED for methods not served and for unknown ones', async () => {
    const downgrade = await grpcError(
      grpc.unary('/etcdserverpb.Maintenance/Downgrade', DowngradeRequestSchema, DowngradeResponseSchema, {}),
    );
    expect(downgrade.code).to.equal(status.UNIMPLEMENTED);
    expect(downgrade.details).to.contain('/etcdserverpb.Maintenance/Downgrade');
    const unknown = await grpcError(grpc.raw('/etcdserverpb.KV/Nope', new Uint8Array(0)));
    expect(unknown.code).to.equal(status.UNIMPLEMENTED);
  });

  it('answers a malformed message INTERNAL and keeps serving', async () => {
    // A field 1 (bytes) whose length runs past the end of the message.
    const bad = await grpcError(grpc.raw('/etcdserverpb.KV/Range', new Uint8Array([0x0a, 0x7f, 0x01])));
    expect(bad.code).to.equal(status.INTERNAL);
    const other = new RawGrpc(server.url);
    try {
      const st = await other.unary(
        '/etcdserverpb.Maintenance/Status',
        StatusRequestSchema,
        StatusResponseSchema,
        {},
      );
      expect(st.header?.memberId).to.equal(22n);
    } finally {
      other.close();
    }
    const again = await grpc.unary(
      '/etcdserverpb.Cluster/MemberList',
      MemberListRequestSchema,
      MemberListResponseSchema,
      {},
    );
    expect(again.members.map((m) => m.name)).to.deep.equal(['m1']);
  });

  it('refuses a message over the size limit with RESOURCE_EXHAUSTED', async () => {
    const huge = toBinary(
      PutRequestSchema,
      create(PutRequestSchema, { key: enc('k'), value: new Uint8Array(3 * 1024 * 1024) }),
    );
    const err = await grpcError(grpc.raw('/etcdserverpb.KV/Put', huge));
    expect(err.code).to.equal(status.RESOURCE_EXHAUSTED);
    const ok = await grpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, {
      key: enc('k'),
    });
    expect(ok.count).to.equal(0n);
  });

  it('honours hasleader: UNAVAILABLE "etcdserver: no leader" without a leader', async () => {
    server.backend.leaderId = 0;
    const md = new Metadata();
    md.set('hasleader', 'true');
    const err = await grpcError(
      grpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, { key: enc('k') }, md),
    );
    expect(err.code).to.equal(status.UNAVAILABLE);
    expect(err.details).to.equal('etcdserver: no leader');
    const without = await grpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, {
      key: enc('k'),
    });
    expect(without.count).to.equal(0n);
  });

  it('runs watches on one stream: create with client ids, events with prev_kv, cancel, compaction', async () => {
    const first = await grpc.unary('/etcdserverpb.KV/Put', PutRequestSchema, PutResponseSchema, {
      key: enc('w/a'),
      value: enc('1'),
    });
    const startRev = first.header?.revision ?? 0n;
    const stream = grpc.bidi('/etcdserverpb.Watch/Watch', WatchRequestSchema, WatchResponseSchema);
    const got: WatchResponse[] = [];
    stream.on('data', (r: WatchResponse) => got.push(r));
    stream.on('error', () => undefined);
    stream.write(
      create(WatchRequestSchema, {
        requestUnion: {
          case: 'createRequest',
          value: { key: enc('w/'), rangeEnd: enc('w0'), startRevision: startRev, prevKv: true, watchId: 7n },
        },
      }),
    );
    await until('created', () => expect(got.some((r) => r.watchId === 7n && r.created)).to.equal(true));
    await grpc.unary('/etcdserverpb.KV/Put', PutRequestSchema, PutResponseSchema, {
      key: enc('w/a'),
      value: enc('2'),
    });
    await until('both events', () => {
      const events = got.filter((r) => r.watchId === 7n).flatMap((r) => r.events);
      expect(events.map((e) => dec(e.kv?.value ?? new Uint8Array()))).to.deep.equal(['1', '2']);
      expect(dec(events[1]?.prevKv?.value ?? new Uint8Array())).to.equal('1');
    });
    // A second create with the same id is refused as etcd refuses it.
    stream.write(
      create(WatchRequestSchema, {
        requestUnion: { case: 'createRequest', value: { key: enc('x'), watchId: 7n } },
      }),
    );
    await until('the duplicate id refused', () =>
      expect(got.some((r) => r.watchId === -1n && r.created && r.canceled)).to.equal(true),
    );
    stream.write(
      create(WatchRequestSchema, { requestUnion: { case: 'cancelRequest', value: { watchId: 7n } } }),
    );
    await until('canceled', () => expect(got.some((r) => r.watchId === 7n && r.canceled)).to.equal(true));
    // A watch from a compacted revision: created, then canceled with the compaction revision.
    server.backend.compactRevision = Number(startRev) + 1;
    stream.write(
      create(WatchRequestSchema, {
        requestUnion: { case: 'createRequest', value: { key: enc('w/a'), startRevision: 1n, watchId: 9n } },
      }),
    );
    await until('canceled by compaction', () => {
      const canceled = got.find((r) => r.watchId === 9n && r.canceled);
      expect(canceled?.compactRevision).to.equal(startRev + 1n);
      expect(canceled?.cancelReason).to.equal('etcdserver: mvcc: required revision has been compacted');
    });
    stream.cancel();
  });

  it('keeps leases alive on the KeepAlive stream; an unknown lease gets TTL 0', async () => {
    const lease = await grpc.unary(
      '/etcdserverpb.Lease/LeaseGrant',
      LeaseGrantRequestSchema,
      LeaseGrantResponseSchema,
      {
        TTL: 10n,
      },
    );
    const { LeaseKeepAliveRequestSchema, LeaseKeepAliveResponseSchema } =
      await import('../../../client/protocol/gen/etcdserverpb/rpc_pb.js');
    const stream = grpc.bidi(
      '/etcdserverpb.Lease/LeaseKeepAlive',
      LeaseKeepAliveRequestSchema,
      LeaseKeepAliveResponseSchema,
    );
    const got: { ID: bigint; TTL: bigint }[] = [];
    stream.on('data', (r: { ID: bigint; TTL: bigint }) => got.push(r));
    stream.on('error', () => undefined);
    stream.write(create(LeaseKeepAliveRequestSchema, { ID: lease.ID }));
    stream.write(create(LeaseKeepAliveRequestSchema, { ID: 999n }));
    await until('two keep-alive answers', () =>
      expect(got.map((r) => [r.ID, r.TTL])).to.deep.equal([
        [lease.ID, lease.TTL],
        [999n, 0n],
      ]),
    );
    stream.cancel();
  });

  it('sends a keep-alive a follower cannot serve on to the leader, once', async () => {
    const lease = await grpc.unary(
      '/etcdserverpb.Lease/LeaseGrant',
      LeaseGrantRequestSchema,
      LeaseGrantResponseSchema,
      { TTL: 10n },
    );
    const follower = await startTestServer();
    follower.backend.notLeader = { leaderId: 22, urls: [server.url] };
    // A member whose "leader" is itself a follower: the renewal it forwards is not forwarded again.
    const confused = await startTestServer();
    confused.backend.notLeader = { leaderId: 33, urls: [follower.url] };
    const viaFollower = new RawGrpc(follower.url);
    const viaConfused = new RawGrpc(confused.url);
    try {
      const stream = viaFollower.bidi(
        '/etcdserverpb.Lease/LeaseKeepAlive',
        LeaseKeepAliveRequestSchema,
        LeaseKeepAliveResponseSchema,
      );
      const got: LeaseKeepAliveResponse[] = [];
      stream.on('data', (r: LeaseKeepAliveResponse) => got.push(r));
      stream.on('error', () => undefined);
      stream.write(create(LeaseKeepAliveRequestSchema, { ID: lease.ID }));
      await until('the leader renewed', () => expect(got.map((r) => r.TTL)).to.deep.equal([lease.TTL]));
      expect(got[0]?.header?.memberId).to.equal(22n);
      stream.cancel();

      const bounced = viaConfused.bidi(
        '/etcdserverpb.Lease/LeaseKeepAlive',
        LeaseKeepAliveRequestSchema,
        LeaseKeepAliveResponseSchema,
      );
      const ended = new Promise<{ code: number; details: string }>((resolve) =>
        bounced.on('error', (err: { code: number; details: string }) => resolve(err)),
      );
      bounced.on('data', () => undefined);
      bounced.write(create(LeaseKeepAliveRequestSchema, { ID: lease.ID }));
      const status = await ended;
      expect(status.code).to.equal(9); // FAILED_PRECONDITION
      expect(status.details).to.equal('etcdserver: not leader');
    } finally {
      viaFollower.close();
      viaConfused.close();
      await follower.stop();
      await confused.stop();
    }
  });

  it("answers gRPC's health check by the /health rule", async () => {
    const check = (service: string) =>
      grpc.unary('/grpc.health.v1.Health/Check', HealthCheckRequestSchema, HealthCheckResponseSchema, {
        service,
      });
    expect((await check('')).status).to.equal(HealthCheckResponse_ServingStatus.SERVING);
    expect((await check('etcdserverpb.KV')).status).to.equal(HealthCheckResponse_ServingStatus.SERVING);
    server.backend.ready = false;
    expect((await check('')).status).to.equal(HealthCheckResponse_ServingStatus.NOT_SERVING);
    server.backend.ready = undefined;
    server.backend.leaderId = 0;
    expect((await check('')).status).to.equal(HealthCheckResponse_ServingStatus.NOT_SERVING);
    const unknown = await grpcError(check('no.such.Service'));
    expect(unknown.code).to.equal(status.NOT_FOUND);
  });

  it('ends open streams with UNAVAILABLE when the member stops', async () => {
    const stream = grpc.bidi('/etcdserverpb.Watch/Watch', WatchRequestSchema, WatchResponseSchema);
    const got: WatchResponse[] = [];
    stream.on('data', (r: WatchResponse) => got.push(r));
    const ended = new Promise<{ code: number; details: string }>((resolve) =>
      stream.on('error', (err: { code: number; details: string }) => resolve(err)),
    );
    stream.write(
      create(WatchRequestSchema, { requestUnion: { case: 'createRequest', value: { key: enc('k') } } }),
    );
    await until('created', () => expect(got.some((r) => r.created)).to.equal(true));
    await server.api.close();
    const status = await ended;
    expect(status.code).to.equal(14); // UNAVAILABLE
    expect(status.details).to.equal('etcdserver: server stopped');
  });

  it('serves gRPC under TLS (ALPN h2) next to HTTPS', async function () {
    this.timeout(30_000);
    const pki = await createTestPki();
    try {
      const [cert, key, ca] = await Promise.all([
        readFile(pki.peer.certFile),
        readFile(pki.peer.keyFile),
        readFile(pki.caFile),
      ]);
      await using api = await startClientApi({
        listenUrls: ['https://127.0.0.1:0'],
        tls: { cert, key },
        backend: new FakeBackend(),
      });
      const url = api.urls[0] as string;
      const secure = new RawGrpc(url, credentials.createSsl(ca));
      try {
        const st = await secure.unary(
          '/etcdserverpb.Maintenance/Status',
          StatusRequestSchema,
          StatusResponseSchema,
          {},
        );
        expect(st.header?.memberId).to.equal(22n);
      } finally {
        secure.close();
      }
      const { request } = await import('node:https');
      const code = await new Promise<number>((resolve, reject) => {
        request(url + '/health', { ca }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(code).to.equal(200);
      // curl offers h2 and http/1.1 by ALPN; it is given HTTP/1.1, so /health and the gateway answer.
      const curl = await new Promise<string>((resolve, reject) =>
        execFile('curl', ['-sS', '--cacert', pki.caFile, `${url}/health`], (err, stdout, stderr) =>
          err !== null ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout),
        ),
      );
      expect(JSON.parse(curl)).to.deep.equal({ health: 'true' });
    } finally {
      await pki.remove();
    }
  });
});
