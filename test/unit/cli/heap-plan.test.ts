/**
 * The heap `concord serve` gives its member (server/cli/heap-plan.ts): from the quota, the
 * machine's memory and an operator's --max-old-space-size, and the V8 flags it reads.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  HEAP_GROWING_PERCENT,
  HEAP_MEMORY_FRACTION,
  heapGrowthFlag,
  markingTaskFlag,
  markingWorkersFlag,
  CONCURRENT_MARKING_WORKERS,
  planHeap,
  YOUNG_GENERATION_MIB,
  youngGenerationMiB,
} from '../../../server/cli/heap-plan.js';
import { heapBytesForQuota } from '../../../server/mvcc/quota.js';
import {
  oldGenerationLimitBytes,
  v8BoolFlagGiven,
  v8FlagMiB,
  v8FlagValues,
  youngGenerationReserveBytes,
} from '../../../server/member/v8-heap.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Node's default old generation on a 64-bit machine with plenty of memory. */
const NODE_DEFAULT = 4096 * MiB;

describe('planHeap', () => {
  it('gives a 2 GiB quota the heap it needs on a 24 GiB machine, with no warning', () => {
    const plan = planHeap({
      quotaBytes: 2 * GiB,
      memoryBytes: 24 * GiB,
      defaultOldGenerationBytes: NODE_DEFAULT,
      operatorOldSpaceMiB: undefined,
    });
    expect(plan.oldGenerationMiB * MiB).to.be.at.least(heapBytesForQuota(2 * GiB));
    expect(plan.oldGenerationMiB * MiB).to.be.below(heapBytesForQuota(2 * GiB) + MiB);
    expect(plan.source).to.equal('quota');
    expect(plan.warnings).to.deep.equal([]);
  });

  it("keeps node's default when the quota needs less (never a smaller heap than node's)", () => {
    const plan = planHeap({
      quotaBytes: 64 * MiB,
      memoryBytes: 24 * GiB,
      defaultOldGenerationBytes: NODE_DEFAULT,
      operatorOldSpaceMiB: undefined,
    });
    expect(plan).to.deep.equal({ oldGenerationMiB: 4096, source: 'default', warnings: [] });
  });

  it('caps the heap by the machine and warns with a quota that fits and the memory needed', () => {
    const plan = planHeap({
      quotaBytes: 8 * GiB,
      memoryBytes: 16 * GiB,
      defaultOldGenerationBytes: NODE_DEFAULT,
      operatorOldSpaceMiB: undefined,
    });
    expect(plan.oldGenerationMiB).to.equal(12 * 1024);
    expect(plan.source).to.equal('memory');
    expect(plan.warnings).to.have.length(1);
    const [warning] = plan.warnings;
    const fits = Number(/a quota of at most (\d+) bytes/.exec(warning!)?.[1]);
    expect(heapBytesForQuota(fits)).to.be.at.most(12 * 1024 * MiB);
    expect(heapBytesForQuota(fits + 16)).to.be.above(12 * 1024 * MiB);
    const memory = Number(/at least (\d+) MiB of memory/.exec(warning!)?.[1]);
    expect(memory * MiB * HEAP_MEMORY_FRACTION).to.be.at.least(heapBytesForQuota(8 * GiB));
  });

  it("keeps an operator's --max-old-space-size, warning exactly when it is below the quota's need", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 * 1024 }),
        fc.integer({ min: MiB, max: 8 * GiB }),
        fc.integer({ min: 1, max: 64 }),
        (operatorMiB, quotaBytes, memoryGiB) => {
          const plan = planHeap({
            quotaBytes,
            memoryBytes: memoryGiB * GiB,
            defaultOldGenerationBytes: NODE_DEFAULT,
            operatorOldSpaceMiB: operatorMiB,
          });
          expect(plan.oldGenerationMiB).to.equal(operatorMiB);
          expect(plan.source).to.equal('operator');
          expect(plan.warnings.length).to.equal(operatorMiB * MiB < heapBytesForQuota(quotaBytes) ? 1 : 0);
        },
      ),
    );
  });

  it('never plans less than the quota needs unless it warns, nor more than the machine gives', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: MiB, max: 64 * GiB }),
        fc.integer({ min: 1, max: 256 }),
        fc.integer({ min: 256, max: 8192 }),
        (quotaBytes, memoryGiB, defaultMiB) => {
          const memoryBytes = memoryGiB * GiB;
          const plan = planHeap({
            quotaBytes,
            memoryBytes,
            defaultOldGenerationBytes: defaultMiB * MiB,
            operatorOldSpaceMiB: undefined,
          });
          const heap = plan.oldGenerationMiB * MiB;
          expect(heap).to.be.at.least(defaultMiB * MiB);
          if (heap < heapBytesForQuota(quotaBytes)) expect(plan.warnings).to.have.length(1);
          else expect(plan.warnings).to.deep.equal([]);
          if (heap > defaultMiB * MiB) expect(heap).to.be.at.most(memoryBytes * HEAP_MEMORY_FRACTION);
        },
      ),
    );
  });
});

describe('heapGrowthFlag', () => {
  it("caps V8's heap growth past the live size unless the operator set it on node's command line", () => {
    expect(HEAP_GROWING_PERCENT).to.be.within(1, 100);
    expect(heapGrowthFlag(undefined)).to.equal(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(300), "the operator's flag stays as given").to.equal(undefined);
    expect(
      heapGrowthFlag(v8FlagMiB('heap-growing-percent', undefined, ['--heap_growing_percent=80'])),
    ).to.equal(undefined);
  });
});

describe('markingWorkersFlag', () => {
  it("gives V8's concurrent marking one thread unless the operator set it, even to 0", () => {
    expect(CONCURRENT_MARKING_WORKERS).to.equal(1);
    expect(markingWorkersFlag(false)).to.equal('--concurrent-marking-max-worker-num=1');
    expect(markingWorkersFlag(true)).to.equal(undefined);
    // 0 is V8's "every thread of the pool": an operator's choice, kept.
    const given = v8FlagValues(
      'concurrent-marking-max-worker-num',
      '--concurrent_marking_max_worker_num=0',
      [],
    );
    expect(given).to.deep.equal(['0']);
    expect(v8FlagValues('concurrent-marking-max-worker-num', '--max-old-space-size=96', [])).to.deep.equal(
      [],
    );
  });
});

describe('markingTaskFlag', () => {
  it("turns V8's wall-time marking tasks off unless the operator set the flag either way", () => {
    expect(markingTaskFlag(false)).to.equal('--no-incremental-marking-task');
    expect(markingTaskFlag(true)).to.equal(undefined);
    for (const given of [
      ['--incremental-marking-task'],
      ['--no-incremental-marking-task'],
      ['--incremental_marking_task'],
      ['--no_incremental_marking_task'],
      ['--incremental-marking-task=false'],
    ]) {
      expect(v8BoolFlagGiven('incremental-marking-task', undefined, given), given[0]).to.equal(true);
    }
    expect(v8BoolFlagGiven('incremental-marking-task', '--no-incremental-marking-task', [])).to.equal(true);
    expect(
      v8BoolFlagGiven('incremental-marking-task', '--incremental-marking', ['--max-old-space-size=96']),
    ).to.equal(false);
    expect(v8BoolFlagGiven('incremental-marking-task', undefined, ['--no-incremental-marking'])).to.equal(
      false,
    );
  });
});

describe('v8FlagMiB', () => {
  it('reads the flag from NODE_OPTIONS and the command line, the last one winning', () => {
    expect(v8FlagMiB('max-old-space-size', undefined, [])).to.equal(undefined);
    expect(v8FlagMiB('max-old-space-size', '--max-old-space-size=96', [])).to.equal(96);
    expect(v8FlagMiB('max-old-space-size', '--inspect --max_old_space_size=200', [])).to.equal(200);
    expect(v8FlagMiB('max-old-space-size', '--max-old-space-size=96', ['--max-old-space-size=300'])).to.equal(
      300,
    );
    expect(v8FlagMiB('max-old-space-size', '', ['--max-semi-space-size=4'])).to.equal(undefined);
    expect(v8FlagMiB('max-semi-space-size', '', ['--max-semi-space-size=4'])).to.equal(4);
    expect(v8FlagMiB('max-old-space-size', '--max-old-space-size=abc', [])).to.equal(undefined);
  });

  it("takes the young generation's reserve off heap_size_limit for the old generation's limit", () => {
    expect(oldGenerationLimitBytes(4144 * MiB, undefined)).to.equal(4096 * MiB);
    expect(oldGenerationLimitBytes(112 * MiB, 4)).to.equal(100 * MiB);
  });

  it("reads a worker's young generation when no flag sets the semi-space, the flag winning over it", () => {
    expect(youngGenerationReserveBytes(undefined)).to.equal(48 * MiB);
    expect(youngGenerationReserveBytes(undefined, 96)).to.equal(96 * MiB);
    expect(youngGenerationReserveBytes(8, 96)).to.equal(24 * MiB);
    expect(oldGenerationLimitBytes(4192 * MiB, undefined, 96)).to.equal(4096 * MiB);
  });
});

describe('youngGenerationMiB', () => {
  it("gives the member node's 16 MiB semi-space unless the operator's node sets --max-semi-space-size", () => {
    expect(youngGenerationMiB(undefined)).to.equal(YOUNG_GENERATION_MIB);
    expect(YOUNG_GENERATION_MIB).to.equal(3 * 16);
    expect(youngGenerationMiB(8)).to.equal(undefined);
  });
});
