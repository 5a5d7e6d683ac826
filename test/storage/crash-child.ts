/**
 * Child process of the crash test: `node crash-child.js <dataDir> <appenders>`.
 *
 * Recovers the data directory, prints `ready <lastIndex> <snapshotIndex>`, then appends entries
 * as fast as it can from several concurrent appenders over the real disk, printing
 * `ack <index>` once entry <index> is durable. Every CRASH_SNAPSHOT_EVERY entries it also saves a
 * snapshot at the highest acknowledged index (exercising snapshot files, markers and segment
 * deletion under SIGKILL). It never exits by itself: the parent kills it with SIGKILL.
 */
import { writeSync } from 'node:fs';
import { NodeDisk } from '../../server/platform/node-disk.js';
import { RaftStorage } from '../../server/storage/raft-storage.js';
import {
  CRASH_CLUSTER,
  CRASH_SEGMENT_BYTES,
  CRASH_SNAPSHOT_EVERY,
  payloadFor,
  snapshotDataFor,
} from './crash-workload.js';

const [dataDir, appendersArg] = process.argv.slice(2);
if (dataDir === undefined) {
  process.stderr.write('usage: crash-child <dataDir> [appenders]\n');
  process.exit(2);
}
const appenders = Number(appendersArg ?? '8');
const confState = { voters: [1], learners: [] };

const { storage, boot } = await RaftStorage.open(new NodeDisk(), {
  dataDir,
  ...CRASH_CLUSTER,
  initialConfState: confState,
  segmentSizeBytes: CRASH_SEGMENT_BYTES,
  // as a member does: kills land in writes into zero-filled space, and recovery must see the end
  preallocateBytes: CRASH_SEGMENT_BYTES / 4,
  keepSnapshots: 2,
  logger: { warn: (m) => process.stderr.write(`child warning: ${m}\n`) },
});
/** Writes a whole line to stdout before returning (retrying while a full pipe says EAGAIN). */
function writeLine(text: string): void {
  const bytes = Buffer.from(`${text}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(1, bytes, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

const snapIndex = boot.snapshot.metadata.index;
let next = boot.entries[boot.entries.length - 1]?.index ?? snapIndex;
let acked = next;
let lastSnapshot = snapIndex;
writeLine(`ready ${next} ${snapIndex}`);

async function appender(): Promise<never> {
  for (;;) {
    const index = ++next;
    const hardState = index % 16 === 0 ? { term: 1, vote: 1, commit: acked } : undefined;
    await storage.save({
      snapshot: undefined,
      entries: [{ index, term: 1, type: 'normal', data: payloadFor(index) }],
      hardState,
    });
    if (index > acked) acked = index;
    // writeSync: the acknowledgement is in the pipe before anything that depends on it (a
    // snapshot at this index) can become durable, even if the process is killed right after.
    writeLine(`ack ${index}`);
    if (acked - lastSnapshot >= CRASH_SNAPSHOT_EVERY) {
      const at = acked;
      lastSnapshot = at;
      await storage.saveSnapshot({ metadata: { index: at, term: 1, confState }, data: snapshotDataFor(at) });
    }
  }
}

await Promise.all(Array.from({ length: appenders }, () => appender()));
