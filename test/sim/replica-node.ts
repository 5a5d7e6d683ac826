/**
 * One simulated member built from the production code: the `Replica` (server/replica/) with the
 * production apply `StateMachine` (MVCC store, lessor, watchable store) behind the member's own
 * adapter (server/member/state-machine-port.ts). Only the ports are simulated:
 *
 *   storage  → SimStorage: a save is staged, and (unless commit-only) durable after a simulated
 *              fsync (a scheduler event); a crash drops what was not synced
 *   peers    → the simulated network (nothing leaves a dead incarnation)
 *   platform → SimPlatform: virtual clock and timers, a forked seeded PRNG
 *
 * A crash abandons the incarnation at once (no graceful stop): its timers are cancelled, its
 * outstanding saves never resolve, its messages are dropped. `start()` rebuilds a fresh Replica and
 * StateMachine from what is durable, so recovery runs the production code too.
 *
 * This is the first step of issue #13, beside sim-node.ts (the simulator's own Ready loop).
 */
import { StateMachine, type ApplyResult, type StateMachineOptions } from '../../server/apply/index.js';
import { StateMachinePort } from '../../server/member/state-machine-port.js';
import type { SeededRandom } from '../../server/platform/random.js';
import type { ConfState, Entry, HardState, Message, Snapshot } from '../../server/raft/index.js';
import {
  Replica,
  type ReplicaStorage,
  type StateMachine as ReplicaStateMachine,
} from '../../server/replica/index.js';
import { Invariant, Violation } from './checkers/violation.js';
import { exponential, type SimBugs } from './options.js';
import type { Scheduler } from './scheduler.js';
import { SimPlatform } from './sim-platform.js';
import { SimStorage } from './sim-storage.js';

export interface SimReplicaNodeConfig {
  readonly id: number;
  readonly initialConf: ConfState;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly fsyncMinMs: number;
  readonly fsyncMeanMs: number;
  readonly snapshotCount: number;
  readonly snapshotCatchUpEntries: number;
  readonly requestTimeoutMs: number;
  readonly bugs: SimBugs;
  /** The production StateMachine's options (watch catch-up, its injected bugs); defaults if absent. */
  readonly machine?: StateMachineOptions;
}

export interface SimReplicaEnvironment {
  readonly scheduler: Scheduler;
  send(m: Message): void;
  /** Every member that applies index `index` must reach the same state hash. */
  onApplied(node: SimReplicaNode, index: number, stateHash: string): void;
  /** A failure inside the member's promise chains (a violation, a fatal error): the run stops. */
  fail(err: unknown): void;
}

export class SimReplicaNode {
  readonly id: number;
  readonly storage: SimStorage;
  incarnation = 0;
  replica: Replica<ApplyResult> | undefined;
  machine: StateMachine | undefined;
  private platform: SimPlatform | undefined;

  constructor(
    private readonly config: SimReplicaNodeConfig,
    private readonly env: SimReplicaEnvironment,
    private readonly random: SeededRandom,
  ) {
    this.id = config.id;
    this.storage = new SimStorage(config.initialConf);
  }

  get isUp(): boolean {
    return this.replica !== undefined;
  }

  start(): void {
    if (this.replica !== undefined) return;
    this.incarnation++;
    const incarnation = this.incarnation;
    const c = this.config;
    const platform = new SimPlatform(this.env.scheduler, this.id, this.random.fork());
    const machine = new StateMachine(c.machine);
    const replica = new Replica<ApplyResult>({
      id: this.id,
      boot: this.storage.boot(),
      platform,
      storage: this.storagePort(incarnation),
      stateMachine: this.machinePort(incarnation, new StateMachinePort(machine, platform)),
      peers: { send: (msgs) => this.isLive(incarnation) && msgs.forEach((m) => this.env.send(m)) },
      tickIntervalMs: c.tickMs,
      electionTicks: c.electionTicks,
      heartbeatTicks: c.heartbeatTicks,
      snapshotCount: c.snapshotCount,
      snapshotCatchUpEntries: c.snapshotCatchUpEntries,
      requestTimeoutMs: c.requestTimeoutMs,
      raft: { injectedBugs: c.bugs },
    });
    replica.onFatal((err) => {
      if (this.isLive(incarnation)) this.env.fail(err);
    });
    this.platform = platform;
    this.machine = machine;
    this.replica = replica;
    replica.start();
  }

  /** Power loss: the incarnation is abandoned; unsynced writes are lost except the first `keepStaged`. */
  crash(keepStaged = 0): void {
    if (this.replica === undefined) return;
    this.platform?.dispose();
    this.platform = undefined;
    this.replica = undefined;
    this.machine = undefined;
    this.incarnation++;
    this.storage.crash(keepStaged);
  }

  receive(m: Message): void {
    this.replica?.step(m);
  }

  private isLive(incarnation: number): boolean {
    return this.incarnation === incarnation && this.replica !== undefined;
  }

  private storagePort(incarnation: number): ReplicaStorage {
    const c = this.config;
    return {
      save: (update: {
        readonly hardState: HardState | undefined;
        readonly entries: readonly Entry[];
        readonly snapshot: Snapshot | undefined;
        readonly mustSync?: boolean;
      }): Promise<void> => {
        // A dead incarnation's writes never reach the disk and never complete.
        if (!this.isLive(incarnation)) return new Promise<void>(() => undefined);
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
      saveSnapshot: (snapshot: Snapshot): Promise<void> => {
        if (!this.isLive(incarnation)) return new Promise<void>(() => undefined);
        this.storage.saveSnapshot(snapshot);
        return Promise.resolve();
      },
    };
  }

  /** The production port, checked: only durable entries are applied; the state hash is reported. */
  private machinePort(incarnation: number, port: StateMachinePort): ReplicaStateMachine<ApplyResult> {
    return {
      apply: (index, command) => {
        if (this.storage.durableTerm(index) === undefined) {
          const v = new Violation(
            Invariant.ReadyContract,
            `member ${this.id} applied entry ${index}, which is not durable`,
          );
          this.env.fail(v);
          throw v;
        }
        const result = port.apply(index, command);
        if (this.isLive(incarnation)) this.env.onApplied(this, index, port.machine.hash());
        return result;
      },
      snapshot: () => port.snapshot(),
      restore: (data, index) => {
        port.restore(data);
        if (this.isLive(incarnation) && data.length > 0) this.env.onApplied(this, index, port.machine.hash());
      },
    };
  }
}
