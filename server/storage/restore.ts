/**
 * Writes a new member's data directory around one snapshot (`concord snapshot restore`, etcd's
 * `etcdutl snapshot restore`): the layout RaftStorage.open reads (raft-storage.ts), holding
 *
 *   snap/<term>-<index>.snap   the snapshot at (index, term) with the membership `confState`
 *   wal/<first segment>        the WAL identity (cluster, member), that snapshot's marker and the
 *                              hard state {term, vote 0, commit index}
 *
 * so the member boots at the snapshot (everything up to `index` committed and applied) and its
 * Raft log starts after it; it then elects a leader among `confState.voters` like any restarted
 * member.
 *
 * Never overwrites: a `dataDir` that exists (even empty) is refused before anything is written.
 * The directory is built under `<dataDir>.restore.tmp` and renamed into place once every file in
 * it is durable (then the parent directory is fsynced), so a crash leaves either no data
 * directory or a complete one; a leftover temporary directory of an interrupted restore is
 * removed at the next attempt.
 */
import { type Disk, dirname, joinPath } from '../platform/disk.js';
import type { HardState, SnapshotMetadata } from '../raft/types.js';
import { io, StorageError, StorageErrorReason } from './errors.js';
import { silentLogger, type StorageLogger } from './logger.js';
import { Snapshotter } from './snap/snapshotter.js';
import { validateIdentity, Wal, type WalIdentity } from './wal/wal.js';

/** The directory names of raft-storage.ts's layout. */
const SNAP_DIR = 'snap';
const WAL_DIR = 'wal';
const TMP_SUFFIX = '.restore.tmp';

export interface RestoreDataDirOptions extends WalIdentity {
  readonly dataDir: string;
  /** The snapshot's Raft position and the membership it starts with. */
  readonly metadata: SnapshotMetadata;
  /** The snapshot's data (what the replica decodes), one chunk per call; undefined: the end. */
  readonly data: () => Uint8Array | undefined;
  readonly logger?: StorageLogger;
}

/** `restoreDataDir` refuses a data directory that exists. */
export class DataDirExistsError extends StorageError {
  override readonly name = 'DataDirExistsError';
  constructor(readonly dataDir: string) {
    super(
      StorageErrorReason.InvalidConfig,
      `data directory ${dataDir} exists; a restore never overwrites one`,
    );
  }
}

/** Builds `options.dataDir` (which must not exist) around the snapshot; resolves once it is durable. */
export async function restoreDataDir(disk: Disk, options: RestoreDataDirOptions): Promise<void> {
  validateIdentity(options);
  const { dataDir, metadata } = options;
  const parent = dirname(dataDir);
  const name = basename(dataDir);
  if (name === '' || name === '.' || name === '..')
    throw new StorageError(StorageErrorReason.InvalidConfig, `bad data directory ${dataDir}`);
  const grandparent = dirname(parent);
  const uncles = await disk.list(grandparent).catch((): string[] => []);
  if (grandparent !== parent && !uncles.includes(basename(parent))) {
    // A parent created here must itself be durable, or a crash could lose the whole directory.
    await io(() => disk.mkdir(parent));
    await io(() => disk.fsyncDir(grandparent));
  }
  await io(() => disk.mkdir(parent));
  const siblings = await io(() => disk.list(parent));
  if (siblings.includes(name)) throw new DataDirExistsError(dataDir);
  const tmp = dataDir + TMP_SUFFIX;
  if (siblings.includes(name + TMP_SUFFIX)) await removeTree(disk, tmp);

  await io(() => disk.mkdir(tmp));
  const snapshotter = new Snapshotter(disk, joinPath(tmp, SNAP_DIR), options.logger ?? silentLogger);
  await snapshotter.open(tmp);
  await snapshotter.saveStream(metadata, options.data);
  // The member's first boot reads the marker, finds the file, and replays no entries.
  const hardState: HardState = { term: metadata.term, vote: 0, commit: metadata.index };
  await Wal.initialize(disk, joinPath(tmp, WAL_DIR), options, [
    { type: 'snapshot', index: metadata.index, term: metadata.term, resetsLog: false },
    { type: 'hardState', hardState },
  ]);
  await io(() => disk.fsyncDir(tmp));
  // Durable under its final name only once everything in it is.
  await io(() => disk.rename(tmp, dataDir));
  await io(() => disk.fsyncDir(parent));
}

function basename(path: string): string {
  return path.slice(dirname(path).length).replace(/^\/+/, '');
}

/** Removes a leftover temporary directory of this module's layout (two levels at most). */
async function removeTree(disk: Disk, dir: string): Promise<void> {
  for (const name of await io(() => disk.list(dir))) {
    const path = joinPath(dir, name);
    let children: string[] | undefined;
    try {
      children = await disk.list(path);
    } catch {
      children = undefined; // a file
    }
    if (children !== undefined) for (const c of children) await io(() => disk.remove(joinPath(path, c)));
    await io(() => disk.remove(path));
  }
  await io(() => disk.remove(dir));
}
