/**
 * The maintenance requests of the client API (etcd's Maintenance service): status, alarms,
 * snapshot, hash, hashKV, defragment and moveLeader. Everything here is answered by the member the
 * request reaches, from its own state, except alarm changes (replicated through Raft) and
 * moveLeader (only the leader can hand leadership over, as etcd's).
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import {
  STATE_SNAPSHOT_VERSION,
  type AlarmRecord,
  type Command,
  type CommandResponse,
} from '../apply/index.js';
import { NotLeaderError, type BackendSnapshot, type CallOptions } from '../api/backend.js';
import { ETCD_API_VERSION, packageVersion } from '../api/version.js';
import { ServerError } from '../errors.js';
import { WAL_FORMAT_VERSION } from '../storage/wal/record.js';
import type { BackendCore } from './backend-core.js';
import { expectResult, hash32, signalOf } from './backend-helpers.js';
import { startStreamedBackup } from './snapshot-backup.js';

/** etcd's spelling of each alarm type (status errors, metric labels). */
export const WIRE_ALARM: Readonly<Record<P.AlarmType, string>> = {
  none: 'NONE',
  noSpace: 'NOSPACE',
  corrupt: 'CORRUPT',
};

/** Proposes a command and answers its result (MemberBackend.apply: NOSPACE handling included). */
export type ApplyCommand = (command: Command, options: CallOptions) => Promise<CommandResponse>;

export class MaintenanceHandlers {
  constructor(
    private readonly core: BackendCore,
    private readonly header: () => P.ResponseHeader,
    private readonly apply: ApplyCommand,
  ) {}

  status(_options: CallOptions): Promise<P.StatusResponse> {
    const { replica, machine, config } = this.core;
    const st = replica.status();
    const size = machine.store.sizeBytes;
    return Promise.resolve({
      header: this.header(),
      version: ETCD_API_VERSION,
      dbSizeBytes: size,
      leader: st.raft.lead,
      raftIndex: st.raft.commit,
      raftTerm: st.raft.term,
      raftAppliedIndex: st.appliedIndex,
      errors: this.statusErrors(),
      dbSizeInUseBytes: size,
      isLearner: st.raft.confState.learners.includes(config.memberId),
      // The data directory's format (the WAL's): what a restore or an upgrade must match.
      storageVersion: String(WAL_FORMAT_VERSION),
      dbSizeQuotaBytes: config.quotaBackendBytes,
      concordVersion: packageVersion(),
    });
  }

  /**
   * etcd's Alarm: GET lists the cluster's alarms (of one type, or all for NONE) after a ReadIndex;
   * ACTIVATE and DEACTIVATE go through Raft, so every member raises or clears the same alarms, and
   * answer with the alarm raised or the alarms cleared. ACTIVATE with member id 0 raises it for
   * this member; DEACTIVATE with member id 0 or type NONE matches every member or type (alarms.ts).
   */
  async alarm(req: P.AlarmRequest, options: CallOptions): Promise<P.AlarmResponse> {
    let records: readonly AlarmRecord[];
    switch (req.action) {
      case 'get':
        await this.core.replica.linearizableRead(signalOf(options));
        records = this.core.machine.alarms.list(req.alarm === 'none' ? undefined : req.alarm);
        break;
      case 'activate': {
        if (req.alarm === 'none') {
          records = [];
          break;
        }
        const memberId = req.memberId === 0 ? this.core.config.memberId : req.memberId;
        const r = await this.apply({ type: 'alarmActivate', memberId, alarm: req.alarm }, options);
        records = expectResult(r, 'alarmActivate').alarms;
        break;
      }
      case 'deactivate': {
        const command: Command =
          req.alarm === 'none'
            ? { type: 'alarmDeactivate', memberId: req.memberId }
            : { type: 'alarmDeactivate', memberId: req.memberId, alarm: req.alarm };
        records = expectResult(await this.apply(command, options), 'alarmDeactivate').alarms;
        break;
      }
    }
    return { header: this.header(), alarms: records.map((a) => ({ memberId: a.memberId, alarm: a.alarm })) };
  }

  /**
   * etcd's status errors: "etcdserver: no leader" without a leader, then each alarm as etcd prints
   * an AlarmMember (protobuf text: `memberID:<id> alarm:NOSPACE `, trailing space included, which
   * is what tools that grep for `alarm:NOSPACE` read); Concord adds a fatal storage error.
   */
  private statusErrors(): string[] {
    const { replica, machine } = this.core;
    const st = replica.status();
    const errors: string[] = [];
    if (st.raft.lead === 0) errors.push('etcdserver: no leader');
    for (const a of machine.alarms.list())
      errors.push(`memberID:${a.memberId} alarm:${WIRE_ALARM[a.alarm]} `);
    if (st.fatal !== undefined) errors.push(st.fatal.message);
    return errors;
  }

  activeAlarms(): P.AlarmType[] {
    const { alarms } = this.core.machine;
    return (['noSpace', 'corrupt'] as const).filter((type) => alarms.has(type));
  }

  /**
   * The state now, streamed from a pinned view slice by slice (snapshot-backup.ts): never whole in
   * memory, never more than one slice of work between two turns of the event loop.
   */
  async snapshot(options: CallOptions): Promise<BackendSnapshot> {
    await this.core.replica.linearizableRead(signalOf(options));
    const header = this.header();
    const machine = this.core.machine;
    const pause = (): Promise<void> => new Promise((resolve) => this.core.defer(resolve));
    const { sizeBytes, chunks } = await startStreamedBackup(
      () => machine.beginSnapshot(),
      options.signal,
      pause,
    );
    return { header, sizeBytes, version: String(STATE_SNAPSHOT_VERSION), chunks };
  }

  /**
   * etcd's Hash (of its whole database file): here a hash of the whole replicated state (the
   * applied index, the MVCC store, leases, alarms). Members agree on it only at the same applied
   * index; HashKV is the one to compare members with.
   */
  hash(_options: CallOptions): Promise<P.HashResponse> {
    return Promise.resolve({ header: this.header(), hash: hash32(this.core.machine.hash()) });
  }

  /**
   * etcd's HashKV: a hash of the key-values from the compaction point up to `revision` (0: the
   * current one), with that compaction point; the same on every member at the same revision and
   * compaction point. A revision past this member's current one first waits for a ReadIndex (a
   * follower catching up answers at that revision rather than FUTURE_REVISION); past the cluster's
   * it is FUTURE_REVISION, below the compaction point COMPACTED. The hash walks the store
   * synchronously: its cost grows with the data, as etcd's does.
   */
  async hashKV(req: P.HashKVRequest, options: CallOptions): Promise<P.HashKVResponse> {
    const { replica, machine } = this.core;
    if (req.revision > machine.store.currentRevision) {
      try {
        await replica.linearizableRead(signalOf(options));
      } catch {
        // No ReadIndex now (no leader): answer from what is applied, FUTURE_REVISION below.
      }
    }
    const store = machine.store;
    const revision = req.revision === 0 ? store.currentRevision : req.revision;
    const digest = store.hash(revision);
    return {
      header: this.header(),
      hash: hash32(digest),
      compactRevision: store.compactRevision,
      hashRevision: revision,
    };
  }

  /**
   * etcd's Defragment rewrites the database file to give free pages back. The store here lives in
   * the V8 heap, so this member: (1) finishes dropping compacted history now (one bounded batch per
   * turn of the event loop, as on ticks: requests go on between batches), then (2) asks V8 for a
   * full, compacting garbage collection (the `reclaimMemory` port), which releases the freed pages
   * to the operating system. Local to this member, as etcd's; nothing is replicated.
   */
  async defragment(options: CallOptions): Promise<P.DefragmentResponse> {
    const { machine, logger } = this.core;
    while (machine.store.dropCompactedBatch()) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      await new Promise<void>((resolve) => this.core.defer(resolve));
    }
    const reclaimed = this.core.reclaimMemory?.();
    logger.info('defragment: compacted history dropped', {
      ...(reclaimed !== undefined
        ? { heapUsedBefore: reclaimed.before, heapUsedAfter: reclaimed.after }
        : {}),
    });
    return { header: this.header() };
  }

  /**
   * etcd's MoveLeader: the leader hands leadership to a voter and answers once it sees the target
   * lead. A follower answers NOT_LEADER (with the leader's id and client URLs); a target that is not
   * a member or is a learner: BAD_LEADER_TRANSFEREE; no handover within the request timeout:
   * TIMEOUT ("leader transfer took too long").
   */
  async moveLeader(req: P.MoveLeaderRequest, _options: CallOptions): Promise<P.MoveLeaderResponse> {
    const { replica } = this.core;
    if (!replica.isLeader()) {
      const id = replica.leaderId();
      const urls = id === 0 ? [] : (replica.memberList().find((m) => m.id === id)?.clientUrls ?? []);
      throw new NotLeaderError(id, urls);
    }
    const target = replica.memberList().find((m) => m.id === req.targetId);
    if (target === undefined || target.isLearner) {
      throw new ServerError(
        ErrorCode.BadLeaderTransferee,
        target === undefined
          ? `member ${req.targetId} is not in the cluster`
          : `member ${req.targetId} is a learner and cannot lead`,
        false,
      );
    }
    await replica.transferLeadership(req.targetId);
    return { header: this.header() };
  }
}
