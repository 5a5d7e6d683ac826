/**
 * The composition root of one member: Node platform, durable storage, the state machine, the
 * replica, the peer transport, the leader's lease and compaction drivers, the watch pump and the
 * client API — wired together and started. `startMember` is what `concord serve` runs and what
 * users embed (etcd's `embed` is the model).
 */
import { StateMachine, type ApplyResult } from '../apply/index.js';
import { exponentialBuckets, type MetricsRegistry } from '../api/metrics.js';
import { JsonLinesLogger, type Logger } from '../platform/logger.js';
import { TimedDisk } from '../platform/timed-disk.js';
import type { Disk } from '../platform/disk.js';
import { NodeClock } from '../platform/node-clock.js';
import { NodeDisk } from '../platform/node-disk.js';
import { DataDirLockedError, type DirLock } from '../platform/dir-lock.js';
import { lockDirectory } from '../platform/node-dir-lock.js';
import { NodeTimers } from '../platform/node-timers.js';
import { SeededRandom } from '../platform/random.js';
import {
  bootstrapEntries,
  encodeReplicaSnapshot,
  MemberRegistry,
  Replica,
  type Member as ClusterMember,
} from '../replica/index.js';
import { RaftStorage } from '../storage/index.js';
import { PeerTransport } from '../transport/index.js';
import type { BackendCore, BackendNetwork } from './backend-core.js';
import { InvalidConfigError, type ResolvedMemberConfig } from './config.js';
import { fullGc } from './full-gc.js';
import { LeaderForwarder } from './leader-forward.js';
import { autoCompactionOptions, startMemberServices, type MemberServices } from './member-services.js';
import { HeapWatchdog } from './heap-watchdog.js';
import { StateMachinePort } from './state-machine-port.js';
import { v8HeapProbe } from './v8-heap.js';
import type { WatchPump } from './watch-pump.js';
import { listenError } from './listen-error.js';
import { BootTimeline } from './boot-timeline.js';
import { PeerActivity } from './peer-activity.js';

/**
 * WAL space zero-filled ahead of the records (see WalOptions.preallocateBytes): with three members
 * syncing on one disk, fdatasync into preallocated space measured 2–8× faster here at p90.
 */
const WAL_PREALLOCATE_BYTES = 4 * 1024 * 1024;

/** A real member: the request path's ports (BackendCore) plus its network, storage and platform. */
export interface MemberCore extends BackendCore {
  readonly config: ResolvedMemberConfig;
  readonly logger: Logger;
  readonly replica: Replica<ApplyResult>;
  readonly machine: StateMachine;
  readonly pump: WatchPump;
  /** The watch pump, lease driver and auto-compaction, wired to the replica. */
  readonly services: MemberServices;
  /** Raises NOSPACE before the V8 heap runs out (heap-watchdog.ts). */
  readonly heapWatchdog: HeapWatchdog;
  readonly transport: PeerTransport;
  /** Forwarding to the leader and peer statistics, for the client API's backend. */
  readonly network: BackendNetwork;
  readonly storage: RaftStorage;
  readonly disk: Disk;
  readonly port: StateMachinePort;
  readonly clock: NodeClock;
  readonly timers: NodeTimers;
  /** Peer URLs actually bound (port 0 resolved). */
  readonly peerUrls: readonly string[];
  /** This member's exclusive hold on its data directory (released by `stopCore`). */
  readonly dataDirLock: DirLock;
}

export interface StartCoreHooks {
  /**
   * Runs once the core is assembled, before the peer listeners bind and the replica runs (where
   * `startMember` opens the client port): a failure here or at the peer listeners still leaves
   * nothing behind. Resolves with how to undo what it did, should a later step fail.
   */
  readonly beforePeers?: (core: MemberCore) => Promise<() => Promise<void>>;
}

/**
 * Locks the data directory, then opens storage, the peer transport and the replica. A start that
 * fails undoes what it did: everything opened is closed, and a data directory it created is gone.
 */
export async function startCore(
  config: ResolvedMemberConfig,
  logger: Logger,
  metrics?: MetricsRegistry,
  hooks: StartCoreHooks = {},
): Promise<MemberCore> {
  const dataDirLock = await lockDataDir(config.dataDir);
  const undo: (() => Promise<void>)[] = [];
  try {
    return await assembleCore(config, logger, metrics, hooks, dataDirLock, undo);
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    await dataDirLock.release({ discardIfNew: true });
    throw err;
  }
}

async function lockDataDir(dataDir: string): Promise<DirLock> {
  try {
    return await lockDirectory(dataDir);
  } catch (err) {
    if (err instanceof DataDirLockedError) throw err;
    throw new InvalidConfigError('dataDir', `cannot use ${dataDir}: ${(err as Error).message}`);
  }
}

async function assembleCore(
  config: ResolvedMemberConfig,
  logger: Logger,
  metrics: MetricsRegistry | undefined,
  hooks: StartCoreHooks,
  dataDirLock: DirLock,
  undo: (() => Promise<void>)[],
): Promise<MemberCore> {
  const clock = new NodeClock();
  const timers = new NodeTimers();
  const random = new SeededRandom((clock.nowMs() ^ config.memberId) >>> 0);
  if (config.unsafeNoFsync)
    logger.warn('UNSAFE: --unsafe-no-fsync is set; a crash can lose acknowledged writes', {});

  const initialIds = config.initialCluster.map((m) => m.id);
  const fsyncSeconds = metrics?.histogram(
    'concord_disk_wal_fsync_duration_seconds',
    'Latency of WAL and snapshot fsyncs.',
    exponentialBuckets(0.0005, 2, 14),
  );
  const disk = new TimedDisk(new NodeDisk(), clock, (ms) => fsyncSeconds?.observe(ms / 1000));
  undo.push(() => disk.close());
  const bootTimes = new BootTimeline();
  const { storage, boot, isNew } = await RaftStorage.open(disk, {
    dataDir: config.dataDir,
    clusterId: String(config.clusterId),
    memberId: config.memberId,
    initialConfState: { voters: [], learners: [] },
    initialSnapshotData: encodeReplicaSnapshot(new MemberRegistry(), undefined),
    unsafeNoFsync: config.unsafeNoFsync,
    preallocateBytes: WAL_PREALLOCATE_BYTES,
    keepSnapshots: config.maxSnapshots,
    catchUpEntries: config.snapshotCatchUpEntries,
    logger: { warn: (message: string) => logger.warn('storage', { detail: message }) },
    onBootStep: (step, detail) => bootTimes.step(step, detail),
  });
  undo.push(() => storage.close());
  let bootState = boot;
  if (isNew && config.initialClusterState === 'new') {
    // A new cluster: every initial member writes the same committed addVoter entries.
    const { entries, hardState } = bootstrapEntries(
      config.initialCluster.map((m) => ({ id: m.id, name: m.name, peerUrls: m.peerUrls, clientUrls: [] })),
    );
    await storage.save({ snapshot: undefined, entries, hardState });
    bootState = { ...boot, entries, hardState };
    logger.info('bootstrapped a new cluster', { members: initialIds.length, clusterId: config.clusterId });
  } else if (isNew) {
    logger.info('joining an existing cluster with an empty log', { clusterId: config.clusterId });
  }

  const machine = new StateMachine({
    mvcc: { quotaBytes: config.quotaBackendBytes, maxRequestBytes: config.maxRequestBytes },
  });
  const port = new StateMachinePort(machine, clock);
  const localAddress = localAddressOf(config.advertisePeerUrls);
  const transport = new PeerTransport({
    clusterId: String(config.clusterId),
    memberId: config.memberId,
    listenUrls: [...config.listenPeerUrls],
    ...(config.peerTls !== undefined ? { tls: config.peerTls } : {}),
    ...(localAddress !== undefined ? { localAddress } : {}),
    logger,
    timers,
    random: random.fork(),
  });
  const electionTicks = Math.max(2, Math.round(config.electionTimeoutMs / config.heartbeatIntervalMs));
  const replica = new Replica<ApplyResult>({
    id: config.memberId,
    boot: bootState,
    platform: { clock, timers, random: random.fork() },
    storage,
    stateMachine: port,
    peers: transport,
    tickIntervalMs: config.heartbeatIntervalMs,
    electionTicks,
    snapshotCount: config.snapshotCount,
    snapshotCatchUpEntries: config.snapshotCatchUpEntries,
    requestTimeoutMs: config.requestTimeoutMs,
    logger,
  });
  bootTimes.step('restore', {});
  // Peers are heard only once every listener is bound: until then a failed start has told no
  // peer anything (no vote, no acknowledgement), so its new data directory can be discarded.
  let hearingPeers = false;
  transport.onMessage((m) => {
    if (hearingPeers) replica.step(m);
  });
  transport.onSnapshotStatus((to, ok) => {
    if (!ok) replica.reportSnapshotFailure(to);
  });
  // A peer connection that closed and could not be redialled at once: if that peer is the leader,
  // Raft campaigns early instead of waiting out the election timeout (docs/raft.md).
  transport.onPeerConnection((peer, event) => {
    if (!hearingPeers) return;
    if (event === 'lost') replica.leaderConnectionLost(peer);
    else replica.leaderConnectionRestored(peer);
  });
  // Received snapshots go to the snap directory as they arrive, not into one buffer.
  transport.onSnapshotSink((m) => storage.receiveSnapshot(m.snapshot.metadata));
  const syncPeers = (members: readonly ClusterMember[]): void => {
    // A member joining with an empty log knows no membership until the leader's entries (or
    // snapshot) arrive: it keeps the peers of --initial-cluster so it can answer the leader.
    if (members.length === 0) return;
    const ids = new Set<number>();
    for (const m of members) {
      if (m.id === config.memberId || m.peerUrls.length === 0) continue;
      ids.add(m.id);
      transport.addPeer(m.id, [...m.peerUrls]);
    }
    for (const id of knownPeers) if (!ids.has(id)) transport.removePeer(id);
    knownPeers = ids;
  };
  let knownPeers = new Set<number>();
  replica.onMembershipChange((members) => syncPeers(members));

  const services = startMemberServices({
    replica,
    machine,
    clock,
    // The pump's next catch-up round waits one turn of the event loop, no longer.
    defer: setImmediate,
    logger,
    memberId: config.memberId,
    electionTimeoutMs: config.electionTimeoutMs,
    autoCompaction: autoCompactionOptions(config.autoCompaction),
  });
  undo.push(() => Promise.resolve(services.close()));
  const heapWatchdog = new HeapWatchdog({
    replica,
    alarms: machine.alarms,
    memberId: config.memberId,
    logger,
    heap: v8HeapProbe(),
    alarmFraction: config.heapAlarmPercent / 100,
  });
  undo.push(() => Promise.resolve(heapWatchdog.close()));
  if (metrics !== undefined) heapWatchdog.registerMetrics(metrics);
  logger.info('V8 heap', heapWatchdog.describe());
  // Twice the request timeout: the leader answers TIMEOUT itself after one, and that answer
  // (the change may still be applied) must reach the client rather than a forwarding failure.
  const forwarder = new LeaderForwarder(config.clientTls, 2 * config.requestTimeoutMs);
  // Since when each peer is reachable: the strict reconfiguration check reads it.
  const activity = new PeerActivity(clock);
  transport.onPeerStatus((peer, status) => {
    if (status === 'connected') activity.connected(peer);
    else activity.disconnected(peer);
  });
  const network: BackendNetwork = {
    forwardToLeader: (method, params, urls, signal, token) =>
      forwarder.call(method, params, urls, signal, token),
    droppedPeerMessages: () => transport.stats().peers.reduce((n, p) => n + p.droppedMessages, 0),
    peerConnectionsLost: () => transport.stats().peers.reduce((n, p) => n + p.connectionsLost, 0),
    peerConnectionsEstablished: () =>
      transport.stats().peers.reduce((n, p) => n + p.connectionsEstablished, 0),
    peerConnectionsRefused: () => transport.stats().refusedConnections,
    peerActiveSince: (peer) => activity.activeSince(peer),
  };
  const core: MemberCore = {
    config,
    logger,
    replica,
    machine,
    port,
    disk,
    pump: services.pump,
    defer: setImmediate,
    services,
    heapWatchdog,
    transport,
    network,
    reclaimMemory: fullGc,
    storage,
    clock,
    timers,
    get peerUrls() {
      return transport.listenUrls();
    },
    dataDirLock,
  };
  if (hooks.beforePeers !== undefined) undo.push(await hooks.beforePeers(core));
  // A listener that fails closes the transport itself (nothing to undo).
  await transport.start().catch((err: unknown) => {
    throw listenError('listen-peer-urls', err);
  });
  undo.push(() => transport.close());
  // Peers named on the command line are dialled at once so the first election's votes get through.
  for (const m of config.initialCluster) {
    if (m.id === config.memberId) continue;
    transport.addPeer(m.id, [...m.peerUrls]);
    knownPeers.add(m.id);
    transport.connect(m.id);
  }
  syncPeers(replica.memberList());
  hearingPeers = true;
  replica.start();
  bootTimes.step('listen', {});
  // Where a boot's time went (docs/performance.md "Restart and catch-up"); the first election
  // follows in 'leader changed'.
  logger.info('boot', bootTimes.summary());
  return core;
}

/** Members listening on a specific loopback address dial from it too (lets test proxies tell them apart). */
function localAddressOf(urls: readonly string[]): string | undefined {
  const host = new URL(urls[0]!).hostname;
  return /^127\.\d+\.\d+\.\d+$/.test(host) ? host : undefined;
}

export { proposeCommand } from './propose.js';

export function makeLogger(
  config: Pick<ResolvedMemberConfig, 'logLevel' | 'name'>,
  write: (line: string) => void,
): JsonLinesLogger {
  return new JsonLinesLogger({
    write,
    clock: new NodeClock(),
    level: config.logLevel,
    fields: { member: config.name },
  });
}

/**
 * Stops a core in dependency order: no more ticks or applies, then network, then disk, and last
 * the data directory's lock.
 */
export async function stopCore(core: MemberCore): Promise<void> {
  try {
    await core.replica.stop();
    core.services.close();
    core.heapWatchdog.close();
    await core.transport.close();
    await core.storage.close();
    await core.disk.close();
  } finally {
    await core.dataDirLock.release();
  }
}
