/**
 * `client.cluster`: etcd's Cluster service over the SDK. Membership changes are decided on the
 * leader; any member accepts them (a follower forwards to its leader) and answers once the change
 * is applied there, with the member list after it.
 *
 * ```ts
 * const { member } = await client.cluster.memberAdd(['http://10.0.0.4:2380'], { isLearner: true });
 * // start the new member with --initial-cluster-state existing, then, once it caught up:
 * await client.cluster.memberPromote(member.id);
 * ```
 */
import type { ClientCore } from './core.js';
import type { Abortable } from './kv.js';
import type {
  MemberAddResponse,
  MemberListResponse,
  MemberPromoteResponse,
  MemberRemoveResponse,
  MemberUpdateResponse,
} from './protocol/index.js';

export interface MemberAddOptions extends Abortable {
  /** Add a non-voting learner (promote it with memberPromote once it caught up). */
  readonly isLearner?: boolean;
}

export interface ClusterApi {
  /** The members; `linearizable` reads the list through the leader (etcd 3.5's option). */
  memberList(options?: Abortable & { readonly linearizable?: boolean }): Promise<MemberListResponse>;
  /** Adds a member advertising `peerUrls` (MEMBER_EXISTS if one of them is taken). */
  memberAdd(peerUrls: readonly string[], options?: MemberAddOptions): Promise<MemberAddResponse>;
  /** Removes member `id` (MEMBER_NOT_FOUND if there is none). */
  memberRemove(id: number, options?: Abortable): Promise<MemberRemoveResponse>;
  /** Replaces member `id`'s advertised peer URLs (the member moved). */
  memberUpdate(id: number, peerUrls: readonly string[], options?: Abortable): Promise<MemberUpdateResponse>;
  /** Makes learner `id` a voter (LEARNER_NOT_READY until it has caught up). */
  memberPromote(id: number, options?: Abortable): Promise<MemberPromoteResponse>;
}

export function clusterApi(core: ClientCore): ClusterApi {
  return {
    memberList: (options = {}) =>
      core.call('cluster.memberList', { linearizable: options.linearizable ?? false }, options),
    memberAdd: (peerUrls, options = {}) =>
      core.call(
        'cluster.memberAdd',
        { peerUrls: [...peerUrls], isLearner: options.isLearner ?? false },
        options,
      ),
    memberRemove: (id, options = {}) => core.call('cluster.memberRemove', { id }, options),
    memberUpdate: (id, peerUrls, options = {}) =>
      core.call('cluster.memberUpdate', { id, peerUrls: [...peerUrls] }, options),
    memberPromote: (id, options = {}) => core.call('cluster.memberPromote', { id }, options),
  };
}
