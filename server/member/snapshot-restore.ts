/**
 * A new member's data directory from a backup (`concord snapshot restore`): the backup's state
 * machine snapshot is decoded first (exactly as the member will at boot, so a snapshot that would
 * not load is refused before anything is written), then wrapped in the replica's snapshot payload
 * with the membership of the restored cluster and written by storage/restore.ts.
 *
 * The Raft snapshot sits at the state machine's applied index (term 1), so the restored member's
 * Raft applied index and its state machine's agree, and the first entry of the new cluster's log
 * is the one after it. Every member of the new cluster is restored from the same file with the
 * same membership, so all of them start from the same snapshot, as etcd's restored members do.
 */
import { StateMachine } from '../apply/index.js';
import type { Disk } from '../platform/disk.js';
import { NodeDisk } from '../platform/node-disk.js';
import { encodeReplicaSnapshotHead, MemberRegistry } from '../replica/index.js';
import { restoreDataDir } from '../storage/index.js';

/** What a state machine snapshot holds, as `snapshot status` prints it. */
export interface StateSnapshotContents {
  /** The Raft index the state reflects (in the cluster it was taken from). */
  readonly appliedIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  /** Live keys at `revision`. */
  readonly keyCount: number;
  readonly leaseCount: number;
}

/** Decodes a state machine snapshot (throws the decoder's error if it does not load). */
export function inspectStateSnapshot(payload: Uint8Array): StateSnapshotContents {
  return describe(loadState(payload));
}

function loadState(payload: Uint8Array): StateMachine {
  const machine = new StateMachine();
  machine.restore(payload);
  return machine;
}

function describe(machine: StateMachine): StateSnapshotContents {
  const everything = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), countOnly: true };
  return {
    appliedIndex: machine.appliedIndex,
    revision: machine.store.currentRevision,
    compactRevision: machine.store.compactRevision,
    keyCount: machine.range(everything).count,
    leaseCount: machine.lessor.size,
  };
}

export interface RestoredMember {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
}

export interface RestoreMemberOptions {
  readonly dataDir: string;
  readonly clusterId: number;
  /** This member's id (one of `members`). */
  readonly memberId: number;
  /** The restored cluster's members (all voters), from --initial-cluster. */
  readonly members: readonly RestoredMember[];
}

/** Slices of the payload written per call (the snapshot file is written slice by slice). */
const WRITE_SLICE_BYTES = 1 << 20;

/**
 * Writes the data directory (which must not exist: DataDirExistsError) of member `memberId` of a
 * cluster restored from `payload`; resolves with what the snapshot holds.
 */
export async function restoreMemberDataDir(
  payload: Uint8Array,
  options: RestoreMemberOptions,
  disk: Disk = new NodeDisk(),
): Promise<StateSnapshotContents & { readonly snapshotIndex: number }> {
  const contents = describe(loadState(payload));
  if (!options.members.some((m) => m.id === options.memberId))
    throw new Error(`member ${options.memberId} is not one of the restored cluster's members`);
  const registry = new MemberRegistry(
    options.members.map((m) => ({ ...m, clientUrls: [], isLearner: false })),
  );
  const head = encodeReplicaSnapshotHead(registry);
  // Index 0 is a brand-new member's empty snapshot: a state that applied nothing still sits at 1.
  const index = Math.max(1, contents.appliedIndex);
  const voters = options.members.map((m) => m.id).sort((a, b) => a - b);
  let at = -1;
  await restoreDataDir(disk, {
    dataDir: options.dataDir,
    clusterId: String(options.clusterId),
    memberId: options.memberId,
    metadata: { index, term: 1, confState: { voters, learners: [] } },
    data: () => {
      if (at === -1) {
        at = 0;
        return head;
      }
      if (at >= payload.length) return undefined;
      const slice = payload.subarray(at, at + WRITE_SLICE_BYTES);
      at += slice.length;
      return slice;
    },
  });
  return { ...contents, snapshotIndex: index };
}
