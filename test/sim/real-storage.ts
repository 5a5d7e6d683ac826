/**
 * The real storage (server/storage: WAL + snapshot files) on the in-memory disk
 * (server/platform/memory-disk.ts), as a member's durable state in the simulator.
 *
 * Every fsync, fdatasync and directory fsync completes after a simulated delay (a scheduler event);
 * other disk operations complete at once. A crash rolls the disk back to what was synced — or, on
 * a "torn" crash, keeps a random prefix of unsynced appends, parts of it zeroed — and detaches the
 * incarnation's disk view, so promise chains left over from before the crash fail with EIO instead
 * of writing onto the restarted member's disk. Restart reopens the data directory, which runs the
 * storage's real recovery (torn-tail repair, snapshot markers, replay).
 *
 * It is the replica's storage port (`ReplicaStorage`) itself. Everything here is asynchronous: the
 * run loop lets pending promise chains settle after every event (see run.ts), which keeps the run
 * deterministic.
 */
import type { Disk } from '../../server/platform/disk.js';
import { MemoryDisk } from '../../server/platform/memory-disk.js';
import type { SeededRandom } from '../../server/platform/random.js';
import type { ConfState, RaftBootState, Snapshot, SnapshotMetadata } from '../../server/raft/index.js';
import type { ReplicaStorage } from '../../server/replica/index.js';
import { RaftStorage, silentLogger } from '../../server/storage/index.js';
import { exponential } from './options.js';
import type { Scheduler } from './scheduler.js';
import { LogState, type ReadyWrite } from './sim-storage.js';

export interface RealStoreConfig {
  readonly memberId: number;
  readonly initialConf: ConfState;
  readonly scheduler: Scheduler;
  readonly random: SeededRandom;
  readonly fsyncMinMs: number;
  readonly fsyncMeanMs: number;
  /** Entries the WAL keeps before each snapshot, returned at boot (RaftStorage's catchUpEntries). */
  readonly catchUpEntries: number;
}

/** Small WAL segments, so runs cut, replay and purge several of them. */
const SEGMENT_SIZE_BYTES = 16 * 1024;
const DATA_DIR = '/data';

export class RealStore implements ReplicaStorage {
  readonly disk = new MemoryDisk();
  private storage: RaftStorage | undefined;
  /** What `save` and `saveSnapshot` have confirmed durable (for the Ready-contract check). */
  private durable: LogState | undefined;

  constructor(private readonly config: RealStoreConfig) {}

  /** Opens (recovering, or initializing a fresh member) and returns the boot state. */
  async open(): Promise<RaftBootState> {
    const c = this.config;
    const view = this.delayedSyncs(this.disk.attach());
    const { storage, boot } = await RaftStorage.open(view, {
      dataDir: DATA_DIR,
      clusterId: 'sim',
      memberId: c.memberId,
      initialConfState: c.initialConf,
      segmentSizeBytes: SEGMENT_SIZE_BYTES,
      catchUpEntries: c.catchUpEntries,
      logger: silentLogger,
    });
    this.storage = storage;
    // The contract check follows the log after the snapshot (the catch-up window is below it).
    const after = boot.entries.filter((e) => e.index > boot.snapshot.metadata.index);
    this.durable = new LogState(boot.snapshot, after);
    return boot;
  }

  /** Persists a Ready's parts; resolves once they are durable (a commit-only one: written). */
  async save(write: ReadyWrite & { readonly mustSync?: boolean }): Promise<void> {
    const storage = this.storage;
    const durable = this.durable;
    if (storage === undefined || durable === undefined) throw new Error('real store: not open');
    await storage.save(write);
    durable.apply(write);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const storage = this.storage;
    const durable = this.durable;
    if (storage === undefined || durable === undefined) throw new Error('real store: not open');
    await storage.saveSnapshot(snapshot);
    durable.compact(snapshot);
  }

  /** The production background snapshot: slices pulled as the real storage writes them. */
  async saveSnapshotStream(metadata: SnapshotMetadata, next: () => Uint8Array | undefined): Promise<void> {
    const storage = this.storage;
    const durable = this.durable;
    if (storage === undefined || durable === undefined) throw new Error('real store: not open');
    await storage.saveSnapshotStream(metadata, next);
    durable.compact({ metadata, data: new Uint8Array(0) });
  }

  loadSnapshot(metadata: SnapshotMetadata): Promise<Snapshot> {
    const storage = this.storage;
    if (storage === undefined) return Promise.reject(new Error('real store: not open'));
    return storage.loadSnapshot(metadata);
  }

  /** Power loss: unsynced data is gone, or (torn) partly kept. The old incarnation's view dies. */
  crash(torn: boolean): void {
    this.disk.crash(torn ? { random: this.config.random } : {});
    this.storage = undefined;
    this.durable = undefined;
  }

  durableTerm(index: number): number | undefined {
    return this.durable?.term(index);
  }

  private delayedSyncs(view: Disk): Disk {
    const c = this.config;
    const later = (fn: () => Promise<void>): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const delayMs = c.fsyncMinMs + exponential(c.random, c.fsyncMeanMs);
        c.scheduler.after(delayMs, 'fsync', c.memberId, undefined, () => {
          fn().then(resolve, reject);
        });
      });
    return {
      ...view,
      fsync: (p) => later(() => view.fsync(p)),
      fdatasync: (p) => later(() => view.fdatasync(p)),
      // written at once, durable only after the simulated sync delay (a crash before loses it)
      appendAtSynced: (p, o, d) => view.appendAt(p, o, d).then(() => later(() => view.fdatasync(p))),
      fsyncDir: (p) => later(() => view.fsyncDir(p)),
    };
  }
}
