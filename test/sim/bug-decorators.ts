/**
 * Injected bugs that live at a port of the production Replica rather than in its code: decorators
 * the simulator puts around a port when a bug is switched on (SimBugs in options.ts). They exist to
 * prove that the crash model and the checkers catch a member that breaks the port's contract.
 */
import type { ReplicaStorage } from '../../server/replica/index.js';

/**
 * Ack before fsync: `save` resolves at once, while the write underneath becomes durable only at its
 * simulated fsync. The replica then sends, applies and answers clients for data a crash can still
 * lose (what a disk that lies about fsync, or a write path that forgets to wait, does).
 */
export function ackBeforeFsync(inner: ReplicaStorage, fail: (err: unknown) => void): ReplicaStorage {
  return {
    save: (update) => {
      inner.save(update).catch(fail);
      return Promise.resolve();
    },
    saveSnapshot: (snapshot) => inner.saveSnapshot(snapshot),
    ...(inner.saveSnapshotStream === undefined || inner.loadSnapshot === undefined
      ? {}
      : {
          saveSnapshotStream: (metadata, next) => inner.saveSnapshotStream!(metadata, next),
          loadSnapshot: (metadata) => inner.loadSnapshot!(metadata),
        }),
  };
}
