/**
 * Where the data of Raft entries held in memory is carved from. An entry's bytes stay in the log
 * until a snapshot lets them go: hundreds of thousands of them at a time when the state is large
 * (snapshots are spaced by the log's weight, docs/storage.md "Snapshot policy"). With an
 * ArrayBuffer each, V8 sweeps each one's extension after every full GC and frees its store apart,
 * and a scavenge that starts meanwhile waits (docs/performance.md, "The leader's long
 * scavenges"). Shared blocks instead (byte-pool.ts); the log drops entries in order, so blocks die
 * whole. Used where an entry's data is made: a proposal's envelope (leader), a decoded peer
 * message (follower), the WAL read at boot.
 */
import { BytePool } from './byte-pool.js';

export const entryBytes = new BytePool(64 * 1024);
