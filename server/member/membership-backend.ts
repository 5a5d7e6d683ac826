/**
 * The membership requests of the client API (etcd's Cluster service): list, add, remove, promote
 * and update. Changes are decided on the leader, which alone knows whether a change is pending and
 * how far a learner has caught up: a follower forwards them to the leader (leader-forward.ts), as
 * etcd does, and answers once the change is applied here too.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import { NotLeaderError, type CallOptions } from '../api/backend.js';
import { ServerError, unavailable } from '../errors.js';
import { ProposalRefusedError, RaftRefusal } from '../raft/index.js';
import { ConfChangeType, type ConfChange } from '../raft/types.js';
import { encodeMemberAttributes } from '../replica/members.js';
import type { BackendCore, BackendNetwork, ForwardedMethod } from './backend-core.js';
import { signalOf } from './backend-helpers.js';
import { memberIdOf } from './member-ids.js';
import { checkAdd, checkPromote, checkRemove, type ReconfigView } from './reconfig-check.js';

/** etcd's rule: a learner may be promoted once its match index is within 90% of the leader's. */
export const LEARNER_READY_FRACTION = 0.9;

/** etcd's limit on learners in a cluster (its maxLearners): one joins at a time. */
export const MAX_LEARNERS = 1;

/** Where a follower forwards a membership change: the leader's client URLs, over its network. */
interface LeaderTarget {
  readonly urls: readonly string[];
  readonly network: BackendNetwork;
}

export class MembershipHandlers {
  constructor(
    private readonly core: BackendCore,
    private readonly header: () => P.ResponseHeader,
  ) {}

  async memberList(req: P.MemberListRequest, options: CallOptions): Promise<P.MemberListResponse> {
    if (req.linearizable) await this.core.replica.linearizableRead(signalOf(options));
    return { header: this.header(), members: this.members() };
  }

  async memberAdd(req: P.MemberAddRequest, options: CallOptions): Promise<P.MemberAddResponse> {
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      const r = await this.forward(leader, 'cluster.memberAdd', req, options);
      return { ...r, header: this.header(), members: this.members() };
    }
    const { replica, config } = this.core;
    const id = memberIdOf(config.initialClusterToken, req.peerUrls);
    // etcd checks the cluster's health first, the request against the membership after.
    const view = this.reconfigView();
    if (view !== undefined) checkAdd(view, req.isLearner);
    const members = replica.memberList();
    if (members.some((m) => m.id === id))
      throw new ServerError(ErrorCode.MemberExists, `member ID ${id} already exists`, false);
    const taken = req.peerUrls.find((url) => members.some((m) => m.peerUrls.includes(url)));
    if (taken !== undefined)
      throw new ServerError(ErrorCode.MemberExists, `peer URL ${taken} already exists`, false);
    if (req.isLearner && members.filter((m) => m.isLearner).length >= MAX_LEARNERS) {
      throw new ServerError(
        ErrorCode.TooManyLearners,
        `the cluster has ${MAX_LEARNERS} learner(s) already, its maximum: promote or remove one first`,
        false,
      );
    }
    await this.changeMembership(
      {
        type: req.isLearner ? ConfChangeType.AddLearner : ConfChangeType.AddVoter,
        nodeId: id,
        context: encodeMemberAttributes({ name: '', peerUrls: req.peerUrls, clientUrls: [] }),
      },
      options,
    );
    const after = this.members();
    const member = after.find((m) => m.id === id) ?? {
      id,
      name: '',
      peerUrls: [...req.peerUrls],
      clientUrls: [],
      isLearner: req.isLearner,
    };
    return { header: this.header(), member, members: after };
  }

  async memberRemove(req: P.MemberRemoveRequest, options: CallOptions): Promise<P.MemberRemoveResponse> {
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      await this.forward(leader, 'cluster.memberRemove', req, options);
      return { header: this.header(), members: this.members() };
    }
    if (!this.core.replica.memberList().some((m) => m.id === req.id))
      throw new ServerError(ErrorCode.MemberNotFound, `member ${req.id} not found`, false);
    const view = this.reconfigView();
    if (view !== undefined) checkRemove(view, req.id);
    await this.changeMembership({ type: ConfChangeType.RemoveNode, nodeId: req.id }, options);
    return { header: this.header(), members: this.members() };
  }

  async memberPromote(req: P.MemberPromoteRequest, options: CallOptions): Promise<P.MemberPromoteResponse> {
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      await this.forward(leader, 'cluster.memberPromote', req, options);
      return { header: this.header(), members: this.members() };
    }
    const { replica, config } = this.core;
    const member = replica.memberList().find((m) => m.id === req.id);
    if (member === undefined)
      throw new ServerError(ErrorCode.MemberNotFound, `member ${req.id} not found`, false);
    if (!member.isLearner)
      throw new ServerError(ErrorCode.MemberNotLearner, `member ${req.id} is already a voter`, false);
    const raft = replica.status().raft;
    const learnerMatch = raft.progress?.get(req.id)?.match ?? 0;
    const leaderMatch = raft.progress?.get(config.memberId)?.match ?? raft.lastIndex;
    if (learnerMatch < leaderMatch * LEARNER_READY_FRACTION) {
      throw new ServerError(
        ErrorCode.LearnerNotReady,
        `learner ${req.id} has replicated up to index ${learnerMatch}, the leader ${leaderMatch}: ` +
          `it must reach ${Math.ceil(leaderMatch * LEARNER_READY_FRACTION)} to be promoted`,
        true,
      );
    }
    const view = this.reconfigView();
    if (view !== undefined) checkPromote(view);
    // addVoter without a context keeps the member's name and URLs (MemberRegistry).
    await this.changeMembership({ type: ConfChangeType.AddVoter, nodeId: req.id }, options);
    return { header: this.header(), members: this.members() };
  }

  /**
   * etcd's MemberUpdate: a member's advertised peer URLs change (the member moved); its name and
   * client URLs stay. Replicated as a member-attributes entry (replica.updateMemberAttributes),
   * after which every member's transport dials the new URLs. The member itself must then listen
   * on them (restart it with the new --listen-peer-urls / --initial-advertise-peer-urls).
   */
  async memberUpdate(req: P.MemberUpdateRequest, options: CallOptions): Promise<P.MemberUpdateResponse> {
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      await this.forward(leader, 'cluster.memberUpdate', req, options);
      return { header: this.header(), members: this.members() };
    }
    const { replica } = this.core;
    const members = replica.memberList();
    const member = members.find((m) => m.id === req.id);
    if (member === undefined)
      throw new ServerError(ErrorCode.MemberNotFound, `member ${req.id} not found`, false);
    const taken = req.peerUrls.find((url) =>
      members.some((m) => m.id !== req.id && m.peerUrls.includes(url)),
    );
    if (taken !== undefined)
      throw new ServerError(ErrorCode.MemberExists, `peer URL ${taken} already exists`, false);
    await replica.updateMemberAttributes(
      req.id,
      { name: member.name, peerUrls: [...req.peerUrls], clientUrls: [...member.clientUrls] },
      signalOf(options),
    );
    return { header: this.header(), members: this.members() };
  }

  members(): P.Member[] {
    return this.core.replica.memberList().map((m) => ({
      id: m.id,
      name: m.name,
      peerUrls: [...m.peerUrls],
      clientUrls: [...m.clientUrls],
      isLearner: m.isLearner,
    }));
  }

  /**
   * What the strict reconfiguration check reads, on the leader; undefined when the check is off or
   * this backend has no network (no transport to tell which peers are connected: the simulator).
   */
  private reconfigView(): ReconfigView | undefined {
    const { config, network, replica, clock } = this.core;
    if (config.strictReconfigCheck !== true || network === undefined) return undefined;
    return {
      selfId: config.memberId,
      members: replica.memberList(),
      activeSince: (id) => network.peerActiveSince(id),
      nowMs: clock.nowMs(),
    };
  }

  /**
   * Membership changes are decided on the leader: undefined on the leader, else the leader's
   * client URLs and the network to forward with. No leader: UNAVAILABLE; a member without a
   * network, or a leader that has not published its client URLs yet: NOT_LEADER (all retryable,
   * nothing was changed).
   */
  private leaderToForwardTo(): LeaderTarget | undefined {
    const { replica, network } = this.core;
    if (replica.isLeader()) return undefined;
    const leaderId = replica.leaderId();
    if (leaderId === 0) throw unavailable('no leader: membership cannot change now');
    const urls = replica.memberList().find((m) => m.id === leaderId)?.clientUrls ?? [];
    if (network === undefined) {
      throw new NotLeaderError(
        leaderId,
        urls,
        `etcdserver: not leader: membership changes are decided on the leader (${leaderId}), ` +
          'and this member does not forward them; send the request there',
      );
    }
    if (urls.length === 0) {
      throw new NotLeaderError(
        leaderId,
        [],
        `etcdserver: not leader: the leader (${leaderId}) has not published its client URLs yet; retry`,
      );
    }
    return { urls, network };
  }

  /**
   * Sends a membership change to the leader; once it answers, waits (a ReadIndex) until this member
   * has applied the change too, so the answer's member list and a following member/list here show
   * it. If that wait fails the change is still made: the leader's answer stands.
   */
  private async forward<M extends ForwardedMethod>(
    leader: LeaderTarget,
    method: M,
    params: P.MethodParams<M>,
    options: CallOptions,
  ): Promise<P.MethodResult<M>> {
    const result = await leader.network.forwardToLeader(
      method,
      params,
      leader.urls,
      options.signal,
      options.token,
    );
    try {
      await this.core.replica.linearizableRead(signalOf(options));
    } catch (err) {
      this.core.logger.warn('membership change made by the leader; not yet applied here', {
        method,
        error: err,
      });
    }
    return result;
  }

  private async changeMembership(cc: ConfChange, options: CallOptions): Promise<void> {
    try {
      await this.core.replica.changeMembership(cc, signalOf(options));
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof ProposalRefusedError && cause.reason === RaftRefusal.ConfChangePending) {
        throw new ServerError(
          ErrorCode.MembershipChangePending,
          'another membership change is not applied yet; retry when it is',
          true,
          { cause },
        );
      }
      throw err;
    }
  }
}
