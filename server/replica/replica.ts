/**
 * One member's replica: Raft + durable storage + the state machine, driven by the Ready loop
 *
 *   input (tick, peer message, proposal, read) ─▶ RaftNode ─▶ Ready
 *   Ready: send what promises nothing ─▶ apply what earlier Readys made durable ─▶ persist (fsync)
 *          ─▶ send the rest ─▶ apply snapshot + the other committed entries ─▶ advance
 *   (the order and why it is safe: docs/raft.md, "the Ready / advance contract")
 *
 * Deterministic given its Platform, storage and peers, so the simulator runs this same code.
 * Inputs that arrive while a Ready is being persisted accumulate in Raft and go into the next
 * Ready together: that is the group commit (one fsync for all of them).
 */
import { assert } from '../assert.js';
import { timeout, unavailable } from '../errors.js';
import { committedAppliableBeforePersist, decodeConfChange, RaftNode } from '../raft/index.js';
import {
  EntryType,
  NONE,
  type ConfChange,
  type Entry,
  type Message,
  type MsgSnap,
  type Snapshot,
} from '../raft/types.js';
import type { TimerHandle } from '../platform/timers.js';
import { decodeEnvelope, encodeEnvelope, EnvelopeKind } from './envelope.js';
import { HeldProposals } from './held-proposals.js';
import { IdGenerator } from './id-generator.js';
import {
  decodeMemberAttributes,
  encodeMemberAttributes,
  MemberRegistry,
  type Member,
  type MemberAttributes,
} from './members.js';
import { PendingRequests } from './pending.js';
import { ReadBatcher } from './read-batcher.js';
import { decodeReplicaSnapshot, encodeReplicaSnapshot, encodeReplicaSnapshotHead } from './snapshot-codec.js';
import {
  REPLICA_DEFAULTS,
  silentLogger,
  type LeaderListener,
  type MembershipListener,
  type ReplicaConfig,
  type ReplicaLogger,
  type ReplicaStats,
  type ReplicaStatus,
} from './replica-config.js';
import { toServerError } from './to-server-error.js';
import { catchUpCompactIndex, type SnapshotMark, SnapshotSpacing } from '../storage/snapshot-policy.js';

export class Replica<R> {
  readonly id: number;
  private readonly node: RaftNode;
  private readonly config: ReplicaConfig<R>;
  private readonly log: ReplicaLogger;
  private readonly ids: IdGenerator;
  private readonly pending: PendingRequests<R>;
  private readonly pendingAttributes: PendingRequests<void>;
  private readonly confWaiters: { cc: ConfChange; resolve: () => void }[] = [];
  private readonly reads: ReadBatcher;
  /** Proposals refused for want of a leader, held while a dead leader's successor is elected. */
  private readonly held: HeldProposals;
  private members: MemberRegistry;
  private appliedIndex: number;
  private appliedTerm: number;
  private snapshotIndex: number;
  private leader = NONE;
  private driving = false;
  private drivePromise: Promise<void> = Promise.resolve();
  private kickScheduled = false;
  private tickTimer: TimerHandle | undefined;
  private stopped = false;
  private campaignedAlone = false;
  private fatalError: Error | undefined;
  /** The snapshot being serialised and written in the background, if any (at most one). */
  private snapshotJob: SnapshotJob | undefined;
  /** A snapshot made durable in the background, waiting for the Ready loop to compact the log. */
  private durableSnapshot: DurableSnapshot | undefined;
  /** When the next snapshot is due: entries and log bytes since the newest one, and its size. */
  private readonly spacing: SnapshotSpacing;
  /**
   * Snapshots handed to Raft without their data, which stays in its file: a MsgSnap carrying one
   * is sent once the data is read back (`sendSnapshotFromFile`), so the data is in memory only
   * while a follower is being sent it.
   */
  private readonly inFile = new WeakSet<Snapshot>();
  /** An injected bug (simulator self-tests only, never in production): see ReplicaInjectedBugs. */
  private readonly applyBeforePersist: boolean;
  private readonly leaderListeners = new Set<LeaderListener>();
  private readonly membershipListeners = new Set<MembershipListener>();
  private readonly tickListeners = new Set<() => void>();
  private readonly appliedListeners = new Set<(index: number) => void>();
  private readonly fatalListeners = new Set<(error: Error) => void>();
  private counters = {
    proposalsApplied: 0,
    proposalsFailed: 0,
    leaderChanges: 0,
    snapshotsTaken: 0,
    snapshotsRestored: 0,
    applyBatches: 0,
    applyMsTotal: 0,
  };

  constructor(config: ReplicaConfig<R>) {
    this.config = config;
    this.id = config.id;
    this.log = config.logger ?? silentLogger;
    this.applyBeforePersist = config.injectedBugs?.applyBeforePersist === true;
    const { clock, timers, random } = config.platform;
    this.ids = new IdGenerator(config.id, clock);
    this.pending = new PendingRequests<R>(timers);
    this.pendingAttributes = new PendingRequests<void>(timers);
    this.held = new HeldProposals(() => clock.nowMs());
    const snap = config.boot.snapshot;
    const decoded = decodeReplicaSnapshot(snap.data);
    this.members = decoded.members;
    if (decoded.stateMachine !== undefined)
      config.stateMachine.restore(decoded.stateMachine, snap.metadata.index);
    this.appliedIndex = snap.metadata.index;
    this.appliedTerm = snap.metadata.term;
    this.snapshotIndex = snap.metadata.index;
    this.spacing = new SnapshotSpacing({
      snapshotCount: config.snapshotCount,
      ...(config.snapshotLogRatio === undefined ? {} : { logRatio: config.snapshotLogRatio }),
      snapshotIndex: snap.metadata.index,
      snapshotBytes: snap.data.length,
    });
    // Once restored, the boot snapshot's data is needed only to send it: leave it in its file.
    let boot = config.boot;
    if (this.streamsSnapshots() && snap.metadata.index > 0) {
      const inFile: Snapshot = { metadata: snap.metadata, data: new Uint8Array(0) };
      this.inFile.add(inFile);
      boot = { ...boot, snapshot: inFile };
    }
    this.node = new RaftNode({
      ...config.raft,
      id: config.id,
      electionTicks: config.electionTicks,
      heartbeatTicks: config.heartbeatTicks ?? REPLICA_DEFAULTS.heartbeatTicks,
      random,
      boot,
      appliedIndex: snap.metadata.index,
    });
    // Read contexts must differ from every earlier incarnation's: a leader's answer to a read the
    // previous process sent would otherwise confirm a restarted member's read with an old index.
    this.reads = new ReadBatcher(`${config.id}.${this.ids.next()}`, timers, (ctx) => {
      try {
        this.node.readIndex(ctx);
      } catch (err) {
        throw toServerError(err);
      }
      this.kick();
    });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  start(): void {
    assert(!this.stopped, 'replica: start after stop');
    this.scheduleTick();
    this.kick();
  }

  /** Stop ticking and driving; pending requests fail with UNAVAILABLE. Storage stays open. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.tickTimer !== undefined) this.config.platform.timers.clearTimeout(this.tickTimer);
    await this.drivePromise;
    const job = this.snapshotJob;
    if (job !== undefined) {
      job.abandon();
      await job.done;
    }
    const err = (): Error => unavailable('member is stopping');
    this.pending.rejectAll(err);
    this.pendingAttributes.rejectAll(err);
    this.reads.failAll(err);
  }

  private scheduleTick(): void {
    this.tickTimer = this.config.platform.timers.setTimeout(() => {
      if (this.stopped) return;
      this.node.tick();
      this.retryHeld();
      for (const l of this.tickListeners) l();
      this.kick();
      this.scheduleTick();
    }, this.config.tickIntervalMs);
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** A message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    this.node.step(m);
    this.kick();
  }

  /**
   * Propose a state-machine command; resolves with its result once applied on this member.
   * Rejects with UNAVAILABLE (refused: nothing was proposed) or TIMEOUT (the outcome is unknown:
   * the command may still be applied).
   */
  propose(command: Uint8Array, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<R> {
    return this.proposeEnvelope(command, EnvelopeKind.Command, this.pending, options);
  }

  /** Publish this member's attributes (name, client URLs) to the cluster. */
  publishAttributes(attrs: MemberAttributes, options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.updateMemberAttributes(this.id, attrs, options);
  }

  /**
   * Replace member `memberId`'s attributes through Raft (etcd's MemberUpdate sends its peer URLs
   * this way); resolves once applied here. Non-empty peer URLs replace the member's, and every
   * membership listener hears of it, so the transport dials the new ones.
   */
  updateMemberAttributes(
    memberId: number,
    attrs: MemberAttributes,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const bytes = new TextEncoder().encode(
      JSON.stringify({ memberId, attributes: encodeMemberAttributes(attrs) }),
    );
    return this.proposeEnvelope(bytes, EnvelopeKind.MemberAttributes, this.pendingAttributes, options);
  }

  private proposeEnvelope<T>(
    payload: Uint8Array,
    kind: EnvelopeKind,
    pending: PendingRequests<T>,
    options: { signal?: AbortSignal; timeoutMs?: number },
  ): Promise<T> {
    if (this.stopped || this.fatalError !== undefined)
      return Promise.reject(unavailable('member is not running', this.fatalError));
    const max = this.config.maxPendingProposals ?? REPLICA_DEFAULTS.maxPendingProposals;
    if (this.pending.size + this.pendingAttributes.size >= max) {
      return Promise.reject(unavailable(`too many pending proposals (${max}); retry later`));
    }
    const id = this.ids.next();
    const timeoutMs = options.timeoutMs ?? this.config.requestTimeoutMs;
    const promise = pending.wait(
      id,
      timeoutMs,
      () => this.held.expire(id) ?? timeout('request timed out; it may or may not have been applied'),
      options.signal,
    );
    const data = encodeEnvelope(id, payload, kind);
    if (this.leaderConnectionClosed()) {
      this.held.hold(id, data, pending);
    } else {
      try {
        this.node.propose(data);
      } catch (err) {
        if (this.held.shouldHold(err)) this.held.hold(id, data, pending);
        else pending.reject(id, toServerError(err));
      }
    }
    this.kick();
    return promise.catch((err: unknown) => {
      this.counters.proposalsFailed++;
      throw err;
    });
  }

  /** Resolves when local state reflects every write committed before the call (ReadIndex). */
  linearizableRead(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped || this.fatalError !== undefined)
      return Promise.reject(unavailable('member is not running'));
    return this.reads.read(options.timeoutMs ?? this.config.requestTimeoutMs, options.signal);
  }

  /** Propose a membership change; resolves once it is applied on this member. */
  changeMembership(
    cc: ConfChange,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      try {
        this.node.proposeConfChange(cc);
      } catch (err) {
        reject(toServerError(err));
        return;
      }
      const waiter = {
        cc,
        resolve: () => {
          cleanup();
          resolve();
        },
      };
      const timer = this.config.platform.timers.setTimeout(() => {
        cleanup();
        reject(timeout('membership change timed out; it may still be applied'));
      }, options.timeoutMs ?? this.config.requestTimeoutMs);
      const onAbort = (): void => {
        cleanup();
        reject(options.signal?.reason instanceof Error ? options.signal.reason : new Error('aborted'));
      };
      const cleanup = (): void => {
        this.config.platform.timers.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const i = this.confWaiters.indexOf(waiter);
        if (i >= 0) this.confWaiters.splice(i, 1);
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.confWaiters.push(waiter);
      this.kick();
    });
  }

  /** Ask for leadership to move to `to`; resolves when this member sees `to` as leader. */
  transferLeadership(to: number, options: { timeoutMs?: number } = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.leader === to) {
        resolve();
        return;
      }
      try {
        this.node.transferLeadership(to);
      } catch (err) {
        reject(toServerError(err));
        return;
      }
      const listener: LeaderListener = (leader) => {
        if (leader !== to) return;
        this.config.platform.timers.clearTimeout(timer);
        this.leaderListeners.delete(listener);
        resolve();
      };
      const timer = this.config.platform.timers.setTimeout(() => {
        this.leaderListeners.delete(listener);
        reject(timeout(`leadership transfer to ${to} did not complete`));
      }, options.timeoutMs ?? this.config.requestTimeoutMs);
      this.leaderListeners.add(listener);
      this.kick();
    });
  }

  /** The transport could not deliver a snapshot to `to`: let Raft probe and retry. */
  reportSnapshotFailure(to: number): void {
    this.node.reportSnapshotFailure(to);
    this.kick();
  }

  /**
   * The peer transport's connection to `peer` closed (reset or FIN, not idle) and one immediate
   * redial failed: if `peer` is our leader, Raft campaigns early (docs/raft.md).
   */
  leaderConnectionLost(peer: number): void {
    if (this.stopped) return;
    this.node.leaderConnectionLost(peer);
    // Our leader is suspect now: proposals wait for its successor (held-proposals.ts) for as long
    // as the election timeout would have let them wait for the old one.
    if (this.node.status().suspectLeader === peer)
      this.held.expectSuccessor(this.config.tickIntervalMs * this.config.electionTicks);
    this.kick();
  }

  /** The peer transport's connection to `peer` is established (again). */
  leaderConnectionRestored(peer: number): void {
    if (this.stopped) return;
    this.node.leaderConnectionRestored(peer);
    this.kick();
  }

  /** Start an election now (used by tests and operators). */
  campaign(): void {
    this.node.campaign();
    this.kick();
  }

  // ---- observation --------------------------------------------------------------------------

  /** False once stopped or failed: no request will be served any more. */
  isRunning(): boolean {
    return !this.stopped && this.fatalError === undefined;
  }

  leaderId(): number {
    return this.leader;
  }

  isLeader(): boolean {
    return this.leader === this.id;
  }

  memberList(): Member[] {
    return this.members.list();
  }

  /**
   * The Raft term: what every answer's header carries. `status()` builds the whole status (the
   * leader's progress map included) and cost ~2 KB of garbage a put when headers read it.
   */
  get term(): number {
    return this.node.term;
  }

  status(): ReplicaStatus {
    return {
      raft: this.node.status(),
      appliedIndex: this.appliedIndex,
      appliedTerm: this.appliedTerm,
      snapshotIndex: this.snapshotIndex,
      pendingProposals: this.pending.size,
      fatal: this.fatalError,
    };
  }

  stats(): ReplicaStats {
    return { ...this.counters, proposalsPending: this.pending.size + this.pendingAttributes.size };
  }

  onLeaderChange(listener: LeaderListener): () => void {
    this.leaderListeners.add(listener);
    return () => this.leaderListeners.delete(listener);
  }

  onMembershipChange(listener: MembershipListener): () => void {
    this.membershipListeners.add(listener);
    return () => this.membershipListeners.delete(listener);
  }

  /** Called after every Raft tick (the lease driver hangs here). */
  onTick(listener: () => void): () => void {
    this.tickListeners.add(listener);
    return () => this.tickListeners.delete(listener);
  }

  /** Called once if the replica stops on a fatal error (a failed disk, a broken invariant). */
  onFatal(listener: (error: Error) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  onApplied(listener: (index: number) => void): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /**
   * Take a snapshot now (operators' "snapshot on demand"); resolves, once it is durable and the log
   * compacted, with the index of the newest snapshot (at least the index applied at the call).
   */
  async snapshotNow(): Promise<number> {
    await this.drivePromise;
    const target = this.appliedIndex;
    while (this.snapshotIndex < target && !this.stopped && this.fatalError === undefined) {
      const job = this.snapshotJob ?? this.startSnapshot();
      if (job === undefined) break;
      await job.done;
      while (this.driving) await this.drivePromise;
      this.compactToDurableSnapshot();
    }
    if (this.fatalError !== undefined) throw this.fatalError;
    return this.snapshotIndex;
  }

  // ---- the Ready loop -----------------------------------------------------------------------

  private kick(): void {
    if (this.kickScheduled || this.stopped) return;
    this.kickScheduled = true;
    // A microtask, so every input of the current macrotask lands in one Ready (one fsync).
    queueMicrotask(() => {
      this.kickScheduled = false;
      if (!this.driving) this.drivePromise = this.drive();
    });
  }

  private async drive(): Promise<void> {
    this.driving = true;
    try {
      this.compactToDurableSnapshot();
      while (!this.stopped && this.fatalError === undefined && this.node.hasReady()) {
        const rd = this.node.ready();
        // What promises nothing about this write leaves at once (a leader's appends: followers'
        // fsyncs overlap its own; forwarded proposals); the rest only once the write is durable.
        const sendFirst = rd.messagesBeforePersist;
        if (sendFirst > 0) this.send(rd.messages.slice(0, sendFirst));
        // Entries made durable by earlier Readys are applied (and answered) during this write.
        const early = this.applyBeforePersist
          ? rd.committedEntries.length
          : committedAppliableBeforePersist(rd);
        const confChanges: ConfChange[] = [];
        if (early > 0) this.applyCommitted(rd.committedEntries.slice(0, early), confChanges);
        if (rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined) {
          const saving = this.config.storage.save({
            hardState: rd.hardState,
            entries: rd.entries,
            snapshot: rd.snapshot,
            mustSync: rd.mustSync,
          });
          // Only the commit index changed: it is written (without fsync) so that a restarted member
          // — even one cut off from its peers — applies everything it knew was committed, but
          // nothing below waits for it; the WAL keeps write order and a failure stops the replica.
          if (rd.mustSync) await saving;
          else saving.catch((err: unknown) => this.fail(err));
        }
        if (sendFirst < rd.messages.length) this.send(rd.messages.slice(sendFirst));
        if (rd.snapshot !== undefined) this.restoreSnapshot(rd.snapshot);
        if (early < rd.committedEntries.length)
          this.applyCommitted(rd.committedEntries.slice(early), confChanges);
        this.node.advance(rd);
        if (rd.softState !== undefined && rd.softState.leader !== this.leader)
          this.leaderChanged(rd.softState.leader);
        this.maybeCampaignAlone();
        for (const cc of confChanges) this.membershipChanged(cc);
        for (const rs of rd.readStates) this.reads.onReadState(rs.index, rs.context, this.appliedIndex);
        if (rd.snapshot !== undefined) {
          this.announceApplied();
          this.leaveSnapshotInFile(rd.snapshot);
        }
        // Compact first: a snapshot that became durable while this Ready was written is the base the
        // next one counts from (counting from the one before it cut a second snapshot at once).
        this.compactToDurableSnapshot();
        // Never awaited: the snapshot is serialised and written while this loop goes on.
        if (this.spacing.shouldSnapshot(this.appliedIndex)) this.startSnapshot();
      }
    } catch (err) {
      this.fail(err);
    } finally {
      this.driving = false;
    }
    this.retryHeld();
    // Inputs that arrived during the last await have been folded into Raft; go again if needed.
    if (!this.stopped && this.fatalError === undefined && this.node.hasReady()) this.kick();
  }

  /** Proposes the held proposals once a leader is known (held-proposals.ts). */
  private retryHeld(): void {
    if (this.held.size === 0 || this.stopped || this.fatalError !== undefined) return;
    const blocked = (): boolean => this.leaderConnectionClosed();
    if (this.held.retry((data) => this.node.propose(data), toServerError, blocked)) this.kick();
  }

  /**
   * We follow a leader whose connection its side closed, and the transport's redial probe has not
   * decided yet (held-proposals.ts): a proposal forwarded now would be lost for certain.
   */
  private leaderConnectionClosed(): boolean {
    const lead = this.leader;
    return lead !== NONE && lead !== this.id && this.config.peers.connectionClosed?.(lead) === true;
  }

  private applyCommitted(entries: readonly Entry[], confChanges: ConfChange[]): void {
    const applyStart = this.config.platform.clock.nowMs();
    for (const e of entries) {
      const cc = this.applyEntry(e);
      if (cc !== undefined) confChanges.push(cc);
    }
    this.counters.applyBatches++;
    this.counters.applyMsTotal += this.config.platform.clock.nowMs() - applyStart;
    this.announceApplied();
  }

  /** Reads waiting for the applied index, and the applied listeners (watches), learn the news. */
  private announceApplied(): void {
    this.reads.onApplied(this.appliedIndex);
    for (const l of this.appliedListeners) l(this.appliedIndex);
  }

  /**
   * The only voter of a cluster need not wait an election timeout to lead: nobody can compete.
   * (A single-member `npm start` answers writes as soon as its bootstrap entries are applied.)
   */
  private maybeCampaignAlone(): void {
    if (this.campaignedAlone || this.leader !== NONE) return;
    const { voters } = this.node.confState();
    if (voters.length !== 1 || voters[0] !== this.id) return;
    this.campaignedAlone = true;
    this.node.campaign();
  }

  private applyEntry(e: Entry): ConfChange | undefined {
    if (e.index <= this.appliedIndex) return undefined;
    this.appliedIndex = e.index;
    this.appliedTerm = e.term;
    this.spacing.applied(e.data.length);
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e.data);
      this.members.applyConfChange(cc);
      return cc;
    }
    if (e.data.length === 0) return undefined;
    const env = decodeEnvelope(e.data);
    if (env.kind === EnvelopeKind.MemberAttributes) {
      const raw = JSON.parse(new TextDecoder().decode(env.command)) as {
        memberId?: unknown;
        attributes?: unknown;
      };
      if (typeof raw.memberId === 'number' && typeof raw.attributes === 'string') {
        const attrs = decodeMemberAttributes(raw.attributes);
        const before = this.members.get(raw.memberId)?.peerUrls.join(',');
        this.members.applyAttributes(raw.memberId, attrs);
        // New peer URLs (a member update): the transport must dial them.
        if (attrs.peerUrls.length > 0 && attrs.peerUrls.join(',') !== before) {
          for (const l of this.membershipListeners) l(this.members.list(), undefined);
        }
      }
      this.pendingAttributes.resolve(env.requestId, undefined);
      return undefined;
    }
    const result = this.config.stateMachine.apply(e.index, env.command);
    this.counters.proposalsApplied++;
    // Only the member that proposed it has a waiter; on the others this is a no-op.
    this.pending.resolve(env.requestId, result);
    return undefined;
  }

  private restoreSnapshot(snapshot: Snapshot): void {
    // A snapshot of our own still being written is older than this one: drop it.
    this.snapshotJob?.abandon();
    this.durableSnapshot = undefined;
    const decoded = decodeReplicaSnapshot(snapshot.data);
    this.members = decoded.members;
    this.config.stateMachine.restore(decoded.stateMachine ?? new Uint8Array(0), snapshot.metadata.index);
    this.appliedIndex = snapshot.metadata.index;
    this.appliedTerm = snapshot.metadata.term;
    this.snapshotIndex = snapshot.metadata.index;
    this.spacing.restored(snapshot.metadata.index, snapshot.data.length);
    this.counters.snapshotsRestored++;
    for (const l of this.membershipListeners) l(this.members.list(), undefined);
  }

  /**
   * A snapshot received from the leader, once restored and durable, is kept by Raft (to send on,
   * should this member lead) without its data, which stays in its file like our own snapshots':
   * otherwise Raft would hold the whole image until the next snapshot is taken.
   */
  private leaveSnapshotInFile(snapshot: Snapshot): void {
    if (!this.streamsSnapshots() || this.inFile.has(snapshot) || snapshot.metadata.index === 0) return;
    const inFile: Snapshot = { metadata: snapshot.metadata, data: new Uint8Array(0) };
    this.inFile.add(inFile);
    this.node.compact(inFile, snapshot.metadata.index);
  }

  /**
   * Starts a snapshot at the applied index unless one is already under way. On the Ready loop this
   * costs only what `beginSnapshot` costs (a view of the state, not its serialisation); the slices
   * are pulled by storage as it writes them, in the background, and the Ready loop compacts the log
   * once the snapshot is durable (`compactToDurableSnapshot`).
   *
   * Without `beginSnapshot`/`saveSnapshotStream` on the ports (the simulator's, test doubles) the
   * state is serialised at once here, and written in the background all the same.
   */
  private startSnapshot(): SnapshotJob | undefined {
    if (this.snapshotJob !== undefined || this.appliedIndex <= this.snapshotIndex) return this.snapshotJob;
    const metadata = { index: this.appliedIndex, term: this.appliedTerm, confState: this.node.confState() };
    const mark = this.spacing.mark(this.appliedIndex);
    const { stateMachine, storage } = this.config;
    let abandoned = false;
    let sourceFailure: { error: unknown } | undefined;
    let release = (): void => undefined;
    let saved: Promise<DurableSnapshot>;
    if (
      stateMachine.beginSnapshot !== undefined &&
      storage.saveSnapshotStream !== undefined &&
      this.streamsSnapshots()
    ) {
      const source = stateMachine.beginSnapshot();
      release = () => source.release();
      let head: Uint8Array | undefined = encodeReplicaSnapshotHead(this.members);
      let bytes = 0;
      const next = (): Uint8Array | undefined => {
        if (abandoned) throw new Error(`snapshot at ${metadata.index} abandoned`);
        if (head !== undefined) {
          const first = head;
          head = undefined;
          bytes += first.length;
          return first;
        }
        try {
          const slice = source.next();
          bytes += slice?.length ?? 0;
          return slice;
        } catch (error) {
          sourceFailure = { error };
          throw error;
        }
      };
      saved = storage.saveSnapshotStream(metadata, next).then(() => {
        const inFile: Snapshot = { metadata, data: new Uint8Array(0) };
        this.inFile.add(inFile);
        this.log.info('snapshot written', { index: metadata.index, term: metadata.term, bytes });
        return { snapshot: inFile, bytes, mark };
      });
    } else {
      const snapshot = { metadata, data: encodeReplicaSnapshot(this.members, stateMachine.snapshot()) };
      saved = storage.saveSnapshot(snapshot).then(() => ({ snapshot, bytes: snapshot.data.length, mark }));
    }
    const job: SnapshotJob = {
      index: metadata.index,
      abandon: () => {
        abandoned = true;
        release();
      },
      done: Promise.resolve(),
    };
    job.done = saved.then(
      (durable) => {
        if (abandoned || this.stopped) return;
        this.durableSnapshot = durable;
        this.kick();
      },
      (err: unknown) => {
        if (abandoned || this.stopped) return;
        if (sourceFailure !== undefined) {
          // The state machine could not keep its view (e.g. a compaction overtook it): only this
          // snapshot is lost; the next one is taken when due.
          const message = err instanceof Error ? err.message : String(err);
          this.log.warn('snapshot abandoned', { index: metadata.index, reason: message });
          return;
        }
        this.fail(err);
      },
    );
    void job.done.finally(() => {
      release();
      if (this.snapshotJob === job) this.snapshotJob = undefined;
    });
    this.snapshotJob = job;
    return job;
  }

  /** Whether the ports let snapshots be streamed to a file and read back from it. */
  private streamsSnapshots(): boolean {
    const { stateMachine, storage } = this.config;
    return (
      stateMachine.beginSnapshot !== undefined &&
      storage.saveSnapshotStream !== undefined &&
      storage.loadSnapshot !== undefined
    );
  }

  /** Sends messages to peers; a MsgSnap whose data is in its file goes once it is read back. */
  private send(messages: readonly Message[]): void {
    let rest = messages;
    if (messages.some((m) => m.type === 'MsgSnap' && this.inFile.has(m.snapshot))) {
      const now: Message[] = [];
      for (const m of messages) {
        if (m.type === 'MsgSnap' && this.inFile.has(m.snapshot)) this.sendSnapshotFromFile(m);
        else now.push(m);
      }
      rest = now;
    }
    if (rest.length > 0) this.config.peers.send(rest);
  }

  /**
   * Sends a snapshot whose data is in its file: streamed from the file a slice at a time when the
   * ports allow it (the member never holds the whole snapshot to send it), else read back whole
   * first (the simulator's ports). Raft tolerates the message leaving after later ones, as any
   * network reorders. A file that cannot be opened or read is reported to Raft as a failed
   * snapshot (it probes and retries).
   */
  private sendSnapshotFromFile(m: MsgSnap): void {
    const { storage, peers } = this.config;
    const failed = (err: unknown): void => {
      this.log.warn('could not read a snapshot back to send it', {
        to: m.to,
        index: m.snapshot.metadata.index,
        error: err instanceof Error ? err.message : String(err),
      });
      if (!this.stopped) this.reportSnapshotFailure(m.to);
    };
    if (storage.openSnapshot !== undefined && peers.sendSnapshotStream !== undefined) {
      const send = peers.sendSnapshotStream.bind(peers);
      storage.openSnapshot(m.snapshot.metadata).then((body) => {
        if (this.stopped) body.close();
        else send(m, body);
      }, failed);
      return;
    }
    if (storage.loadSnapshot === undefined) return;
    storage.loadSnapshot(m.snapshot.metadata).then((snapshot) => {
      if (!this.stopped) peers.send([{ ...m, snapshot }]);
    }, failed);
  }

  /** Compacts Raft's log to a snapshot made durable in the background (between Readys only). */
  private compactToDurableSnapshot(): void {
    const durable = this.durableSnapshot;
    if (durable === undefined) return;
    this.durableSnapshot = undefined;
    const { snapshot } = durable;
    // A newer snapshot was received from the leader meanwhile: this one is of no use any more.
    if (snapshot.metadata.index <= this.snapshotIndex) return;
    const keep = this.config.snapshotCatchUpEntries ?? REPLICA_DEFAULTS.snapshotCatchUpEntries;
    this.node.compact(snapshot, catchUpCompactIndex(snapshot.metadata.index, keep));
    this.snapshotIndex = snapshot.metadata.index;
    this.spacing.taken(durable.mark, durable.bytes);
    this.counters.snapshotsTaken++;
    this.log.info('snapshot taken', {
      index: snapshot.metadata.index,
      term: snapshot.metadata.term,
      bytes: durable.bytes,
    });
  }

  private leaderChanged(leader: number): void {
    const term = this.node.term;
    this.log.info('leader changed', { from: this.leader, to: leader, term });
    this.leader = leader;
    this.counters.leaderChanges++;
    this.reads.forgetInflight();
    for (const l of [...this.leaderListeners]) l(leader, term);
  }

  private membershipChanged(cc: ConfChange): void {
    for (const w of [...this.confWaiters]) {
      if (w.cc.type === cc.type && w.cc.nodeId === cc.nodeId) w.resolve();
    }
    for (const l of this.membershipListeners) l(this.members.list(), cc);
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.fatalError = error;
    this.log.error('replica stopped on a fatal error', { error: error.message });
    const reason = (): Error => unavailable(`member failed: ${error.message}`, error);
    this.pending.rejectAll(reason);
    this.pendingAttributes.rejectAll(reason);
    this.reads.failAll(reason);
    for (const l of this.fatalListeners) l(error);
  }
}

/** A snapshot written in the background, its size, and where the log stood when it started. */
interface DurableSnapshot {
  readonly snapshot: Snapshot;
  readonly bytes: number;
  readonly mark: SnapshotMark;
}

/** A snapshot being serialised and written in the background. */
interface SnapshotJob {
  readonly index: number;
  /** Stops it early (a newer snapshot arrived, the replica stops); `done` then settles quietly. */
  abandon(): void;
  /** Settles (never rejects) once it is durable and handed over, abandoned or failed. */
  done: Promise<void>;
}
