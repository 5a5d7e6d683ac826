/**
 * One simulated member built from the production code: the `Replica` (server/replica/) with the
 * production apply `StateMachine` (MVCC store, lessor, watchable store) behind the member's own
 * adapter (server/member/state-machine-port.ts). Only the ports are simulated:
 *
 *   storage  → 'model': SimStorage (a save is staged, and unless commit-only durable after a
 *              simulated fsync, a scheduler event; a crash drops what was not synced), or
 *              'real': RealStore, the production WAL and snapshot files on the in-memory disk
 *   peers    → the simulated network (nothing leaves a dead incarnation)
 *   platform → SimPlatform: virtual clock and timers, a forked seeded PRNG
 *
 * The Replica hides its Ready loop; the checkers observe it at the ports (`PortObserver`, below):
 * the storage port's saves give appended entries, hard states and installed snapshots (mirrored in
 * a `LogState` of the member's log), the state-machine port and `onApplied` give applies and
 * restores, and the live role is read from `status()` after every input the member handles.
 *
 * A crash abandons the incarnation at once (no graceful stop): its timers are cancelled, its
 * outstanding saves never resolve, its messages are dropped. `start()` rebuilds a fresh Replica and
 * StateMachine from what is durable, so recovery runs the production code too.
 */
import { concatBytes } from '../../server/bytes.js';
import { StateMachine, type ApplyResult, type StateMachineOptions } from '../../server/apply/index.js';
import { StateMachinePort } from '../../server/member/state-machine-port.js';
import type { SeededRandom } from '../../server/platform/random.js';
import {
  Role,
  type ConfState,
  type Entry,
  type HardState,
  type Message,
  type RaftBootState,
  type Snapshot,
  type SnapshotMetadata,
} from '../../server/raft/index.js';
import {
  Replica,
  type ReplicaStorage,
  type StateMachine as ReplicaStateMachine,
} from '../../server/replica/index.js';
import { ackBeforeFsync } from './bug-decorators.js';
import type { AuthApplyChecker } from './checkers/auth-apply.js';
import { SafetyChecker } from './checkers/safety-checker.js';
import { Invariant, Violation } from './checkers/violation.js';
import { exponential, type SimBugs } from './options.js';
import { RealStore } from './real-storage.js';
import type { Scheduler } from './scheduler.js';
import { SimPlatform } from './sim-platform.js';
import { LogState, SimStorage } from './sim-storage.js';

export interface SimReplicaNodeConfig {
  readonly id: number;
  readonly initialConf: ConfState;
  /** This member's tick interval (the profile's tick with this member's drift). */
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /** Raft flow control (RaftConfig defaults when absent). */
  readonly maxMsgBytes?: number;
  readonly maxInflightMsgs?: number;
  /** The leader's bound on uncommitted entry bytes (options.ts simMaxUncommittedBytes). */
  readonly maxUncommittedBytes?: number;
  readonly fsyncMinMs: number;
  readonly fsyncMeanMs: number;
  readonly snapshotCount: number;
  readonly snapshotCatchUpEntries: number;
  readonly requestTimeoutMs: number;
  readonly bugs: SimBugs;
  /** 'model' (default): SimStorage; 'real': server/storage on the in-memory disk. */
  readonly storage?: 'model' | 'real';
  /** The production StateMachine's options (watch catch-up, its injected bugs); defaults if absent. */
  readonly machine?: StateMachineOptions;
}

export interface SimReplicaEnvironment {
  readonly scheduler: Scheduler;
  /** The cluster's checker (a harness of its own may leave it out: the member gets a private one). */
  readonly checker?: SafetyChecker;
  /** The auth workload's checker (SimOptions.auth), judging every applied entry. */
  readonly authChecker?: AuthApplyChecker;
  send(m: Message): void;
  /** A failure inside the member's promise chains (a violation, a fatal error): the run stops. */
  fail(err: unknown): void;
  /** The member was seen leading a term it did not lead before. */
  onBecameLeader?(node: SimReplicaNode): void;
  /** The member, as leader, is persisting a Ready that advances its commit index. */
  onLeaderCommit?(node: SimReplicaNode): void;
  /** A new incarnation is up (its Replica is built and started). */
  onStarted?(node: SimReplicaNode, live: LiveMember): void;
  /** A live incarnation crashed (its peers' connections to it close). */
  onCrashed?(node: SimReplicaNode): void;
  /** The member's state hash after applying up to `index` (once per applied batch and restore). */
  onApplied?(node: SimReplicaNode, index: number, stateHash: string): void;
}

/** Everything of one running incarnation, for clients and checkers that drive a member. */
export interface LiveMember {
  readonly incarnation: number;
  readonly replica: Replica<ApplyResult>;
  readonly machine: StateMachine;
  readonly port: StateMachinePort;
  readonly platform: SimPlatform;
}

export class SimReplicaNode {
  readonly id: number;
  /** The model disk ('model' storage; also kept, unused, on 'real'). */
  readonly storage: SimStorage;
  /** The real WAL on the in-memory disk ('real' storage). */
  readonly realStore: RealStore | undefined;
  incarnation = 0;
  live: LiveMember | undefined;
  /** True while a real-storage member is opening its data directory (not up yet). */
  isStarting = false;
  /** What the observer last saw (cheap reads for the driver). */
  role: Role = Role.Follower;
  term = 0;
  commit = 0;
  readonly stats = { saves: 0, hashes: 0, crashes: 0 };
  private observer: PortObserver | undefined;
  private readonly checker: SafetyChecker;

  constructor(
    private readonly config: SimReplicaNodeConfig,
    private readonly env: SimReplicaEnvironment,
    private readonly random: SeededRandom,
  ) {
    this.id = config.id;
    this.checker = env.checker ?? new SafetyChecker();
    this.storage = new SimStorage(config.initialConf);
    this.realStore =
      config.storage === 'real'
        ? new RealStore({
            memberId: config.id,
            initialConf: config.initialConf,
            scheduler: env.scheduler,
            random: random.fork(),
            fsyncMinMs: config.fsyncMinMs,
            fsyncMeanMs: config.fsyncMeanMs,
            catchUpEntries: config.snapshotCatchUpEntries,
          })
        : undefined;
  }

  get isUp(): boolean {
    return this.live !== undefined;
  }

  get replica(): Replica<ApplyResult> | undefined {
    return this.live?.replica;
  }

  get machine(): StateMachine | undefined {
    return this.live?.machine;
  }

  /** Unsynced writes a crash could keep (for real storage: 1, the disk decides what survives). */
  get unsyncedWrites(): number {
    return this.realStore === undefined ? this.storage.stagedCount : 1;
  }

  start(): void {
    if (this.live !== undefined || this.isStarting) return;
    this.incarnation++;
    const real = this.realStore;
    if (real === undefined) {
      this.boot(this.storage.boot());
      return;
    }
    this.isStarting = true;
    const incarnation = this.incarnation;
    real.open().then(
      (boot) => {
        if (this.incarnation !== incarnation || !this.isStarting) return;
        this.isStarting = false;
        try {
          this.boot(boot);
        } catch (err) {
          this.env.fail(err);
        }
      },
      (err: unknown) => {
        if (this.incarnation === incarnation && this.isStarting) this.env.fail(err);
      },
    );
  }

  /**
   * Power loss: the incarnation is abandoned; unsynced writes are lost except the first
   * `keepStaged` (model storage), or a torn prefix of them when `keepStaged > 0` (real storage).
   */
  crash(keepStaged = 0): void {
    if (this.isStarting) {
      this.isStarting = false;
      this.incarnation++;
      this.realStore?.crash(keepStaged > 0);
      return;
    }
    const live = this.live;
    if (live === undefined) return;
    this.stats.crashes++;
    live.platform.dispose();
    this.live = undefined;
    this.observer = undefined;
    this.incarnation++;
    if (this.realStore === undefined) this.storage.crash(keepStaged);
    else this.realStore.crash(keepStaged > 0);
    this.role = Role.Follower;
    this.env.onCrashed?.(this);
  }

  /** The transport's report: this member's connection to `peer` closed and a redial failed. */
  connectionLost(peer: number): void {
    const live = this.live;
    if (live === undefined) return;
    live.replica.leaderConnectionLost(peer);
    this.observer?.observeRole();
  }

  /** The transport's report: this member's connection to `peer` is established again. */
  connectionRestored(peer: number): void {
    const live = this.live;
    if (live === undefined) return;
    live.replica.leaderConnectionRestored(peer);
    this.observer?.observeRole();
  }

  receive(m: Message): void {
    const live = this.live;
    if (live === undefined) return;
    live.replica.step(m);
    this.observer?.observeRole();
  }

  /** Runs `action` on the live replica (a client request), then reads its role. */
  act<T>(action: (live: LiveMember) => T): T | undefined {
    const live = this.live;
    if (live === undefined) return undefined;
    try {
      return action(live);
    } finally {
      this.observer?.observeRole();
    }
  }

  /** Term of the durable entry at `index` (the snapshot's term at its index), if durable. */
  durableTerm(index: number): number | undefined {
    return (this.realStore ?? this.storage).durableTerm(index);
  }

  private boot(boot: RaftBootState): void {
    const c = this.config;
    const incarnation = this.incarnation;
    const snap = boot.snapshot;
    this.checker.onStart(this.id, incarnation, boot.hardState.commit, snap.metadata.index);
    this.term = boot.hardState.term;
    this.commit = boot.hardState.commit;
    this.role = Role.Follower;
    const observer = new PortObserver(
      this,
      this.env,
      this.checker,
      incarnation,
      new LogState(
        snap,
        boot.entries.filter((e) => e.index > snap.metadata.index),
      ),
    );
    this.observer = observer;
    const platform = new SimPlatform(this.env.scheduler, this.id, this.random.fork(), () =>
      observer.observeRole(),
    );
    const machine = new StateMachine(c.machine);
    const port = new StateMachinePort(machine, platform);
    let storage: ReplicaStorage = observer.storagePort(this.baseStorage(incarnation));
    if (c.bugs.ackBeforeFsync === true) {
      // A dead incarnation's writes fail (real storage: EIO on its detached disk view); that is the
      // crash, not a finding.
      storage = ackBeforeFsync(storage, (err) => {
        if (this.isLive(incarnation)) this.env.fail(err);
      });
    }
    // The replica's own injected bugs (ReplicaConfig.injectedBugs), switched on only when asked.
    const replicaBugs =
      c.bugs.applyBeforePersist === true ? { injectedBugs: { applyBeforePersist: true } } : {};
    const replica = new Replica<ApplyResult>({
      ...replicaBugs,
      id: this.id,
      boot,
      platform,
      storage,
      stateMachine: observer.machinePort(port),
      peers: { send: (msgs) => this.isLive(incarnation) && msgs.forEach((m) => this.env.send(m)) },
      tickIntervalMs: c.tickMs,
      electionTicks: c.electionTicks,
      heartbeatTicks: c.heartbeatTicks,
      snapshotCount: c.snapshotCount,
      snapshotCatchUpEntries: c.snapshotCatchUpEntries,
      requestTimeoutMs: c.requestTimeoutMs,
      // Raft's injected bugs pass through as they are (names Raft does not know it ignores).
      raft: {
        injectedBugs: c.bugs,
        ...(c.maxMsgBytes === undefined ? {} : { maxMsgBytes: c.maxMsgBytes }),
        ...(c.maxInflightMsgs === undefined ? {} : { maxInflightMsgs: c.maxInflightMsgs }),
        ...(c.maxUncommittedBytes === undefined ? {} : { maxUncommittedBytes: c.maxUncommittedBytes }),
      },
    });
    replica.onFatal((err) => {
      if (this.isLive(incarnation)) this.env.fail(err);
    });
    const live: LiveMember = { incarnation, replica, machine, port, platform };
    observer.attach(live);
    replica.onApplied((index) => observer.onApplied(index));
    this.live = live;
    this.env.onStarted?.(this, live);
    replica.start();
    this.checkAppliesDurableCommit(incarnation, boot.hardState.commit);
  }

  /**
   * A restarted member applies everything its durable state says is committed by itself, without
   * hearing from any peer (a member restarted while cut off must still serve what it knew): one
   * tick after the start, its applied index has reached the durable commit index.
   */
  private checkAppliesDurableCommit(incarnation: number, commit: number): void {
    this.env.scheduler.after(this.config.tickMs, 'check', this.id, 'applied its durable commit', () => {
      const applied = this.live?.replica.status().appliedIndex;
      if (!this.isLive(incarnation) || applied === undefined || applied >= commit) return;
      this.env.fail(
        new Violation(
          Invariant.RestartApplies,
          `member ${this.id} restarted with commit ${commit} durable but applied only ${applied} a tick later`,
        ),
      );
    });
  }

  isLive(incarnation: number): boolean {
    return this.incarnation === incarnation && this.live !== undefined;
  }

  /** The durable store as the replica's storage port (before observation and bug decorators). */
  private baseStorage(incarnation: number): ReplicaStorage {
    const real = this.realStore;
    if (real !== undefined) return real;
    const c = this.config;
    const never = <T = void>(): Promise<T> => new Promise<T>(() => undefined);
    return {
      save: (update) => {
        // A dead incarnation's writes never reach the disk and never complete.
        if (!this.isLive(incarnation)) return never();
        this.storage.stage({
          snapshot: update.snapshot,
          entries: update.entries,
          hardState: update.hardState,
        });
        // Commit-only: written, not synced (a crash may lose it, as on a real disk).
        if (update.mustSync === false) return Promise.resolve();
        return new Promise<void>((resolve) => {
          const delayMs = c.fsyncMinMs + exponential(this.random, c.fsyncMeanMs);
          this.env.scheduler.after(delayMs, 'fsync', this.id, undefined, () => {
            if (!this.isLive(incarnation)) return;
            this.storage.sync();
            resolve();
          });
        });
      },
      saveSnapshot: (snapshot: Snapshot) => {
        if (!this.isLive(incarnation)) return never();
        this.storage.saveSnapshot(snapshot);
        return Promise.resolve();
      },
      saveSnapshotStream: (metadata, next) => {
        if (!this.isLive(incarnation)) return never();
        return new Promise<void>((resolve, reject) => {
          const slices: Uint8Array[] = [];
          // One slice per scheduler event: the member goes on applying between two slices, so
          // the view the state machine keeps is tested against concurrent writes and compaction.
          const pull = (): void => {
            if (!this.isLive(incarnation)) return;
            let slice: Uint8Array | undefined;
            try {
              slice = next();
            } catch (err) {
              reject(err);
              return;
            }
            if (slice !== undefined) {
              slices.push(slice.slice()); // a slice may be overwritten by the next one
              this.env.scheduler.after(SNAPSHOT_SLICE_MS, 'snapshot-slice', this.id, undefined, pull);
              return;
            }
            const delayMs = c.fsyncMinMs + exponential(this.random, c.fsyncMeanMs);
            this.env.scheduler.after(delayMs, 'fsync', this.id, 'snapshot', () => {
              if (!this.isLive(incarnation)) return;
              this.storage.saveSnapshot({ metadata, data: concatBytes(slices) });
              resolve();
            });
          };
          pull();
        });
      },
      loadSnapshot: (metadata) => {
        if (!this.isLive(incarnation)) return never<Snapshot>();
        const snap = this.storage.boot().snapshot;
        return snap.metadata.index === metadata.index && snap.metadata.term === metadata.term
          ? Promise.resolve(snap)
          : Promise.reject(new Error(`no snapshot at ${metadata.index} on the simulated disk`));
      },
    };
  }
}

/** Virtual ms between two slices of a background snapshot on the model disk. */
const SNAPSHOT_SLICE_MS = 0.2;

/** Bytes per slice of a background snapshot: small, so a simulated state takes several slices. */
export const SIM_SNAPSHOT_SLICE_BYTES = 512;

/**
 * Watches one incarnation at its ports and feeds the checkers. Everything it reports is what the
 * production code handed to its ports, in the order it handed it.
 */
class PortObserver {
  private live: LiveMember | undefined;
  /** Indexes up to here have been reported to the checker as applied (or restored). */
  private reported: number;
  private hashedAt: number;
  private wasLeaderOfTerm = 0;

  constructor(
    private readonly node: SimReplicaNode,
    private readonly env: SimReplicaEnvironment,
    private readonly checker: SafetyChecker,
    private readonly incarnation: number,
    /** Mirror of the member's log: its boot state plus every save since. */
    private readonly log: LogState,
  ) {
    this.reported = log.snapIndex;
    this.hashedAt = -1;
  }

  attach(live: LiveMember): void {
    this.live = live;
  }

  private get isLive(): boolean {
    return this.node.isLive(this.incarnation) && this.live !== undefined;
  }

  /** Runs a check; a violation is routed to the run first (the replica would only see it as fatal). */
  private checked(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.env.fail(err);
      throw err;
    }
  }

  /**
   * Elections, step-downs and transfers happen inside step() and tick(); reading the live role
   * after every input lets the one-leader-per-term check see short leaderships too.
   */
  observeRole(): void {
    const live = this.live;
    if (live === undefined || !this.isLive) return;
    const st = live.replica.status().raft;
    this.node.role = st.role;
    if (st.term > this.node.term) this.node.term = st.term;
    if (st.role !== Role.Leader) return;
    this.checked(() => this.checker.onLeaderSeen(this.node.id, st.term));
    if (this.wasLeaderOfTerm !== st.term) {
      this.wasLeaderOfTerm = st.term;
      this.env.onBecameLeader?.(this.node);
    }
  }

  storagePort(inner: ReplicaStorage): ReplicaStorage {
    return {
      save: (update) => {
        if (this.isLive) this.checked(() => this.onSave(update));
        return inner.save(update);
      },
      saveSnapshot: (snapshot) => {
        if (this.isLive) this.checked(() => this.log.compact(snapshot));
        return inner.saveSnapshot(snapshot);
      },
      ...(inner.saveSnapshotStream === undefined || inner.loadSnapshot === undefined
        ? {}
        : {
            saveSnapshotStream: (metadata: SnapshotMetadata, next: () => Uint8Array | undefined) =>
              inner.saveSnapshotStream!(metadata, next).then(() => {
                if (this.isLive) this.checked(() => this.log.compact({ metadata, data: new Uint8Array(0) }));
              }),
            loadSnapshot: (metadata: SnapshotMetadata) => inner.loadSnapshot!(metadata),
          }),
    };
  }

  private onSave(update: {
    readonly hardState: HardState | undefined;
    readonly entries: readonly Entry[];
    readonly snapshot: Snapshot | undefined;
  }): void {
    const node = this.node;
    const checker = this.checker;
    node.stats.saves++;
    const hs = update.hardState;
    if (hs !== undefined && hs.term < node.term) {
      throw new Violation(
        Invariant.Monotonic,
        `member ${node.id} term went back from ${node.term} to ${hs.term}`,
      );
    }
    this.log.apply(update);
    if (update.entries.length > 0) checker.onAppend(node.id, update.entries, this.log);
    let commitAdvanced = false;
    if (hs !== undefined) {
      node.term = hs.term;
      checker.onCommit(node.id, this.incarnation, hs.commit, hs.term, this.log);
      commitAdvanced = hs.commit > node.commit;
      node.commit = hs.commit;
    }
    // save() runs synchronously after the Ready was taken: the live status is the Ready's.
    const st = (this.live as LiveMember).replica.status().raft;
    if (st.role === Role.Leader) {
      checker.onLeader(node.id, st.term, this.log);
      if (commitAdvanced) this.env.onLeaderCommit?.(node);
    }
  }

  /** The production port, checked: only durable entries are applied; restores are reported. */
  machinePort(port: StateMachinePort): ReplicaStateMachine<ApplyResult> {
    return {
      apply: (index, command) => {
        if (this.isLive) this.checked(() => this.checkDurable(index));
        const auth = this.isLive ? this.env.authChecker : undefined;
        const judged = auth?.before(port.machine, command);
        const result = port.apply(index, command);
        if (judged !== undefined)
          this.checked(() => auth?.after(this.node.id, index, judged, result, port.machine));
        return result;
      },
      snapshot: () => port.snapshot(),
      beginSnapshot: () => port.machine.beginSnapshot(SIM_SNAPSHOT_SLICE_BYTES),
      restore: (data, index) => {
        port.restore(data);
        // The constructor restores the boot snapshot before `attach`: only the hash is checked.
        if (this.live === undefined) {
          if (data.length > 0) this.hash(port.machine, index);
          return;
        }
        if (!this.isLive) return;
        this.checked(() => {
          this.checkDurable(index);
          this.checker.onRestore(this.node.id, this.incarnation, index, this.log.snapshot.metadata.term);
          this.reported = index;
          this.hash(port.machine, index);
        });
      },
    };
  }

  /** The replica announces its applied index after every applied batch and snapshot install. */
  onApplied(index: number): void {
    const live = this.live;
    if (live === undefined || !this.isLive || index <= this.reported) return;
    this.checked(() => {
      for (let i = this.reported + 1; i <= index; i++) {
        const e = this.log.entry(i);
        if (e === undefined) {
          throw new Violation(
            Invariant.ReadyContract,
            `member ${this.node.id} applied ${i}, which its log (${this.log.snapIndex}, ${this.log.lastIndex}] lacks`,
          );
        }
        this.checker.onApply(this.node.id, this.incarnation, e);
      }
      this.reported = index;
      this.hash(live.machine, index);
    });
  }

  /** One O(state) hash per applied batch, compared wherever two members hash the same index. */
  private hash(machine: StateMachine, index: number): void {
    if (index === this.hashedAt) return;
    this.hashedAt = index;
    this.node.stats.hashes++;
    const hash = machine.hash();
    this.checker.onStateHash(this.node.id, index, hash);
    this.env.onApplied?.(this.node, index, hash);
  }

  private checkDurable(index: number): void {
    const durable = this.node.durableTerm(index);
    const term = this.log.term(index);
    if (durable === undefined || durable !== term) {
      throw new Violation(
        Invariant.ReadyContract,
        `member ${this.node.id} applied entry ${index}/t${term ?? '?'}, which is not durable ` +
          `(durable term ${durable ?? 'none'})`,
      );
    }
  }
}
