/**
 * The memory watchdog (server/member/heap-watchdog.ts) with a heap of the test's own numbers and a
 * replica that applies alarm commands to a real AlarmSet: NOSPACE is proposed when what a full GC
 * left alive passes the threshold, not for garbage, once per raise, again after a failure or a
 * disarm, and never when disabled.
 */
import { expect } from 'chai';
import { AlarmSet, decodeCommand, type ApplyResult } from '../../../server/apply/index.js';
import { HeapWatchdog } from '../../../server/member/heap-watchdog.js';
import type { HeapProbe } from '../../../server/member/v8-heap.js';
import type { Logger, LogFields } from '../../../server/platform/logger.js';

const MiB = 1024 * 1024;
const MEMBER = 7;

class FakeHeap implements HeapProbe {
  readonly heapLimitBytes = 148 * MiB;
  readonly oldGenerationLimitBytes = 100 * MiB;
  used = 0;
  private listeners = new Set<() => void>();
  oldGenerationUsedBytes(): number {
    return this.used;
  }
  onFullGc(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** A full GC that leaves `live` bytes. */
  fullGc(live: number): void {
    this.used = live;
    for (const l of this.listeners) l();
  }
  get observed(): number {
    return this.listeners.size;
  }
}

class FakeReplica {
  readonly alarms = new AlarmSet();
  proposals = 0;
  failNext = false;
  private ticks = new Set<() => void>();
  propose(data: Uint8Array): Promise<ApplyResult> {
    this.proposals++;
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(new Error('no leader'));
    }
    const command = decodeCommand(data);
    if (command.type !== 'alarmActivate') throw new Error(`unexpected ${command.type}`);
    const record = this.alarms.activate(command.memberId, command.alarm);
    return Promise.resolve({
      status: 'ok',
      index: this.proposals,
      revision: 1,
      response: { type: 'alarmActivate', alarms: [record] },
    } as ApplyResult);
  }
  onTick(listener: () => void): () => void {
    this.ticks.add(listener);
    return () => this.ticks.delete(listener);
  }
  tick(): void {
    for (const l of this.ticks) l();
  }
}

class Lines implements Logger {
  readonly warnings: { msg: string; fields?: LogFields }[] = [];
  debug(): void {}
  info(): void {}
  warn(msg: string, fields?: LogFields): void {
    this.warnings.push({ msg, ...(fields !== undefined ? { fields } : {}) });
  }
  error(): void {}
}

/** Lets the watchdog's proposal settle (its promise callbacks). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('HeapWatchdog', () => {
  let heap: FakeHeap;
  let replica: FakeReplica;
  let logger: Lines;
  const start = (alarmFraction = 0.85): HeapWatchdog =>
    new HeapWatchdog({ replica, alarms: replica.alarms, memberId: MEMBER, logger, heap, alarmFraction });
  beforeEach(() => {
    heap = new FakeHeap();
    replica = new FakeReplica();
    logger = new Lines();
  });

  it('raises NOSPACE under its member id when a full GC leaves more than the threshold alive', async () => {
    const dog = start();
    expect(dog.thresholdBytes).to.equal(Math.floor(85 * MiB));
    heap.fullGc(80 * MiB);
    replica.tick();
    await settle();
    expect(replica.alarms.list()).to.deep.equal([]);
    heap.fullGc(86 * MiB);
    await settle();
    expect(replica.alarms.list()).to.deep.equal([{ memberId: MEMBER, alarm: 'noSpace' }]);
    expect(logger.warnings.map((w) => w.msg)).to.deep.equal(['heap nearly full: NOSPACE alarm raised']);
    // Raised: no more proposals on later ticks, and one log line.
    replica.tick();
    heap.fullGc(90 * MiB);
    await settle();
    expect(replica.proposals).to.equal(1);
    expect(logger.warnings).to.have.length(1);
  });

  it('takes no garbage for live data: a full heap whose last full GC left little raises nothing', async () => {
    start();
    heap.fullGc(40 * MiB);
    heap.used = 99 * MiB; // garbage since that GC
    replica.tick();
    await settle();
    expect(replica.proposals).to.equal(0);
  });

  it('trusts the heap in use now when it is below what the last full GC left', async () => {
    const dog = start();
    heap.fullGc(90 * MiB);
    await settle();
    replica.alarms.deactivate(0, undefined);
    // A compaction freed memory and a young GC shows less in use; it is an upper bound too.
    heap.used = 50 * MiB;
    expect(dog.liveBytes()).to.equal(50 * MiB);
    replica.tick();
    await settle();
    expect(replica.proposals).to.equal(1);
  });

  it('retries on the next tick after a failed proposal, saying so once', async () => {
    start();
    replica.failNext = true;
    heap.fullGc(95 * MiB);
    await settle();
    expect(replica.alarms.list()).to.deep.equal([]);
    expect(logger.warnings.map((w) => w.msg)).to.deep.equal([
      'heap nearly full; raising the NOSPACE alarm failed',
    ]);
    replica.tick();
    await settle();
    expect(replica.alarms.list()).to.deep.equal([{ memberId: MEMBER, alarm: 'noSpace' }]);
    expect(replica.proposals).to.equal(2);
  });

  it('raises it again after an operator disarmed it while the heap is still full', async () => {
    start();
    heap.fullGc(95 * MiB);
    await settle();
    replica.alarms.deactivate(0, undefined);
    replica.tick();
    await settle();
    expect(replica.alarms.list()).to.deep.equal([{ memberId: MEMBER, alarm: 'noSpace' }]);
    expect(replica.proposals).to.equal(2);
  });

  it('proposes nothing while another NOSPACE alarm already refuses writes', async () => {
    start();
    replica.alarms.activate(99, 'noSpace');
    heap.fullGc(95 * MiB);
    replica.tick();
    await settle();
    expect(replica.proposals).to.equal(0);
  });

  it('watches nothing when disabled (0), and stops watching when closed', async () => {
    start(0);
    expect(heap.observed).to.equal(0);
    heap.fullGc(99 * MiB);
    replica.tick();
    const dog = start();
    expect(heap.observed).to.equal(1);
    dog.close();
    expect(heap.observed).to.equal(0);
    heap.fullGc(99 * MiB);
    replica.tick();
    await settle();
    expect(replica.proposals).to.equal(0);
  });
});
