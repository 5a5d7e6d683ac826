/**
 * Options of one simulated run, and the per-seed fault profile ("swarm testing", as in
 * TigerBeetle's VOPR): every seed draws its own weather — which faults are on at all, and how hard
 * — from its PRNG, so a batch of seeds explores calm and hostile mixes alike instead of one average.
 */
import type { StateMachineInjectedBugs } from '../../server/apply/index.js';
import { RAFT_DEFAULTS, type InjectedBugs } from '../../server/raft/index.js';
import type { SeededRandom } from '../../server/platform/random.js';

/** Every rate is a mean interval in virtual ms between occurrences; Infinity switches it off. */
export interface FaultProfile {
  readonly tickMs: number;
  /** Each node's tick interval is tickMs × (1 ± up to tickDriftFraction). */
  readonly tickDriftFraction: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  /**
   * Raft flow control: entry bytes per MsgApp (at least one entry is always sent; a put's envelope
   * is ~30 bytes) and MsgApps in flight.
   */
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly latencyMinMs: number;
  /** Mean of the exponential part of one-way latency (added to latencyMinMs). */
  readonly latencyMeanMs: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  /** Probability that a message is held back by up to reorderDelayMs more, so later ones overtake it. */
  readonly reorderRate: number;
  readonly reorderDelayMs: number;
  readonly partitionIntervalMs: number;
  readonly partitionDurationMs: number;
  /** Share of partition events that cut links in one direction only. */
  readonly asymmetricShare: number;
  readonly crashIntervalMs: number;
  /**
   * Probability that a member is crashed soon (exp(leaderKillDelayMs)) after it becomes leader:
   * leaders that append and die before replicating are what the Raft paper's figure 8 is made of.
   */
  readonly leaderKillRate: number;
  readonly leaderKillDelayMs: number;
  /**
   * Probability that a leader crashes right after taking a Ready that advances its commit index,
   * before that Ready is durable or its messages leave (a crash at the worst moment).
   */
  readonly commitKillRate: number;
  /**
   * Probability that an append (MsgApp) carrying a new leader's own entries, sent within
   * `electionAppendLossMs` of its election, is lost: followers miss the new leader's entries while
   * it brings them the old ones, the raw material of figure 8. 0 switches it off.
   */
  readonly electionAppendLossRate: number;
  readonly electionAppendLossMs: number;
  readonly downtimeMs: number;
  /**
   * Share of crashes that keep unsynced writes: half of those keep all of them (a process crash:
   * the page cache survives), the other half a random ordered prefix (a power loss mid-flush).
   */
  readonly crashKeepsUnsyncedShare: number;
  readonly fsyncMinMs: number;
  readonly fsyncMeanMs: number;
  /** A member takes a snapshot and compacts its log every this many applied entries. */
  readonly compactEveryEntries: number;
  /** Entries kept in the log behind a snapshot (ReplicaConfig.snapshotCatchUpEntries). */
  readonly snapshotCatchUpEntries: number;
  /** The replica's timeout for proposals, reads, membership changes and transfers. */
  readonly requestTimeoutMs: number;
  readonly proposalIntervalMs: number;
  readonly readIntervalMs: number;
  readonly confChangeIntervalMs: number;
  readonly transferIntervalMs: number;
  /**
   * Model "connection closed" (docs/simulator.md): when a member crashes, each peer it is not cut
   * off from sees its connection to it close (`leaderConnectionLost`) after the close and one
   * failed redial travel, and sees it come back (`leaderConnectionRestored`) when it restarts.
   * Partitions stay silent. Off: no member ever hears of a closed connection (the election timeout
   * is the only failure detector, as before the early pre-vote).
   */
  readonly connectionEvents: boolean;
  /**
   * Follower-side connection flaps to a live leader: a follower loses its connection to its leader
   * (its link to the leader cut, and half the time the leader's link back too), is told so, and gets
   * it back after exp(flapDurationMs). One flap at a time.
   */
  readonly flapIntervalMs: number;
  readonly flapDurationMs: number;
}

/**
 * Bugs the simulator can switch on: Raft's own (`RaftConfig.injectedBugs`, passed through to the
 * production Replica as they are), and decorators of the replica's ports (bug-decorators.ts), to
 * prove the crash model and the checkers catch a broken contract.
 */
export interface SimBugs extends InjectedBugs {
  /** Raft (InjectedBugs): a Ready's messages all leave before its write is durable. */
  readonly sendBeforePersist?: boolean;
  /** Replica (ReplicaConfig.injectedBugs): committed entries are applied before the write is durable. */
  readonly applyBeforePersist?: boolean;
  /** Storage port: `save` resolves before the simulated fsync (bug-decorators.ts). */
  readonly ackBeforeFsync?: boolean;
  /** State machine (StateMachineOptions.injectedBugs): a txn's second write emits no watch event. */
  readonly skipTxnSecondWatchEvent?: boolean;
  /** State machine: a lease revoke removes its keys without a revision or delete events. */
  readonly expireLeaseWithoutRevision?: boolean;
  /** State machine: a guarded write is applied although the auth store changed since its check. */
  readonly skipAuthGuard?: boolean;
}

/** The state machine's share of `bugs`, as StateMachineOptions.injectedBugs takes it. */
export function machineBugsOf(bugs: SimBugs): StateMachineInjectedBugs {
  return {
    ...(bugs.skipTxnSecondWatchEvent === true ? { skipTxnSecondWatchEvent: true } : {}),
    ...(bugs.expireLeaseWithoutRevision === true ? { expireLeaseWithoutRevision: true } : {}),
    ...(bugs.skipAuthGuard === true ? { skipAuthGuard: true } : {}),
  };
}

export const SIM_BUG_NAMES = [
  'commitPreviousTermByCount',
  'voteWithoutLogCheck',
  'skipPrevLogCheck',
  'sendBeforePersist',
  'applyBeforePersist',
  'ackBeforeFsync',
  'skipTxnSecondWatchEvent',
  'expireLeaseWithoutRevision',
  'earlyVoteWithoutOwnLoss',
  'skipAuthGuard',
] as const satisfies readonly (keyof SimBugs)[];

export interface SimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5 | 7;
  /** Virtual duration of the fault phase. */
  readonly safetyMs: number;
  /** Bound on the healed phase: a leader and a fresh proposal applied everywhere within this. */
  readonly livenessMs: number;
  /** Hard bound on events in the fault phase (protects against event storms). */
  readonly maxEvents: number;
  readonly bugs: SimBugs;
  /** Overrides applied on top of the seed's drawn profile (bug-provoking mixes in tests). */
  readonly profile: Partial<FaultProfile>;
  /** The name of `profile` for reproduction commands ('swarm' = no overrides). */
  readonly profileName: string;
  /** Durable state: the synchronous model (fast), or the real storage on the in-memory disk. */
  readonly storage: 'model' | 'real';
  /**
   * Simulated clients (clients/) on every member's production request path: txns, reads of both
   * kinds, leases, watches and compaction, with their recorded history checked at the end.
   */
  readonly clients: boolean;
  /**
   * The auth workload (clients/auth-ops.ts, needs `clients`): users, roles and permissions changed
   * under the running clients, auth turned on and off, writes and reads by limited users, judged
   * by the auth checker (checkers/auth-apply.ts) on every applied entry of every member.
   */
  readonly auth: boolean;
  /**
   * With `auth`: revocation races (clients/auth-ops.ts, `revokeRace`). A limited user's put goes
   * through a follower while its right is revoked at the leader, so the revocation is committed
   * between the put's check and its apply: the case the auth checker's model rule is for.
   */
  readonly authRaces: boolean;
}

export const SIM_DEFAULTS = {
  nodes: 5,
  safetyMs: 3000,
  livenessMs: 15000,
  maxEvents: 200_000,
} as const;

export class InvalidSimOptionsError extends Error {
  override readonly name = 'InvalidSimOptionsError';
}

export function simOptions(partial: Partial<SimOptions> & { seed: number }): SimOptions {
  const options: SimOptions = {
    seed: partial.seed,
    nodes: partial.nodes ?? SIM_DEFAULTS.nodes,
    safetyMs: partial.safetyMs ?? SIM_DEFAULTS.safetyMs,
    livenessMs: partial.livenessMs ?? SIM_DEFAULTS.livenessMs,
    maxEvents: partial.maxEvents ?? SIM_DEFAULTS.maxEvents,
    bugs: partial.bugs ?? {},
    profile: partial.profile ?? {},
    profileName: partial.profileName ?? (partial.profile === undefined ? 'swarm' : 'custom'),
    storage: partial.storage ?? 'model',
    clients: partial.clients ?? true,
    auth: partial.auth ?? false,
    authRaces: partial.authRaces ?? false,
  };
  validateSimOptions(options);
  return options;
}

export function validateSimOptions(o: SimOptions): void {
  const fail = (msg: string): never => {
    throw new InvalidSimOptionsError(`sim: ${msg}`);
  };
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    fail(`seed must be a uint32, got ${o.seed}`);
  if (![3, 5, 7].includes(o.nodes)) fail(`nodes must be 3, 5 or 7, got ${o.nodes}`);
  if (!(o.safetyMs >= 0)) fail('safetyMs must be >= 0');
  if (!(o.livenessMs > 0)) fail('livenessMs must be > 0');
  if (!Number.isInteger(o.maxEvents) || o.maxEvents <= 0) fail('maxEvents must be a positive integer');
  if (o.auth && !o.clients) fail('auth needs the clients');
  if (o.authRaces && !o.auth) fail('authRaces needs auth');
}

const OFF = Infinity;

/**
 * A fixed, deliberately hostile mix for hunting consensus bugs (the injected-bug tests and
 * `--profile hostile`): a fast stream of proposals replicated one entry per MsgApp (1 byte: at
 * least one entry is always sent) with at most two in flight (so catch-up after an election takes
 * many round trips), new leaders crashed a moment after their election, leaders crashed right after
 * advancing their commit index, and crashes that keep unsynced writes. Everything else is calm.
 */
export const HOSTILE_PROFILE: Partial<FaultProfile> = {
  proposalIntervalMs: 3,
  maxMsgBytes: 1,
  maxInflightMsgs: 2,
  leaderKillRate: 0.5,
  leaderKillDelayMs: 1,
  commitKillRate: 0.5,
  crashKeepsUnsyncedShare: 1,
  downtimeMs: 300,
  crashIntervalMs: OFF,
  partitionIntervalMs: OFF,
  lossRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  readIntervalMs: OFF,
  confChangeIntervalMs: OFF,
  transferIntervalMs: OFF,
};

/**
 * Power losses: slow fsyncs (5 ms + exp(30 ms)) and a crash every ~60 ms that loses every unsynced
 * write — the weather in which a member that acknowledges before its fsync (ackBeforeFsync) loses
 * votes and acknowledged entries.
 */
export const POWER_LOSS_PROFILE: Partial<FaultProfile> = {
  crashKeepsUnsyncedShare: 0,
  fsyncMinMs: 5,
  fsyncMeanMs: 30,
  crashIntervalMs: 60,
  downtimeMs: 30,
  partitionIntervalMs: OFF,
  lossRate: 0,
};

/**
 * The Raft paper's figure 8, on purpose: the hostile mix (one entry per MsgApp, new leaders killed
 * a moment after their election, leaders killed right after their commit index advances) with
 * short election timeouts and downtimes (many terms), plus lost appends right after each election. A new leader's own entry then often fails to reach a follower
 * while the entries of earlier terms it brings do (one per append), leaders of different terms
 * leave different unreplicated entries at the same index, and a leader that counts replicas of an
 * old-term entry (commitPreviousTermByCount) commits what a later leader overwrites.
 */
export const FIGURE8_PROFILE: Partial<FaultProfile> = {
  ...HOSTILE_PROFILE,
  // Short election timeouts need a fast network (a round trip well under 50 ms).
  latencyMinMs: 0.5,
  latencyMeanMs: 1,
  electionTicks: 5,
  downtimeMs: 50,
  electionAppendLossRate: 0.9,
  electionAppendLossMs: 100,
};

/**
 * A healthy leader under follower-side connection flaps and nothing else (no crash, partition,
 * loss, transfer or membership change, a fast network): the flap checker (run.ts) then requires
 * that the term never changes once the first flap happened.
 */
export const FLAP_PROFILE: Partial<FaultProfile> = {
  crashIntervalMs: OFF,
  partitionIntervalMs: OFF,
  leaderKillRate: 0,
  commitKillRate: 0,
  lossRate: 0,
  confChangeIntervalMs: OFF,
  transferIntervalMs: OFF,
  latencyMeanMs: 1,
  // A leader sends nothing while a slow fsync holds its Ready loop: slow disks cost leaders their
  // term with or without flaps, so they are left out here.
  fsyncMeanMs: 1,
  flapIntervalMs: 15,
  flapDurationMs: 40,
};

export const PROFILES = {
  swarm: {},
  hostile: HOSTILE_PROFILE,
  powerloss: POWER_LOSS_PROFILE,
  figure8: FIGURE8_PROFILE,
  flap: FLAP_PROFILE,
} as const;

/** Whether the profile promises a leader that nothing but connection flaps disturbs. */
export function isFlapOnly(p: FaultProfile): boolean {
  return (
    Number.isFinite(p.flapIntervalMs) &&
    !Number.isFinite(p.crashIntervalMs) &&
    !Number.isFinite(p.partitionIntervalMs) &&
    !Number.isFinite(p.confChangeIntervalMs) &&
    !Number.isFinite(p.transferIntervalMs) &&
    p.leaderKillRate === 0 &&
    p.commitKillRate === 0 &&
    p.lossRate === 0
  );
}
export type ProfileName = keyof typeof PROFILES;

/** Draws this seed's weather. Each fault is on for roughly half of the seeds. */
export function drawProfile(r: SeededRandom, overrides: Partial<FaultProfile>): FaultProfile {
  const between = (lo: number, hi: number): number => lo + (hi - lo) * r.float();
  const maybe = (p: number, value: () => number, otherwise: number): number =>
    r.chance(p) ? value() : otherwise;
  const slowNetwork = r.chance(0.15);
  const heartbeatTicks = 1 + r.int(2);
  const drawn: FaultProfile = {
    tickMs: 10,
    tickDriftFraction: maybe(0.5, () => between(0, 0.2), 0),
    electionTicks: 10,
    heartbeatTicks,
    maxMsgBytes: r.chance(0.4) ? 40 * (1 + r.int(8)) : 1024 * 1024,
    maxInflightMsgs: r.chance(0.4) ? 1 + r.int(8) : 256,
    latencyMinMs: between(0.05, 2),
    latencyMeanMs: slowNetwork ? between(10, 40) : between(0.2, 5),
    lossRate: maybe(0.5, () => between(0, 0.25), 0),
    duplicateRate: maybe(0.4, () => between(0, 0.1), 0),
    reorderRate: maybe(0.4, () => between(0, 0.2), 0),
    reorderDelayMs: between(5, 60),
    partitionIntervalMs: maybe(0.6, () => between(100, 1000), OFF),
    partitionDurationMs: between(50, 800),
    asymmetricShare: between(0, 0.6),
    crashIntervalMs: maybe(0.6, () => between(100, 1200), OFF),
    downtimeMs: between(20, 600),
    crashKeepsUnsyncedShare: maybe(0.5, () => r.float(), 0),
    leaderKillRate: maybe(0.3, () => between(0, 0.5), 0),
    leaderKillDelayMs: between(1, 30),
    commitKillRate: maybe(0.2, () => between(0, 0.05), 0),
    electionAppendLossRate: 0,
    electionAppendLossMs: 0,
    fsyncMinMs: between(0.05, 1),
    fsyncMeanMs: r.chance(0.2) ? between(5, 30) : between(0.1, 3),
    compactEveryEntries: 5 + r.int(60),
    snapshotCatchUpEntries: r.chance(0.5) ? 0 : r.int(20),
    requestTimeoutMs: 1000,
    proposalIntervalMs: between(2, 25),
    readIntervalMs: maybe(0.7, () => between(10, 100), OFF),
    confChangeIntervalMs: maybe(0.5, () => between(100, 800), OFF),
    transferIntervalMs: maybe(0.4, () => between(100, 1000), OFF),
    // Drawn last, so that every earlier draw of a seed is what it was before flaps existed.
    connectionEvents: true,
    flapIntervalMs: maybe(0.3, () => between(50, 500), OFF),
    flapDurationMs: between(5, 100),
  };
  return { ...drawn, ...overrides };
}

/** Bytes of a simulated put's entry data (its envelope is ~30 bytes): the unit of the estimate. */
const SIM_ENTRY_BYTES = 30;

/**
 * The leader's bound on uncommitted entry bytes (RaftConfig.maxUncommittedBytes), derived from the
 * profile (nothing drawn, so no seed's other draws move) so that what it lets pile up can be
 * committed within a third of `livenessMs` once the weather stops (the rest is for an election,
 * the probe, and the laggards' snapshots and applies).
 *
 * The fault driver proposes at its own pace (a put every 2-25 ms) however slowly the cluster
 * commits. With one entry per MsgApp, 2 in flight and a ~70 ms round trip a follower takes ~30
 * entries a second, so a leader that accepts everything (Raft's default bound is 64 MiB) ends the
 * fault phase hundreds of entries ahead of its commit (sim seed 4247: ~750, drained at ~50 a
 * second) and the healed cluster spends the whole liveness budget committing them: a load the
 * harness imposed, not a liveness bug. A production leader is bounded the same way, by a limit
 * sized to what its followers can take; its refusals (TOO_MANY_UNCOMMITTED) are exercised here.
 *
 * Estimate per follower: `maxInflightMsgs` appends of at least one entry per round trip (two mean
 * one-way latencies and the follower's fsync before it answers). Never above Raft's default,
 * never below a few entries.
 */
export function simMaxUncommittedBytes(p: FaultProfile, livenessMs: number): number {
  const drainMs = livenessMs / 3;
  const roundTripMs = 2 * (p.latencyMinMs + p.latencyMeanMs) + p.fsyncMinMs + p.fsyncMeanMs;
  const entriesPerAppend = Math.max(1, Math.floor(p.maxMsgBytes / SIM_ENTRY_BYTES));
  const entriesPerMs = (p.maxInflightMsgs * entriesPerAppend) / roundTripMs;
  const bytes = Math.floor(entriesPerMs * drainMs) * SIM_ENTRY_BYTES;
  return Math.min(RAFT_DEFAULTS.maxUncommittedBytes, Math.max(8 * SIM_ENTRY_BYTES, bytes));
}

export function describeProfile(p: FaultProfile): string {
  const f = (x: number): string => (x === Infinity ? 'off' : Number.isInteger(x) ? String(x) : x.toFixed(2));
  return [
    `tick=${f(p.tickMs)}ms±${f(p.tickDriftFraction)} election=${p.electionTicks} heartbeat=${p.heartbeatTicks}`,
    `msgBytes=${p.maxMsgBytes} inflight=${p.maxInflightMsgs}`,
    `latency=${f(p.latencyMinMs)}+exp(${f(p.latencyMeanMs)})ms loss=${f(p.lossRate)} dup=${f(p.duplicateRate)}`,
    `reorder=${f(p.reorderRate)}/${f(p.reorderDelayMs)}ms partitions=${f(p.partitionIntervalMs)}ms/${f(p.partitionDurationMs)}ms`,
    `asym=${f(p.asymmetricShare)} crashes=${f(p.crashIntervalMs)}ms down=${f(p.downtimeMs)}ms keepUnsynced=${f(p.crashKeepsUnsyncedShare)}`,
    `leaderKill=${f(p.leaderKillRate)}/${f(p.leaderKillDelayMs)}ms commitKill=${f(p.commitKillRate)}` +
      ` electionAppendLoss=${f(p.electionAppendLossRate)}/${f(p.electionAppendLossMs)}ms`,
    `fsync=${f(p.fsyncMinMs)}+exp(${f(p.fsyncMeanMs)})ms snapshot=${p.compactEveryEntries}/keep ${p.snapshotCatchUpEntries}`,
    `proposals=${f(p.proposalIntervalMs)}ms reads=${f(p.readIntervalMs)}ms confChanges=${f(p.confChangeIntervalMs)}ms transfers=${f(p.transferIntervalMs)}ms`,
    `connectionEvents=${p.connectionEvents ? 'on' : 'off'} flaps=${f(p.flapIntervalMs)}ms/${f(p.flapDurationMs)}ms`,
  ].join(' ');
}

/** An exponentially distributed delay with the given mean (0 for a mean of 0). */
export function exponential(r: SeededRandom, meanMs: number): number {
  if (meanMs <= 0) return 0;
  return -Math.log(1 - r.float()) * meanMs;
}
