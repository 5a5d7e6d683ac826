/**
 * Removing a large file without stalling the disk's other writers. One unlink of a file of hundreds
 * of MB frees all its blocks (and drops all its cached pages) at once, and the file system's next
 * journal commit carries it: at 1 GiB of data (docs/performance.md, "What the worst puts are made of
 * at 1 GiB"), unlinking a 677 MB snapshot took 190–490 ms and the WAL fdatasyncs issued meanwhile,
 * on every member sharing the disk, waited 100–130 ms behind it.
 *
 * So an obsolete file is first renamed out of its owner's live names (a crash half-way then leaves
 * a name the owner removes when it opens, never a live file cut short), then cut from its end in
 * steps, each made durable before the next so that one journal commit carries one step's frees,
 * and unlinked when what is left is one step or less.
 */
import { type Disk, DiskError, DiskErrorCode } from '../platform/disk.js';

/** Bytes freed per step: a few ms of file-system work each. */
export const REMOVAL_STEP_BYTES = 16 << 20;

/** The suffix an obsolete file is renamed to before it is cut down and removed. */
export const REMOVING_SUFFIX = '.removing';

/**
 * Cuts the file at `path` down in steps of `stepBytes` from its end, each synced, then removes it.
 * A file already gone counts as removed (a removal interrupted by a crash, resumed at open).
 */
export async function removeGradually(
  disk: Disk,
  path: string,
  stepBytes = REMOVAL_STEP_BYTES,
): Promise<void> {
  if (!(Number.isSafeInteger(stepBytes) && stepBytes > 0))
    throw new RangeError(`removal step must be a positive integer, got ${stepBytes}`);
  try {
    let size = await disk.sizeOf(path);
    while (size > stepBytes) {
      size -= stepBytes;
      await disk.truncate(path, size);
      await disk.fdatasync(path);
    }
    await disk.remove(path);
  } catch (err) {
    if (!(err instanceof DiskError && err.code === DiskErrorCode.NotFound)) throw err;
  }
}
