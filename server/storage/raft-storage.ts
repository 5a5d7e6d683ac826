/**
 * Raft's durable state over a `Disk`: the WAL (entries, hard state, snapshot markers) plus the
 * snapshot files. `open` recovers a `RaftBootState`; `save(ready)` persists what a Ready asks for
 * and resolves once it is durable; `saveSnapshot` records a snapshot the application took.
 *
 * Data directory layout:
 *
 *   <dataDir>/snap/<term>-<index>.snap   snapshot files (the newest `keepSnapshots` are kept)
 *   <dataDir>/wal/<seq>-<index>.wal      WAL segments
 *
 * Durability ordering (DESIGN.md §4), each step completing before the next starts:
 * 1. a snapshot file is durable (tmp, fsync, rename, fsync dir) before its WAL marker is appended,
 *    so a marker never points at a file that a crash could lose;
 * 2. marker, entries and hard state of one Ready go into the WAL in that order and the promise
 *    resolves only after the fdatasync covering them;
 * 3. only after the marker is durable are older snapshot files and covered WAL segments deleted.
 *
 * A brand-new member gets a snapshot file at index 0 holding the initial membership, and its WAL
 * is built in `wal.tmp` and renamed to `wal` (then the data directory is fsynced): a crash during
 * initialization leaves no `wal`, and initialization simply starts over.
 */
import { assert } from '../assert.js';
import { type Disk, dirname, joinPath } from '../platform/disk.js';
import type {
  ConfState,
  Entry,
  HardState,
  RaftBootState,
  Ready,
  Snapshot,
  SnapshotMetadata,
} from '../raft/types.js';
import { CorruptionError, InvalidStorageConfigError, io, toStorageError } from './errors.js';
import { consoleLogger, type StorageLogger } from './logger.js';
import { replayLog } from './replay.js';
import { type SnapFileReader, Snapshotter } from './snap/snapshotter.js';
import type { WalRecord } from './wal/record.js';
import { resolveWalOptions, validateIdentity, Wal, type WalOptions } from './wal/wal.js';

export interface RaftStorageOptions extends WalOptions {
  readonly dataDir: string;
  readonly clusterId: string;
  readonly memberId: number;
  /** Membership of a brand-new member; ignored when the data directory already holds a WAL. Default: empty. */
  readonly initialConfState?: ConfState;
  /** Application data of a brand-new member's index-0 snapshot (the replica's initial member list). */
  readonly initialSnapshotData?: Uint8Array;
  /** Snapshot files kept. Default 5 (etcd's --max-snapshots). */
  readonly keepSnapshots?: number;
  /**
   * Entries kept in the WAL before each snapshot (the replica's `snapshotCatchUpEntries`), and
   * returned at boot before the snapshot's index: so that after a restart, as before it, a
   * follower less than that far behind is sent entries, not a snapshot. Default 0.
   */
  readonly catchUpEntries?: number;
  readonly logger?: StorageLogger;
  /**
   * Told as each step of `open` ends (to time a boot: the storage itself reads no clock), with
   * what the step read.
   */
  readonly onBootStep?: (step: BootStep, detail: Readonly<Record<string, number>>) => void;
}

/** The steps of `RaftStorage.open`, in order. */
export type BootStep = 'wal' | 'snapshot' | 'walAgain' | 'replay';

export const RAFT_STORAGE_DEFAULTS = { keepSnapshots: 5 } as const;

export interface RaftStorageOpenResult {
  readonly storage: RaftStorage;
  readonly boot: RaftBootState;
  /** True when this call initialized an empty data directory. */
  readonly isNew: boolean;
}

/** What `save` persists: the persistence part of a Ready. */
/** A Ready's durable parts; `mustSync: false` (a commit-only hard state) is written without fsync. */
export type ReadyToPersist = Pick<Ready, 'snapshot' | 'entries' | 'hardState'> & {
  readonly mustSync?: boolean;
};

const WAL_DIR = 'wal';
const WAL_TMP_DIR = 'wal.tmp';
const SNAP_DIR = 'snap';

export class RaftStorage {
  /** Serializes the part of each save that precedes the WAL append, so records keep call order. */
  private ordering: Promise<void> = Promise.resolve();
  /** The first failure; once set, every save rejects with it. */
  private failure: Error | undefined;
  /** Saves waiting in `ordering` (behind a snapshot file write). */
  private queued = 0;
  /** Serializes purges. */
  private purging: Promise<void> = Promise.resolve();

  private constructor(
    readonly wal: Wal,
    private readonly snapshotter: Snapshotter,
    private readonly keepSnapshots: number,
    /** Entries whose WAL segments stay after a snapshot (see RaftStorageOptions.catchUpEntries). */
    private readonly catchUpEntries: number,
    /** Last index of the log as submitted so far (not necessarily durable yet). */
    private lastIndex: number,
  ) {}

  static async open(disk: Disk, options: RaftStorageOptions): Promise<RaftStorageOpenResult> {
    const keepSnapshots = options.keepSnapshots ?? RAFT_STORAGE_DEFAULTS.keepSnapshots;
    if (!Number.isInteger(keepSnapshots) || keepSnapshots < 1) {
      throw new InvalidStorageConfigError(`keepSnapshots must be ≥ 1, got ${keepSnapshots}`);
    }
    const catchUp = options.catchUpEntries ?? 0;
    if (!Number.isSafeInteger(catchUp) || catchUp < 0) {
      throw new InvalidStorageConfigError(`catchUpEntries must be ≥ 0, got ${catchUp}`);
    }
    resolveWalOptions(options);
    validateIdentity(options);
    const logger = options.logger ?? consoleLogger;
    const walOptions: WalOptions = { ...options, logger };
    const identity = { clusterId: options.clusterId, memberId: options.memberId };
    const { dataDir } = options;
    const walDir = joinPath(dataDir, WAL_DIR);
    const snapshotter = new Snapshotter(disk, joinPath(dataDir, SNAP_DIR), logger);

    await io(() => disk.mkdir(dataDir));
    const names = await io(() => disk.list(dataDir));
    const isNew = !names.includes(WAL_DIR);
    if (isNew) {
      await io(() => disk.fsyncDir(dirname(dataDir)));
      await initialize(disk, options, snapshotter, names.includes(WAL_TMP_DIR));
    } else {
      await snapshotter.open(dataDir);
    }

    const step = options.onBootStep ?? ((): void => undefined);
    // The boot starts from the newest snapshot file at best, which holds every entry up to its
    // index: those are read without their data (most of the oldest segment).
    const newest = (await snapshotter.list())[0];
    const newestFile = newest?.index ?? 0;
    const keep = options.catchUpEntries ?? 0;
    // Read from disk while the WAL is scanned: the boot starts from it unless it proves unusable.
    if (newest !== undefined) snapshotter.readAhead(newest.file);
    let { wal, records } = await Wal.open(disk, walDir, identity, walOptions, {
      entriesAfter: newestFile - keep,
    });
    step('wal', { records: records.length, segments: wal.segments().length });
    const markers = new Set<string>();
    for (const { record } of records)
      if (record.type === 'snapshot') markers.add(key(record.index, record.term));
    const snapshot = await snapshotter.maybeLoadNewest(
      (n) => n.index === 0 || markers.has(key(n.index, n.term)),
    );
    if (snapshot === undefined) {
      throw new CorruptionError(
        snapshotter.dir,
        0,
        'no usable snapshot (none valid with a marker in the WAL)',
      );
    }
    step('snapshot', { index: snapshot.metadata.index, bytes: snapshot.data.length });
    if (snapshot.metadata.index < newestFile) {
      // The newest file was not usable (no durable marker, or damaged): the entries between the
      // older snapshot and it are needed in full, so the log is read again.
      await wal.close();
      ({ wal, records } = await Wal.open(disk, walDir, identity, walOptions, {
        entriesAfter: snapshot.metadata.index - keep,
      }));
      step('walAgain', { records: records.length });
    }
    const { hardState, entries } = replayLog(records, snapshot.metadata, walDir, keep);
    step('replay', { entries: entries.length });
    const lastIndex = Math.max(entries[entries.length - 1]?.index ?? 0, snapshot.metadata.index);
    const storage = new RaftStorage(wal, snapshotter, keepSnapshots, keep, lastIndex);
    return { storage, boot: { hardState, snapshot, entries }, isNew };
  }

  /**
   * Persists a Ready's snapshot, entries (replacing any stored at or after entries[0].index) and
   * hard state, in that order; resolves when all of it is durable (when `mustSync` is false:
   * when it is written, durable with the next synced save). With nothing to persist it resolves
   * once earlier saves are durable.
   */
  save(ready: ReadyToPersist): Promise<void> {
    const records: WalRecord[] = [];
    const snapshot = ready.snapshot;
    if (snapshot !== undefined) {
      const { index, term } = snapshot.metadata;
      records.push({ type: 'snapshot', index, term, resetsLog: true });
    }
    // A gap would make the log unrecoverable at the next boot: stop here instead (a Raft bug).
    // (A loop with the check inline: a closure per entry for assert's message is garbage on every save.)
    let last = snapshot?.metadata.index ?? this.lastIndex;
    const entries = ready.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as Entry;
      if (i === 0 ? entry.index > last + 1 : entry.index !== last + 1)
        assert(false, `storage: entry ${entry.index} does not follow index ${last}`);
      last = entry.index;
      records.push({ type: 'entry', entry });
    }
    if (snapshot !== undefined || ready.entries.length > 0) this.lastIndex = last;
    if (ready.hardState !== undefined) records.push({ type: 'hardState', hardState: ready.hardState });
    const sync = ready.mustSync !== false || snapshot !== undefined || ready.entries.length > 0;
    return this.persist(snapshot, records, sync);
  }

  /** Saves a snapshot the application took at an applied index (the log after it is kept). */
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    const { index, term } = snapshot.metadata;
    assert(
      index <= this.lastIndex,
      () => `storage: snapshot at ${index} is beyond the last index ${this.lastIndex}`,
    );
    return this.persist(snapshot, [{ type: 'snapshot', index, term, resetsLog: false }]);
  }

  /**
   * Saves a snapshot the application took at an applied index, its data pulled chunk by chunk
   * from `next()` while the application goes on (see Snapshotter.saveStream): nothing else waits
   * for the file. Once it is durable its marker joins the WAL in order with the other saves, and
   * once the marker is durable older snapshot files and covered WAL segments go; then it resolves.
   * The data is not kept in memory: `loadSnapshot` reads it back when a follower needs it.
   *
   * An error thrown by `next()` abandons this snapshot only (the temporary file is removed and the
   * error rethrown); a disk error fails the storage like any other.
   */
  async saveSnapshotStream(metadata: SnapshotMetadata, next: () => Uint8Array | undefined): Promise<void> {
    const { index, term } = metadata;
    assert(
      index <= this.lastIndex,
      () => `storage: snapshot at ${index} is beyond the last index ${this.lastIndex}`,
    );
    if (this.failure !== undefined) throw this.failure;
    let sourceError: { error: unknown } | undefined;
    const pull = (): Uint8Array | undefined => {
      try {
        return next();
      } catch (error) {
        sourceError = { error };
        throw error;
      }
    };
    try {
      await this.snapshotter.saveStream(metadata, pull);
    } catch (err) {
      if (sourceError !== undefined && sourceError.error === err) throw err;
      throw this.fail(err);
    }
    await this.persist(undefined, [{ type: 'snapshot', index, term, resetsLog: false }]);
    await this.compact(index);
  }

  /**
   * Reads back the snapshot file at (index, term) this member wrote (to send it to a follower):
   * asynchronously, its data a view of the bytes read. The checksum is not verified again (tens of
   * MB of CRC on the event loop); the receiver validates what it decodes.
   */
  loadSnapshot(metadata: SnapshotMetadata): Promise<Snapshot> {
    return this.snapshotter.loadWritten(metadata);
  }

  /**
   * Opens the data of the snapshot file at (index, term) for reading in slices, to stream it to a
   * follower without holding it whole; read in order, it verifies the file's checksum on the way
   * (see Snapshotter.openReader).
   */
  openSnapshot(metadata: SnapshotMetadata): Promise<SnapFileReader> {
    return this.snapshotter.openReader(metadata);
  }

  /**
   * Writes a snapshot received from the leader to the snap directory as its chunks arrive; `finish`
   * syncs it and resolves with its data read back (for the MsgSnap handed to Raft). When Raft then
   * asks to persist that snapshot (`save`), the file is renamed into place instead of written again.
   * A failed or superseded receive leaves nothing behind; it does not fail the storage.
   */
  receiveSnapshot(metadata: SnapshotMetadata): {
    write(chunk: Uint8Array): Promise<void>;
    finish(): Promise<Uint8Array>;
    abort(): void;
  } {
    if (this.failure !== undefined) throw this.failure;
    const file = this.snapshotter.receive(metadata);
    return {
      write: (chunk) => file.write(chunk),
      finish: async () => (await file.finish()).data,
      abort: () => file.abort(),
    };
  }

  /** Waits for pending saves, then closes the WAL (later saves reject). */
  async close(): Promise<void> {
    await this.ordering;
    await this.purging;
    await this.wal.close();
  }

  /**
   * Fail-stop: Raft assumes each Ready is persisted before the next, so after any failure (a
   * snapshot file that could not be written, a WAL error, a failed purge) every later save
   * rejects. Otherwise a later Ready's entries could land after a hole left by the failed one.
   */
  private persist(snapshot: Snapshot | undefined, records: WalRecord[], sync = true): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (snapshot === undefined && this.queued === 0) {
      // Nothing ahead of us is still writing a snapshot file: append now, so that saves made in
      // the same tick share one fsync.
      return this.failOnError(this.wal.append(records, { sync }));
    }
    this.queued++;
    const submitted = this.ordering.then(async () => {
      try {
        if (this.failure !== undefined) throw this.failure;
        // A snapshot received from the leader is already on disk, synced: renamed into place.
        if (snapshot !== undefined && !(await this.snapshotter.adopt(snapshot.metadata)))
          await this.snapshotter.save(snapshot);
        return { durable: this.wal.append(records, { sync }) };
      } catch (err) {
        throw this.fail(err);
      } finally {
        this.queued--;
      }
    });
    this.ordering = submitted.then(
      () => undefined,
      () => undefined,
    );
    const durable = this.failOnError(submitted.then((s) => s.durable));
    if (snapshot === undefined) return durable;
    return durable.then(() => this.compact(snapshot.metadata.index));
  }

  /** After a snapshot at `index` is durable: drop old snapshot files and covered WAL segments. */
  private compact(index: number): Promise<void> {
    const run = this.purging.then(async () => {
      if (this.failure !== undefined) throw this.failure;
      await this.snapshotter.purge(this.keepSnapshots, index);
      await this.wal.releaseTo(Math.max(0, index - this.catchUpEntries));
    });
    this.purging = run.catch(() => undefined);
    return this.failOnError(run);
  }

  private failOnError(p: Promise<void>): Promise<void> {
    return p.catch(this.rethrowAsFailure);
  }

  /** One function for every save's rejection path (not a closure per save). */
  private readonly rethrowAsFailure = (err: unknown): never => {
    throw this.fail(err);
  };

  private fail(err: unknown): Error {
    this.failure ??= toStorageError(err);
    return this.failure;
  }
}

async function initialize(
  disk: Disk,
  options: RaftStorageOptions,
  snapshotter: Snapshotter,
  hasLeftoverTmp: boolean,
): Promise<void> {
  const { dataDir } = options;
  const tmpDir = joinPath(dataDir, WAL_TMP_DIR);
  if (hasLeftoverTmp) {
    for (const name of await io(() => disk.list(tmpDir))) await io(() => disk.remove(joinPath(tmpDir, name)));
    await io(() => disk.remove(tmpDir));
  }
  await snapshotter.open(dataDir);
  const confState = options.initialConfState ?? { voters: [], learners: [] };
  const data = options.initialSnapshotData ?? new Uint8Array(0);
  await snapshotter.save({ metadata: { index: 0, term: 0, confState }, data });
  const emptyHardState: HardState = { term: 0, vote: 0, commit: 0 };
  await Wal.initialize(disk, tmpDir, options, [
    { type: 'snapshot', index: 0, term: 0, resetsLog: false },
    { type: 'hardState', hardState: emptyHardState },
  ]);
  await io(() => disk.rename(tmpDir, joinPath(dataDir, WAL_DIR)));
  await io(() => disk.fsyncDir(dataDir));
}

function key(index: number, term: number): string {
  return `${index}/${term}`;
}

/** Entries of a boot state as a plain list (helper for tests and the simulator). */
export function lastIndexOf(boot: RaftBootState): number {
  const last: Entry | undefined = boot.entries[boot.entries.length - 1];
  return last?.index ?? boot.snapshot.metadata.index;
}
