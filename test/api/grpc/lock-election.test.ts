/**
 * etcd's lock (v3lockpb.Lock) and election (v3electionpb.Election) services on a 3-member cluster,
 * over gRPC and the JSON gateway: waiters queue in creation order, the lease bounds the lock,
 * a cancelled or expired contender leaves nothing behind, and the errors carry etcd's texts.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { status, type ClientReadableStream, type ServiceError } from '@grpc/grpc-js';
import { expect } from 'chai';
import {
  LeaseGrantRequestSchema,
  LeaseGrantResponseSchema,
  LeaseRevokeRequestSchema,
  LeaseRevokeResponseSchema,
  LeaseTimeToLiveRequestSchema,
  LeaseTimeToLiveResponseSchema,
  RangeRequestSchema,
  RangeResponseSchema,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import {
  CampaignRequestSchema,
  CampaignResponseSchema,
  LeaderRequestSchema,
  LeaderResponseSchema,
  ProclaimRequestSchema,
  ProclaimResponseSchema,
  ResignRequestSchema,
  ResignResponseSchema,
  type LeaderKey,
  type LeaderResponse,
} from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import {
  LockRequestSchema,
  LockResponseSchema,
  UnlockRequestSchema,
  UnlockResponseSchema,
} from '../../../client/protocol/gen/v3lockpb/v3lock_pb.js';
import { ClusterHarness } from '../../cluster/harness.js';
import { eventually } from '../../helpers/eventually.js';
import { openLineStream, post } from '../helpers.js';
import { grpcError, RawGrpc } from './grpc-client.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A promise with a flag saying whether it has settled yet (to see that a call is still waiting). */
function tracked<T>(promise: Promise<T>): { readonly promise: Promise<T>; settled(): boolean } {
  let done = false;
  const p = promise.finally(() => (done = true));
  p.catch(() => undefined);
  return { promise: p, settled: () => done };
}

/** The next messages of a server stream, one at a time. */
function reader<T>(stream: ClientReadableStream<T>): () => Promise<T> {
  const queue: T[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  stream.on('data', (m: T) => {
    queue.push(m);
    wake?.();
  });
  stream.on('error', (e: Error) => {
    failure = e;
    wake?.();
  });
  return async () => {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) return next;
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  };
}

describe('lock and election services (v3lock, v3election)', function () {
  this.timeout(120_000);
  let cluster: ClusterHarness;
  let leaderGrpc: RawGrpc;
  let followerGrpc: RawGrpc;
  let followerUrl: string;

  before(async () => {
    cluster = await ClusterHarness.start({ size: 3 });
    const leader = await cluster.waitForLeader();
    const leaderMember = cluster.members.find((m) => m.name === leader)!;
    const follower = cluster.members.find((m) => m.name !== leader)!;
    leaderGrpc = new RawGrpc(leaderMember.clientUrl);
    followerGrpc = new RawGrpc(follower.clientUrl);
    followerUrl = follower.clientUrl;
  });
  after(async () => {
    leaderGrpc?.close();
    followerGrpc?.close();
    await cluster?.stop();
  });

  async function grant(ttl = 60): Promise<bigint> {
    const r = await leaderGrpc.unary(
      '/etcdserverpb.Lease/LeaseGrant',
      LeaseGrantRequestSchema,
      LeaseGrantResponseSchema,
      {
        TTL: BigInt(ttl),
      },
    );
    return r.ID;
  }

  async function revoke(id: bigint): Promise<void> {
    await leaderGrpc.unary(
      '/etcdserverpb.Lease/LeaseRevoke',
      LeaseRevokeRequestSchema,
      LeaseRevokeResponseSchema,
      {
        ID: id,
      },
    );
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const end = enc(prefix);
    end[end.length - 1] = (end[end.length - 1] as number) + 1;
    const r = await leaderGrpc.unary('/etcdserverpb.KV/Range', RangeRequestSchema, RangeResponseSchema, {
      key: enc(prefix),
      rangeEnd: end,
    });
    return r.kvs.map((kv) => dec(kv.key));
  }

  function lock(client: RawGrpc, name: string, lease: bigint) {
    return client.unary('/v3lockpb.Lock/Lock', LockRequestSchema, LockResponseSchema, {
      name: enc(name),
      lease,
    });
  }

  function unlock(key: Uint8Array) {
    return leaderGrpc.unary('/v3lockpb.Lock/Unlock', UnlockRequestSchema, UnlockResponseSchema, { key });
  }

  describe('Lock', () => {
    it('queues waiters in order and hands the lock on at unlock', async () => {
      const [a, b, c] = [await grant(), await grant(), await grant()];
      const heldA = await lock(leaderGrpc, 'q1', a);
      expect(dec(heldA.key)).to.equal(`q1/${a.toString(16)}`);
      const waitB = tracked(lock(followerGrpc, 'q1', b));
      await eventually('b contends', async () => (await keysUnder('q1/')).length === 2 || undefined);
      const waitC = tracked(lock(leaderGrpc, 'q1', c));
      await eventually('c contends', async () => (await keysUnder('q1/')).length === 3 || undefined);
      expect(waitB.settled(), 'b waits while a holds').to.equal(false);
      expect(waitC.settled(), 'c waits while a holds').to.equal(false);

      const released = await unlock(heldA.key);
      const heldB = await waitB.promise;
      expect(dec(heldB.key)).to.equal(`q1/${b.toString(16)}`);
      expect(heldB.header!.revision >= released.header!.revision).to.equal(true);
      expect(waitC.settled(), 'c still waits behind b').to.equal(false);
      await unlock(heldB.key);
      const heldC = await waitC.promise;
      expect(dec(heldC.key)).to.equal(`q1/${c.toString(16)}`);
      await unlock(heldC.key);
      expect(await keysUnder('q1/')).to.deep.equal([]);
    });

    it("is released when the holder's lease ends", async () => {
      const [a, b] = [await grant(), await grant()];
      await lock(leaderGrpc, 'q2', a);
      const waitB = tracked(lock(leaderGrpc, 'q2', b));
      await eventually('b contends', async () => (await keysUnder('q2/')).length === 2 || undefined);
      await revoke(a);
      const heldB = await waitB.promise;
      expect(dec(heldB.key)).to.equal(`q2/${b.toString(16)}`);
      await unlock(heldB.key);
    });

    it("fails a waiter whose own lease ended while it waited, as etcd's mutex does", async () => {
      const [a, b] = [await grant(), await grant()];
      const heldA = await lock(leaderGrpc, 'q3', a);
      const waitB = tracked(lock(leaderGrpc, 'q3', b));
      await eventually('b contends', async () => (await keysUnder('q3/')).length === 2 || undefined);
      await revoke(b);
      await unlock(heldA.key);
      const err = await grpcError(waitB.promise);
      expect(err.code).to.equal(status.UNKNOWN);
      expect(err.details).to.equal('mutex: session is expired');
      expect(await keysUnder('q3/')).to.deep.equal([]);
    });

    it('withdraws a cancelled waiter, so it blocks nobody', async () => {
      const [a, b, c] = [await grant(), await grant(), await grant()];
      const heldA = await lock(leaderGrpc, 'q4', a);
      const call = leaderGrpc.client.makeUnaryRequest(
        '/v3lockpb.Lock/Lock',
        (m: Buffer) => m,
        (m: Buffer) => m,
        Buffer.from(toBinary(LockRequestSchema, create(LockRequestSchema, { name: enc('q4'), lease: b }))),
        () => undefined,
      );
      await eventually('b contends', async () => (await keysUnder('q4/')).length === 2 || undefined);
      call.cancel();
      await eventually('b withdrew', async () => (await keysUnder('q4/')).length === 1 || undefined);
      const waitC = tracked(lock(leaderGrpc, 'q4', c));
      await unlock(heldA.key);
      expect(dec((await waitC.promise).key)).to.equal(`q4/${c.toString(16)}`);
    });

    it("refuses a lease that does not exist with etcd's error", async () => {
      const err = await grpcError(lock(leaderGrpc, 'q5', 0x7777n));
      expect(err.code).to.equal(status.NOT_FOUND);
      expect(err.details).to.equal('etcdserver: requested lease not found');
      expect(await keysUnder('q5/')).to.deep.equal([]);
    });

    it('grants a 60 s lease when the request names none, as etcd does', async () => {
      const held = await lock(leaderGrpc, 'q6', 0n);
      const id = BigInt('0x' + dec(held.key).slice('q6/'.length));
      const ttl = await leaderGrpc.unary(
        '/etcdserverpb.Lease/LeaseTimeToLive',
        LeaseTimeToLiveRequestSchema,
        LeaseTimeToLiveResponseSchema,
        { ID: id },
      );
      expect(Number(ttl.grantedTTL)).to.equal(60);
      await revoke(id);
    });
  });

  describe('Election', () => {
    const campaign = (client: RawGrpc, name: string, lease: bigint, value: string) =>
      client.unary('/v3electionpb.Election/Campaign', CampaignRequestSchema, CampaignResponseSchema, {
        name: enc(name),
        lease,
        value: enc(value),
      });
    const leaderOf = (name: string) =>
      leaderGrpc.unary('/v3electionpb.Election/Leader', LeaderRequestSchema, LeaderResponseSchema, {
        name: enc(name),
      });
    const proclaim = (leader: LeaderKey, value: string) =>
      leaderGrpc.unary('/v3electionpb.Election/Proclaim', ProclaimRequestSchema, ProclaimResponseSchema, {
        leader,
        value: enc(value),
      });
    const resign = (leader: LeaderKey) =>
      leaderGrpc.unary('/v3electionpb.Election/Resign', ResignRequestSchema, ResignResponseSchema, {
        leader,
      });

    it('elects, proclaims, observes and hands leadership on at resign', async () => {
      const [a, b] = [await grant(), await grant()];
      const won = await campaign(leaderGrpc, 'e1', a, 'alpha');
      expect(won.leader!.lease).to.equal(a);
      expect(dec(won.leader!.key)).to.equal(`e1/${a.toString(16)}`);
      const observer = followerGrpc.serverStream(
        '/v3electionpb.Election/Observe',
        LeaderRequestSchema,
        LeaderResponseSchema,
        { name: enc('e1') },
      );
      const next = reader<LeaderResponse>(observer);
      expect(dec((await next()).kv!.value)).to.equal('alpha');

      const waitB = tracked(campaign(followerGrpc, 'e1', b, 'beta'));
      await eventually('b is a candidate', async () => (await keysUnder('e1/')).length === 2 || undefined);
      expect(waitB.settled(), 'b waits while a leads').to.equal(false);

      await proclaim(won.leader!, 'alpha-2');
      expect(dec((await next()).kv!.value)).to.equal('alpha-2');
      expect(dec((await leaderOf('e1')).kv!.value)).to.equal('alpha-2');

      await resign(won.leader!);
      const wonB = await waitB.promise;
      expect(wonB.leader!.lease).to.equal(b);
      const seen = await next();
      expect(dec(seen.kv!.value)).to.equal('beta');
      expect(dec((await leaderOf('e1')).kv!.value)).to.equal('beta');

      // The old leader key no longer leads: proclaiming with it fails with etcd's text.
      const err = await grpcError(proclaim(won.leader!, 'stale'));
      expect(err.code).to.equal(status.UNKNOWN);
      expect(err.details).to.equal('election: not leader');
      observer.cancel();
      await resign(wonB.leader!);
    });

    it("answers Leader of an empty election with etcd's error", async () => {
      const err: ServiceError = await grpcError(leaderOf('e-none'));
      expect(err.code).to.equal(status.UNKNOWN);
      expect(err.details).to.equal('election: no leader');
    });

    it('waits in Observe until somebody leads', async () => {
      const observer = leaderGrpc.serverStream(
        '/v3electionpb.Election/Observe',
        LeaderRequestSchema,
        LeaderResponseSchema,
        { name: enc('e2') },
      );
      const next = reader<LeaderResponse>(observer);
      const first = tracked(next());
      const a = await grant();
      await campaign(followerGrpc, 'e2', a, 'first');
      expect(dec((await first.promise).kv!.value)).to.equal('first');
      observer.cancel();
      await revoke(a);
    });
  });

  describe('over the JSON gateway', () => {
    it('locks and unlocks with etcd JSON bodies', async () => {
      const lease = await grant();
      const held = await post(followerUrl, '/v3/lock/lock', { name: b64('g1'), lease: lease.toString() });
      expect(held.status).to.equal(200);
      expect(Buffer.from(String(held.json['key']), 'base64').toString()).to.equal(`g1/${lease.toString(16)}`);
      expect((held.json['header'] as Record<string, unknown>)['revision']).to.be.a('string');
      const released = await post(followerUrl, '/v3/lock/unlock', { key: held.json['key'] });
      expect(released.status).to.equal(200);
      expect(await keysUnder('g1/')).to.deep.equal([]);
    });

    it('campaigns and observes, and answers errors in the gateway shape', async () => {
      const none = await post(followerUrl, '/v3/election/leader', { name: b64('g2') });
      expect(none.status).to.equal(500);
      expect(none.json['code']).to.equal(2);
      expect(none.json['message']).to.equal('election: no leader');

      const lease = await grant();
      const won = await post(followerUrl, '/v3/election/campaign', {
        name: b64('g2'),
        lease: lease.toString(),
        value: b64('v1'),
      });
      expect(won.status).to.equal(200);
      const leader = won.json['leader'] as Record<string, unknown>;
      expect(leader['lease']).to.equal(lease.toString());

      const stream = await openLineStream(followerUrl + '/v3/election/observe', { name: b64('g2') });
      const first = (await stream.next())!['result'] as Record<string, Record<string, unknown>>;
      expect(Buffer.from(String(first['kv']!['value']), 'base64').toString()).to.equal('v1');
      const proclaimed = await post(followerUrl, '/v3/election/proclaim', { leader, value: b64('v2') });
      expect(proclaimed.status).to.equal(200);
      const second = (await stream.next())!['result'] as Record<string, Record<string, unknown>>;
      expect(Buffer.from(String(second['kv']!['value']), 'base64').toString()).to.equal('v2');
      stream.abort();

      const missing = await post(followerUrl, '/v3/election/resign', {});
      expect(missing.status).to.equal(400);
      expect(missing.json['message']).to.equal('"leader" field must be provided');
      expect((await post(followerUrl, '/v3/election/resign', { leader })).status).to.equal(200);
      expect(await keysUnder('g2/')).to.deep.equal([]);
      await revoke(lease);
    });
  });
});
