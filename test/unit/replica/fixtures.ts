/** Small in-memory stand-ins for the replica's ports, for replica unit tests. */
import { SeededRandom } from '../../../server/platform/random.js';
import type { Entry, HardState, Message, RaftBootState, Snapshot } from '../../../server/raft/index.js';
import {
  encodeReplicaSnapshot,
  MemberRegistry,
  Replica,
  type ReplicaInjectedBugs,
  type ReplicaStorage,
  type StateMachine,
} from '../../../server/replica/index.js';
import { ManualClock } from '../../helpers/manual-clock.js';

export class MemoryReplicaStorage implements ReplicaStorage {
  hardState: HardState = { term: 0, vote: 0, commit: 0 };
  snapshot: Snapshot;
  entries: Entry[] = [];
  saves = 0;
  /** When set, the next save fails with this error (a full or broken disk). */
  failNext: Error | undefined;
  /** While set, saves wait (a slow fsync); `release()` lets them finish. */
  private held: (() => void)[] | undefined;

  constructor(initial: Snapshot) {
    this.snapshot = initial;
  }

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const finish of waiting) finish();
  }

  save(update: {
    hardState: HardState | undefined;
    entries: readonly Entry[];
    snapshot: Snapshot | undefined;
  }): Promise<void> {
    const held = this.held;
    if (held !== undefined) {
      return new Promise((resolve, reject) => held.push(() => this.saveNow(update).then(resolve, reject)));
    }
    return this.saveNow(update);
  }

  private saveNow(update: {
    hardState: HardState | undefined;
    entries: readonly Entry[];
    snapshot: Snapshot | undefined;
  }): Promise<void> {
    if (this.failNext !== undefined) {
      const err = this.failNext;
      this.failNext = undefined;
      return Promise.reject(err);
    }
    this.saves++;
    if (update.snapshot !== undefined) {
      this.snapshot = update.snapshot;
      this.entries = [];
    }
    const first = update.entries[0];
    if (first !== undefined)
      this.entries = this.entries.filter((e) => e.index < first.index).concat(update.entries);
    if (update.hardState !== undefined) this.hardState = update.hardState;
    return Promise.resolve();
  }

  lastIndex(): number {
    return this.entries[this.entries.length - 1]?.index ?? this.snapshot.metadata.index;
  }

  /** While set, snapshot saves wait (a slow snapshot write); `releaseSnapshots()` lets them finish. */
  private heldSnapshots: (() => void)[] | undefined;
  snapshotSaves = 0;

  holdSnapshots(): void {
    this.heldSnapshots ??= [];
  }

  releaseSnapshots(): void {
    const waiting = this.heldSnapshots ?? [];
    this.heldSnapshots = undefined;
    for (const finish of waiting) finish();
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.snapshotSaves++;
    const held = this.heldSnapshots;
    if (held !== undefined)
      return new Promise((resolve) => held.push(() => resolve(this.saveSnapshotNow(snapshot))));
    this.saveSnapshotNow(snapshot);
    return Promise.resolve();
  }

  private saveSnapshotNow(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.entries = this.entries.filter((e) => e.index > snapshot.metadata.index);
  }

  boot(): RaftBootState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries };
  }
}

/** A key-value map; a command is "key=value"; the result is the number of commands applied. */
export class MapStateMachine implements StateMachine<number> {
  map = new Map<string, string>();
  applied = 0;
  lastIndex = 0;

  apply(index: number, command: Uint8Array): number {
    const [k, v] = new TextDecoder().decode(command).split('=');
    this.map.set(k!, v ?? '');
    this.lastIndex = index;
    return ++this.applied;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify({ map: [...this.map], applied: this.applied }));
  }

  restore(data: Uint8Array): void {
    if (data.length === 0) {
      this.map = new Map();
      this.applied = 0;
      return;
    }
    const raw = JSON.parse(new TextDecoder().decode(data)) as { map: [string, string][]; applied: number };
    this.map = new Map(raw.map);
    this.applied = raw.applied;
  }
}

export class ReplicaCluster {
  readonly clock = new ManualClock();
  readonly replicas = new Map<number, Replica<number>>();
  readonly storages = new Map<number, MemoryReplicaStorage>();
  readonly machines = new Map<number, MapStateMachine>();
  readonly down = new Set<number>();
  /** `from→to` connections the transport would report closed by the peer (connectionClosed). */
  readonly closedConnections = new Set<string>();
  private readonly random = new SeededRandom(42);

  constructor(
    readonly ids: readonly number[],
    private readonly options: {
      snapshotCount?: number;
      snapshotLogRatio?: number;
      snapshotCatchUpEntries?: number;
      injectedBugs?: ReplicaInjectedBugs;
    } = {},
    /** Start from bootstrap entries (empty initial membership) instead of an index-0 membership. */
    bootstrap?: { entries: Entry[]; hardState: HardState },
  ) {
    const initial: Snapshot =
      bootstrap === undefined
        ? indexZeroSnapshot(ids)
        : {
            metadata: { index: 0, term: 0, confState: { voters: [], learners: [] } },
            data: new Uint8Array(0),
          };
    for (const id of ids) {
      const storage = new MemoryReplicaStorage(initial);
      if (bootstrap !== undefined) {
        storage.entries = [...bootstrap.entries];
        storage.hardState = bootstrap.hardState;
      }
      this.storages.set(id, storage);
      this.start(id);
    }
  }

  start(id: number): Replica<number> {
    const storage = this.storages.get(id)!;
    const sm = new MapStateMachine();
    this.machines.set(id, sm);
    const replica = new Replica<number>({
      id,
      boot: storage.boot(),
      platform: { clock: this.clock, timers: this.clock, random: this.random.fork() },
      storage,
      stateMachine: sm,
      peers: {
        send: (msgs) => this.route(msgs),
        connectionClosed: (peer) => this.closedConnections.has(`${id}→${peer}`),
      },
      tickIntervalMs: 100,
      electionTicks: 10,
      snapshotCount: this.options.snapshotCount ?? 1000,
      snapshotCatchUpEntries: this.options.snapshotCatchUpEntries ?? 10,
      ...(this.options.snapshotLogRatio !== undefined
        ? { snapshotLogRatio: this.options.snapshotLogRatio }
        : {}),
      requestTimeoutMs: 2000,
      ...(this.options.injectedBugs !== undefined ? { injectedBugs: this.options.injectedBugs } : {}),
    });
    this.replicas.set(id, replica);
    this.down.delete(id);
    replica.start();
    return replica;
  }

  async crash(id: number): Promise<void> {
    this.down.add(id);
    await this.replicas.get(id)!.stop();
  }

  /** Every message sent, in order, with the last index its sender had stored at that moment. */
  readonly sent: { readonly m: Message; readonly senderStored: number }[] = [];

  private route(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.sent.push({ m, senderStored: this.storages.get(m.from)?.lastIndex() ?? 0 });
      if (this.down.has(m.to) || this.down.has(m.from)) continue;
      const target = this.replicas.get(m.to);
      queueMicrotask(() => target?.step(m));
    }
  }

  replica(id: number): Replica<number> {
    return this.replicas.get(id)!;
  }

  leader(): number | undefined {
    for (const [id, r] of this.replicas) if (!this.down.has(id) && r.isLeader()) return id;
    return undefined;
  }

  async waitForLeader(maxMs = 10_000): Promise<number> {
    await advanceUntil(this.clock, () => this.leader() !== undefined, 'a leader', { limitMs: maxMs });
    return this.leader()!;
  }

  async stopAll(): Promise<void> {
    for (const r of this.replicas.values()) await r.stop();
  }
}

export const cmd = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A registry of members `ids`, named m<id>, each with one peer URL and no client URL. */
export function memberRegistry(ids: readonly number[]): MemberRegistry {
  return new MemberRegistry(
    ids.map((id) => ({
      id,
      name: `m${id}`,
      peerUrls: [`http://m${id}:2380`],
      clientUrls: [],
      isLearner: false,
    })),
  );
}

/** The snapshot a new cluster of `ids` starts from: index 0, every member a voter. */
export function indexZeroSnapshot(ids: readonly number[], registry = memberRegistry(ids)): Snapshot {
  return {
    metadata: { index: 0, term: 0, confState: { voters: [...ids], learners: [] } },
    data: encodeReplicaSnapshot(registry, undefined),
  };
}

/** How far virtual time moves per step, and how far at most before a stuck test fails. */
export interface AdvanceOptions {
  readonly stepMs?: number;
  readonly limitMs?: number;
}

/** Advances `clock` until `cond` holds; throws past the limit so a stuck run fails instead of hanging. */
export async function advanceUntil(
  clock: ManualClock,
  cond: () => boolean,
  what: string,
  { stepMs = 100, limitMs = 10_000 }: AdvanceOptions = {},
): Promise<void> {
  for (let spent = 0; !cond(); spent += stepMs) {
    if (spent >= limitMs) throw new Error(`not within ${limitMs} ms of virtual time: ${what}`);
    await clock.advance(stepMs);
  }
}

/** Moves virtual time on until `promise` settles; resolves or rejects as it does. */
export async function advanceUntilSettled<T>(
  clock: ManualClock,
  promise: Promise<T>,
  options: AdvanceOptions = {},
): Promise<T> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await advanceUntil(clock, () => done, 'a request to be answered', options);
  return promise;
}
