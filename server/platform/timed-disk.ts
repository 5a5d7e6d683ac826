/**
 * A Disk decorator that reports how long each fsync/fdatasync took (the WAL fsync latency metric)
 * without the storage layer knowing about clocks or metrics.
 */
import type { Clock } from './clock.js';
import type { Disk } from './disk.js';

export class TimedDisk implements Disk {
  constructor(
    private readonly inner: Disk,
    private readonly clock: Clock,
    private readonly onSync: (durationMs: number) => void,
  ) {}

  private async timed(op: () => Promise<void>): Promise<void> {
    const start = this.clock.nowMs();
    await op();
    this.onSync(this.clock.nowMs() - start);
  }

  /** `timed` for a sync already started at `startMs` (no async function and closure per call). */
  private timedSince(startMs: number, sync: Promise<void>): Promise<void> {
    return sync.then(() => this.onSync(this.clock.nowMs() - startMs));
  }

  mkdir(path: string): Promise<void> {
    return this.inner.mkdir(path);
  }
  list(dir: string): Promise<string[]> {
    return this.inner.list(dir);
  }
  read(path: string): Promise<Uint8Array> {
    return this.inner.read(path);
  }
  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.inner.readRange(path, offset, length);
  }
  sizeOf(path: string): Promise<number> {
    return this.inner.sizeOf(path);
  }
  write(path: string, data: Uint8Array): Promise<void> {
    return this.inner.write(path, data);
  }
  append(path: string, data: Uint8Array): Promise<void> {
    return this.inner.append(path, data);
  }
  appendAt(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.inner.appendAt(path, offsetBytes, data);
  }
  /** Timed whole: the write of a WAL batch is a page-cache copy, its fdatasync the cost. */
  appendAtSynced(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const start = this.clock.nowMs();
    return this.timedSince(start, this.inner.appendAtSynced(path, offsetBytes, data));
  }
  fsync(path: string): Promise<void> {
    return this.timed(() => this.inner.fsync(path));
  }
  fdatasync(path: string): Promise<void> {
    return this.timed(() => this.inner.fdatasync(path));
  }
  truncate(path: string, sizeBytes: number): Promise<void> {
    return this.inner.truncate(path, sizeBytes);
  }
  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to);
  }
  remove(path: string): Promise<void> {
    return this.inner.remove(path);
  }
  fsyncDir(dir: string): Promise<void> {
    return this.timed(() => this.inner.fsyncDir(dir));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
