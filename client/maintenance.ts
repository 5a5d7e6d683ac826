/**
 * `client.maintenance`: etcd's Maintenance service over the SDK. Each call is answered by the
 * member this client is connected to (`client.endpoint`; the leader under the default routing),
 * except `moveLeader`, which the leader serves (a follower answers NOT_LEADER and the client moves
 * to the leader and retries). To ask one given member (hashKV on each, defragment one at a time),
 * use a client with `endpoints: [thatMember]` and `routing: 'any'`, as `concord endpoint hashkv`
 * does.
 *
 * ```ts
 * const { hash, compactRevision } = await client.maintenance.hashKV();
 * for (const a of await client.maintenance.alarmList()) console.log(a.memberId, a.alarm);
 * await client.maintenance.alarmDisarm(); // every alarm of every member
 * ```
 */
import type { ClientCore } from './core.js';
import { snapshotStream, type SnapshotDownload, type SnapshotStreamOptions } from './snapshot.js';
import type { Abortable } from './kv.js';
import type {
  AlarmMember,
  AlarmType,
  HashKVResponse,
  HashResponse,
  ResponseHeader,
  StatusResponse,
} from './protocol/index.js';

/** Which alarms `alarmDisarm` clears: a member id (0 or absent: every member) and a type. */
export interface AlarmFilter {
  readonly memberId?: number;
  /** 'none' or absent: every type. */
  readonly alarm?: AlarmType;
}

export interface MaintenanceApi {
  /** The status of the connected member (etcd's Status). */
  status(options?: Abortable): Promise<StatusResponse>;
  /** The alarms raised in the cluster (read through the leader: linearizable). */
  alarmList(options?: Abortable): Promise<readonly AlarmMember[]>;
  /** Clears the matching alarms (through Raft, on every member); resolves with those cleared. */
  alarmDisarm(filter?: AlarmFilter, options?: Abortable): Promise<readonly AlarmMember[]>;
  /**
   * Drops the connected member's compacted history now and returns the freed memory to the OS
   * (a full garbage collection): Concord's defragment. Only that member; nothing is replicated.
   */
  defragment(options?: Abortable): Promise<ResponseHeader>;
  /** A hash of the connected member's whole state (equal across members only at one applied index). */
  hash(options?: Abortable): Promise<HashResponse>;
  /**
   * The hash of the key-values up to `revision` (0 or absent: the current one), with the
   * compaction point it starts from: equal on every member at the same revision and compaction.
   */
  hashKV(revision?: number, options?: Abortable): Promise<HashKVResponse>;
  /** Hands Raft leadership to the voter `targetId`; resolves once it leads. */
  moveLeader(targetId: number, options?: Abortable): Promise<ResponseHeader>;
  /**
   * A backup of the connected member: the snapshot file, verified as it arrives (snapshot.ts).
   * Resolves once the member has announced it; iterate the result for the bytes.
   */
  snapshot(options?: SnapshotStreamOptions): Promise<SnapshotDownload>;
}

export function maintenanceApi(core: ClientCore): MaintenanceApi {
  return {
    status: (options = {}) => core.call('maintenance.status', {}, options),
    alarmList: async (options = {}) =>
      (await core.call('maintenance.alarm', { action: 'get', memberId: 0, alarm: 'none' }, options)).alarms,
    alarmDisarm: async (filter = {}, options = {}) =>
      (
        await core.call(
          'maintenance.alarm',
          { action: 'deactivate', memberId: filter.memberId ?? 0, alarm: filter.alarm ?? 'none' },
          options,
        )
      ).alarms,
    defragment: async (options = {}) => (await core.call('maintenance.defragment', {}, options)).header,
    hash: (options = {}) => core.call('maintenance.hash', {}, options),
    hashKV: (revision = 0, options = {}) => core.call('maintenance.hashKV', { revision }, options),
    moveLeader: async (targetId, options = {}) =>
      (await core.call('maintenance.moveLeader', { targetId }, options)).header,
    snapshot: (options = {}) => snapshotStream(core, options),
  };
}
