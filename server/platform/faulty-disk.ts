/**
 * A `Disk` wrapper that injects the failures real disks have: ENOSPC and EIO on chosen operations
 * (optionally after writing part of the data, as a short write does), slow operations, and gates
 * that hold operations until a test releases them. Works over any Disk (node or memory).
 *
 * Faults are explicit rules chosen by the test, not random: a test says exactly which operation
 * fails, so its expectations can be exact.
 */
import { type Disk, DiskError, type DiskErrorCode, DiskOp } from './disk.js';
import type { Timers } from './timers.js';

export interface FaultRule {
  /** Operations this rule applies to (all when omitted). */
  readonly ops?: readonly DiskOp[];
  /** Only paths containing this string. */
  readonly pathIncludes?: string;
  readonly code: Extract<DiskErrorCode, 'ENOSPC' | 'EIO'>;
  /** How many times the rule fires before it disarms itself; default: until removed. */
  readonly times?: number;
  /** For append/write: the number of leading bytes actually written before the failure. */
  readonly partialBytes?: number;
}

export interface SlowRule {
  readonly ops?: readonly DiskOp[];
  readonly delayMs: number;
}

interface ArmedFault {
  readonly rule: FaultRule;
  remaining: number;
}

interface Gate {
  readonly ops: readonly DiskOp[];
  readonly waiting: (() => void)[];
  held: boolean;
}

export interface FaultyDiskOptions {
  /** Needed only for `slowDown`. */
  readonly timers?: Timers;
}

export class FaultyDisk implements Disk {
  private faults: ArmedFault[] = [];
  private slow: SlowRule | undefined;
  private gates: Gate[] = [];
  /** Operations attempted, by op, for assertions. */
  readonly counts = new Map<DiskOp, number>();

  constructor(
    readonly inner: Disk,
    private readonly options: FaultyDiskOptions = {},
  ) {}

  /** Arms a fault; returns a function that disarms it. */
  inject(rule: FaultRule): () => void {
    const armed: ArmedFault = { rule, remaining: rule.times ?? Number.POSITIVE_INFINITY };
    this.faults.push(armed);
    return () => {
      this.faults = this.faults.filter((f) => f !== armed);
    };
  }

  /** Every matching operation waits `delayMs` (on the injected timers) before running. */
  slowDown(rule: SlowRule | undefined): void {
    if (rule !== undefined && this.options.timers === undefined) {
      throw new TypeError('FaultyDisk.slowDown needs options.timers');
    }
    this.slow = rule;
  }

  /**
   * Holds every matching operation (before it reaches the inner disk) until `release()`.
   * Deterministic alternative to slowness: a test can observe what queues up behind an fsync.
   */
  hold(ops: readonly DiskOp[]): { release(): void; waiting(): number } {
    const gate: Gate = { ops, waiting: [], held: true };
    this.gates.push(gate);
    return {
      release: () => {
        gate.held = false;
        this.gates = this.gates.filter((g) => g !== gate);
        for (const resume of gate.waiting.splice(0)) resume();
      },
      waiting: () => gate.waiting.length,
    };
  }

  clear(): void {
    this.faults = [];
    this.slow = undefined;
  }

  mkdir(path: string): Promise<void> {
    return this.op(DiskOp.Mkdir, path, () => this.inner.mkdir(path));
  }
  list(dir: string): Promise<string[]> {
    return this.op(DiskOp.List, dir, () => this.inner.list(dir));
  }
  read(path: string): Promise<Uint8Array> {
    return this.op(DiskOp.Read, path, () => this.inner.read(path));
  }
  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.op(DiskOp.Read, path, () => this.inner.readRange(path, offset, length));
  }
  sizeOf(path: string): Promise<number> {
    return this.op(DiskOp.Read, path, () => this.inner.sizeOf(path));
  }
  write(path: string, data: Uint8Array): Promise<void> {
    return this.op(
      DiskOp.Write,
      path,
      () => this.inner.write(path, data),
      (n) => this.inner.write(path, data.subarray(0, n)),
    );
  }
  append(path: string, data: Uint8Array): Promise<void> {
    return this.op(
      DiskOp.Append,
      path,
      () => this.inner.append(path, data),
      (n) => this.inner.append(path, data.subarray(0, n)),
    );
  }
  appendAt(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.op(
      DiskOp.Append,
      path,
      () => this.inner.appendAt(path, offsetBytes, data),
      (n) => this.inner.appendAt(path, offsetBytes, data.subarray(0, n)),
    );
  }
  /**
   * The write and the sync as the two operations they are, each with its own rules, gates and
   * count: a fault on `append` fails before anything is synced (after `partialBytes`, if set); a
   * fault on `fdatasync` fails after the whole write, with nothing made durable.
   */
  async appendAtSynced(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.appendAt(path, offsetBytes, data);
    await this.fdatasync(path);
  }
  fsync(path: string): Promise<void> {
    return this.op(DiskOp.Fsync, path, () => this.inner.fsync(path));
  }
  fdatasync(path: string): Promise<void> {
    return this.op(DiskOp.Fdatasync, path, () => this.inner.fdatasync(path));
  }
  truncate(path: string, sizeBytes: number): Promise<void> {
    return this.op(DiskOp.Truncate, path, () => this.inner.truncate(path, sizeBytes));
  }
  rename(from: string, to: string): Promise<void> {
    return this.op(DiskOp.Rename, from, () => this.inner.rename(from, to));
  }
  remove(path: string): Promise<void> {
    return this.op(DiskOp.Remove, path, () => this.inner.remove(path));
  }
  fsyncDir(dir: string): Promise<void> {
    return this.op(DiskOp.FsyncDir, dir, () => this.inner.fsyncDir(dir));
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private async op<T>(
    op: DiskOp,
    path: string,
    run: () => Promise<T>,
    partial?: (bytes: number) => Promise<void>,
  ): Promise<T> {
    this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
    for (const gate of this.gates) {
      if (gate.held && gate.ops.includes(op)) {
        await new Promise<void>((resume) => gate.waiting.push(resume));
      }
    }
    const slow = this.slow;
    const timers = this.options.timers;
    if (slow !== undefined && timers !== undefined && (slow.ops === undefined || slow.ops.includes(op))) {
      await new Promise<void>((resume) => timers.setTimeout(resume, slow.delayMs));
    }
    const fault = this.faults.find(
      (f) =>
        f.remaining > 0 &&
        (f.rule.ops === undefined || f.rule.ops.includes(op)) &&
        (f.rule.pathIncludes === undefined || path.includes(f.rule.pathIncludes)),
    );
    if (fault !== undefined) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
      if (partial !== undefined && fault.rule.partialBytes !== undefined && fault.rule.partialBytes > 0) {
        await partial(fault.rule.partialBytes);
      }
      throw new DiskError(fault.rule.code, op, path);
    }
    return run();
  }
}
