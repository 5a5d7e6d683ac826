/**
 * etcd's lock and election services as one table, served by the gRPC door (`/v3lockpb.Lock/Lock`,
 * ...) and the JSON gateway (`/v3/lock/lock`, ...) alike: each entry takes the request message and
 * answers with the response message, so the two doors cannot drift. A lease of 0 in Lock and
 * Campaign gets a lease of 60 s granted for the caller, as etcd's services do.
 */
import { create, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ErrorCode, ProtocolError } from '../../../client/protocol/index.js';
import {
  CampaignRequestSchema,
  CampaignResponseSchema,
  LeaderRequestSchema,
  LeaderResponseSchema,
  ProclaimRequestSchema,
  ProclaimResponseSchema,
  ResignRequestSchema,
  ResignResponseSchema,
  type LeaderResponse as LeaderResponseMessage,
} from '../../../client/protocol/gen/v3electionpb/v3election_pb.js';
import {
  LockRequestSchema,
  LockResponseSchema,
  UnlockRequestSchema,
  UnlockResponseSchema,
} from '../../../client/protocol/gen/v3lockpb/v3lock_pb.js';
import type { ClientBackend } from '../backend.js';
import type { ApiLimits } from '../options.js';
import { campaign, leader, observe, proclaim, resign, type LeaderResponse } from './election.js';
import { lock, unlock } from './lock.js';
import { headerMessage, int64Field, keyValueMessage, leaderKeyMessage, leaderKeyOf } from './messages.js';

/** The TTL of the lease etcd's services grant when a request names none (clientv3's session default). */
export const DEFAULT_SESSION_TTL_SEC = 60;

export interface ConcurrencyContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
}

export interface ConcurrencyUnary<I extends DescMessage = DescMessage, O extends DescMessage = DescMessage> {
  /** The gateway's path for the method. */
  readonly gatewayPath: string;
  readonly input: I;
  readonly output: O;
  serve(ctx: ConcurrencyContext, request: MessageShape<I>, signal: AbortSignal): Promise<MessageShape<O>>;
}

function unary<I extends DescMessage, O extends DescMessage>(
  entry: ConcurrencyUnary<I, O>,
): ConcurrencyUnary {
  return entry as unknown as ConcurrencyUnary;
}

/** The request's bytes within the member's request limit (the gateway has no other size check for them). */
function checkSize(ctx: ConcurrencyContext, ...fields: Uint8Array[]): void {
  const size = fields.reduce((sum, f) => sum + f.length, 0);
  if (size > ctx.limits.maxRequestBytes) {
    throw new ProtocolError(
      ErrorCode.RequestTooLarge,
      `request is ${size} bytes, more than ${ctx.limits.maxRequestBytes}`,
      { details: { limit: ctx.limits.maxRequestBytes } },
    );
  }
}

async function leaseOrGranted(ctx: ConcurrencyContext, lease: bigint, signal: AbortSignal): Promise<number> {
  const id = int64Field(lease, 'lease');
  if (id !== 0) return id;
  const granted = await ctx.backend.leaseGrant({ ttlSec: DEFAULT_SESSION_TTL_SEC, id: 0 }, { signal });
  return granted.id;
}

/** gRPC method path → the entry serving it. */
export const CONCURRENCY_UNARY: Readonly<Record<string, ConcurrencyUnary>> = {
  '/v3lockpb.Lock/Lock': unary({
    gatewayPath: '/v3/lock/lock',
    input: LockRequestSchema,
    output: LockResponseSchema,
    async serve(ctx, req, signal) {
      checkSize(ctx, req.name);
      const lease = await leaseOrGranted(ctx, req.lease, signal);
      const held = await lock(ctx.backend, { name: req.name, lease }, signal);
      return create(LockResponseSchema, { header: headerMessage(held.header), key: held.key });
    },
  }),
  '/v3lockpb.Lock/Unlock': unary({
    gatewayPath: '/v3/lock/unlock',
    input: UnlockRequestSchema,
    output: UnlockResponseSchema,
    async serve(ctx, req, signal) {
      checkSize(ctx, req.key);
      const done = await unlock(ctx.backend, { key: req.key }, signal);
      return create(UnlockResponseSchema, { header: headerMessage(done.header) });
    },
  }),
  '/v3electionpb.Election/Campaign': unary({
    gatewayPath: '/v3/election/campaign',
    input: CampaignRequestSchema,
    output: CampaignResponseSchema,
    async serve(ctx, req, signal) {
      checkSize(ctx, req.name, req.value);
      const lease = await leaseOrGranted(ctx, req.lease, signal);
      const won = await campaign(ctx.backend, { name: req.name, lease, value: req.value }, signal);
      return create(CampaignResponseSchema, {
        header: headerMessage(won.header),
        leader: leaderKeyMessage(won.leader),
      });
    },
  }),
  '/v3electionpb.Election/Proclaim': unary({
    gatewayPath: '/v3/election/proclaim',
    input: ProclaimRequestSchema,
    output: ProclaimResponseSchema,
    async serve(ctx, req, signal) {
      const leaderKey = leaderKeyOf(req.leader);
      checkSize(ctx, leaderKey.key, req.value);
      const done = await proclaim(ctx.backend, leaderKey, req.value, signal);
      return create(ProclaimResponseSchema, { header: headerMessage(done.header) });
    },
  }),
  '/v3electionpb.Election/Leader': unary({
    gatewayPath: '/v3/election/leader',
    input: LeaderRequestSchema,
    output: LeaderResponseSchema,
    async serve(ctx, req, signal) {
      checkSize(ctx, req.name);
      return leaderMessage(await leader(ctx.backend, req.name, signal));
    },
  }),
  '/v3electionpb.Election/Resign': unary({
    gatewayPath: '/v3/election/resign',
    input: ResignRequestSchema,
    output: ResignResponseSchema,
    async serve(ctx, req, signal) {
      const leaderKey = leaderKeyOf(req.leader);
      checkSize(ctx, leaderKey.key);
      const done = await resign(ctx.backend, leaderKey, signal);
      return create(ResignResponseSchema, { header: headerMessage(done.header) });
    },
  }),
};

export const OBSERVE_PATH = '/v3electionpb.Election/Observe';
export const OBSERVE_GATEWAY_PATH = '/v3/election/observe';

function leaderMessage(r: LeaderResponse): LeaderResponseMessage {
  return create(LeaderResponseSchema, { header: headerMessage(r.header), kv: keyValueMessage(r.kv) });
}

/** Observe: the election's leader now and at every change, as LeaderResponse messages. */
export async function* observeMessages(
  ctx: ConcurrencyContext,
  name: Uint8Array,
  signal: AbortSignal,
): AsyncGenerator<LeaderResponseMessage> {
  checkSize(ctx, name);
  for await (const r of observe(ctx.backend, name, signal)) yield leaderMessage(r);
}

/** The entry a gateway path names, if it is one of these services'. */
export function concurrencyGatewayEntry(path: string): ConcurrencyUnary | undefined {
  for (const entry of Object.values(CONCURRENCY_UNARY)) if (entry.gatewayPath === path) return entry;
  return undefined;
}
