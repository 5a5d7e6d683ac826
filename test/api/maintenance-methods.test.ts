/**
 * The maintenance and membership methods (maintenance.hash, hashKV, defragment, moveLeader,
 * cluster.memberUpdate) through every front door over one backend: the WebSocket protocol, the
 * JSON gateway (etcd's paths and JSON shapes: `hash` a number, int64 as strings) and gRPC (etcd's
 * status codes and texts), plus the SDK's typed namespaces.
 */
import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { Client } from '../../client/index.js';
import {
  DefragmentRequestSchema,
  DefragmentResponseSchema,
  HashKVRequestSchema,
  HashKVResponseSchema,
  HashRequestSchema,
  HashResponseSchema,
  MemberUpdateRequestSchema,
  MemberUpdateResponseSchema,
  MoveLeaderRequestSchema,
  MoveLeaderResponseSchema,
} from '../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { grpcError, RawGrpc } from './grpc/grpc-client.js';
import { b64, post, startTestServer, type TestClient, type TestServer } from './helpers.js';

describe('maintenance and membership methods on every door', () => {
  let server: TestServer;
  let ws: TestClient;
  let grpc: RawGrpc;

  beforeEach(async () => {
    server = await startTestServer();
    ws = await server.client();
    grpc = new RawGrpc(server.url);
    // A second member, so moveLeader and memberUpdate have someone to name.
    server.backend.members.push({
      id: 33,
      name: 'm2',
      peerUrls: ['http://127.0.0.1:2480'],
      clientUrls: ['http://127.0.0.1:2479'],
      isLearner: false,
    });
    for (let i = 0; i < 3; i++) await ws.ok('kv.put', { key: b64(`k${i}`), value: b64('v') });
  });
  afterEach(async () => {
    grpc.close();
    await server.stop();
  });

  it('hashKV: the same answer from the WebSocket, the gateway and gRPC', async () => {
    const viaWs = await ws.ok('maintenance.hashKV', { revision: '3' });
    const viaGateway = await post(server.url, '/v3/maintenance/hashkv', { revision: '3' });
    const viaGrpc = await grpc.unary(
      '/etcdserverpb.Maintenance/HashKV',
      HashKVRequestSchema,
      HashKVResponseSchema,
      {
        revision: 3n,
      },
    );
    expect(viaGateway.status).to.equal(200);
    // etcd's JSON: a uint32 is a JSON number, int64 fields strings.
    expect(viaGateway.json['hash']).to.be.a('number');
    expect(viaGateway.json['hash_revision']).to.equal('3');
    expect(viaWs['hash']).to.equal(viaGateway.json['hash']);
    expect(viaGrpc.hash).to.equal(viaGateway.json['hash']);
    expect(viaGrpc.hashRevision).to.equal(3n);
    const future = await grpcError(
      grpc.unary('/etcdserverpb.Maintenance/HashKV', HashKVRequestSchema, HashKVResponseSchema, {
        revision: 1000n,
      }),
    );
    expect(future.code).to.equal(status.OUT_OF_RANGE);
    expect(future.details).to.equal('etcdserver: mvcc: required revision is a future revision');
  });

  it('hash and defragment answer with a header on every door', async () => {
    const h = await post(server.url, '/v3/maintenance/hash', {});
    expect(h.json['hash']).to.be.a('number');
    expect((await ws.ok('maintenance.hash', {}))['hash']).to.equal(h.json['hash']);
    const g = await grpc.unary('/etcdserverpb.Maintenance/Hash', HashRequestSchema, HashResponseSchema, {});
    expect(g.hash).to.equal(h.json['hash']);
    const d = await post(server.url, '/v3/maintenance/defragment', {});
    expect(d.status).to.equal(200);
    expect(d.json['header']).to.include({ member_id: '22' });
    await ws.ok('maintenance.defragment', {});
    await grpc.unary(
      '/etcdserverpb.Maintenance/Defragment',
      DefragmentRequestSchema,
      DefragmentResponseSchema,
      {},
    );
    expect(server.backend.defragments).to.equal(3);
  });

  it("moveLeader: etcd's path and errors; the handover on every door", async () => {
    const bad = await post(server.url, '/v3/maintenance/transfer-leadership', { targetID: '999' });
    expect(bad.status).to.equal(412); // FailedPrecondition, as etcd 3.4's gateway answers it
    expect(bad.json['error']).to.equal('etcdserver: bad leader transferee');
    const badGrpc = await grpcError(
      grpc.unary('/etcdserverpb.Maintenance/MoveLeader', MoveLeaderRequestSchema, MoveLeaderResponseSchema, {
        targetID: 999n,
      }),
    );
    expect(badGrpc.code).to.equal(status.FAILED_PRECONDITION);
    expect(badGrpc.details).to.equal('etcdserver: bad leader transferee');
    expect(badGrpc.metadata.get('concord-error-code')).to.deep.equal(['BAD_LEADER_TRANSFEREE']);
    const moved = await post(server.url, '/v3/maintenance/transfer-leadership', { targetID: '33' });
    expect(moved.status).to.equal(200);
    expect(server.backend.leaderId).to.equal(33);
    // Now a follower: NOT_LEADER, with etcd's text on gRPC.
    const notLeader = await grpcError(
      grpc.unary('/etcdserverpb.Maintenance/MoveLeader', MoveLeaderRequestSchema, MoveLeaderResponseSchema, {
        targetID: 22n,
      }),
    );
    expect(notLeader.details).to.equal('etcdserver: not leader');
    const wsErr = await ws.call('maintenance.moveLeader', { targetID: '22' });
    expect((wsErr['error'] as { code: string }).code).to.equal('NOT_LEADER');
  });

  it('memberUpdate: validates peer URLs, answers the member list', async () => {
    const empty = await post(server.url, '/v3/cluster/member/update', { ID: '33' });
    expect(empty.status).to.equal(400);
    const noId = await ws.call('cluster.memberUpdate', { peerURLs: ['http://127.0.0.1:9'] });
    expect((noId['error'] as { code: string }).code).to.equal('INVALID_ARGUMENT');
    const r = await post(server.url, '/v3/cluster/member/update', {
      ID: '33',
      peerURLs: ['http://10.0.0.9:2380'],
    });
    expect(r.status).to.equal(200);
    const members = r.json['members'] as { ID: string; peerURLs: string[] }[];
    expect(members.find((m) => m.ID === '33')?.peerURLs).to.deep.equal(['http://10.0.0.9:2380']);
    const g = await grpc.unary(
      '/etcdserverpb.Cluster/MemberUpdate',
      MemberUpdateRequestSchema,
      MemberUpdateResponseSchema,
      {
        ID: 33n,
        peerURLs: ['http://10.0.0.8:2380'],
      },
    );
    expect(g.members.find((m) => m.ID === 33n)?.peerURLs).to.deep.equal(['http://10.0.0.8:2380']);
    const missing = await grpcError(
      grpc.unary(
        '/etcdserverpb.Cluster/MemberUpdate',
        MemberUpdateRequestSchema,
        MemberUpdateResponseSchema,
        {
          ID: 5n,
          peerURLs: ['http://10.0.0.7:2380'],
        },
      ),
    );
    expect(missing.code).to.equal(status.NOT_FOUND);
    expect(missing.details).to.equal('etcdserver: member not found');
  });

  it('the SDK: client.maintenance and client.cluster', async () => {
    const client = new Client({ endpoints: [server.url], routing: 'any' });
    try {
      const kv = await client.maintenance.hashKV();
      expect(kv.hashRevision).to.equal(server.backend.revision);
      expect((await client.maintenance.hash()).hash).to.be.a('number');
      await client.maintenance.defragment();
      expect(server.backend.defragments).to.equal(1);
      await client.maintenance.alarmDisarm();
      expect(await client.maintenance.alarmList()).to.deep.equal([]);
      const updated = await client.cluster.memberUpdate(33, ['http://10.0.0.5:2380']);
      expect(updated.members.find((m) => m.id === 33)?.peerUrls).to.deep.equal(['http://10.0.0.5:2380']);
      const added = await client.cluster.memberAdd(['http://10.0.0.6:2380'], { isLearner: true });
      expect(added.member.isLearner).to.equal(true);
      await client.cluster.memberPromote(added.member.id);
      await client.cluster.memberRemove(added.member.id);
      expect((await client.memberList()).members.map((m) => m.id)).to.deep.equal([22, 33]);
      expect((await client.maintenance.moveLeader(33)).memberId).to.equal(22);
      expect(server.backend.leaderId).to.equal(33);
    } finally {
      await client.close();
    }
  });
});
