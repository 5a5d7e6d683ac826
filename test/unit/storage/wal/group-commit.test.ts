import { expect } from 'chai';
import { GroupCommitter } from '../../../../server/storage/wal/group-commit.js';

class ControlledFlush {
  readonly batches: number[][] = [];
  readonly synced: boolean[] = [];
  private release: (() => void) | undefined;
  private fail: Error | undefined;
  flush = (items: readonly number[], sync: boolean): Promise<void> => {
    this.batches.push([...items]);
    this.synced.push(sync);
    if (this.fail !== undefined) return Promise.reject(this.fail);
    return new Promise((resolve) => {
      this.release = resolve;
    });
  };
  finish(): void {
    const r = this.release;
    this.release = undefined;
    r?.();
  }
  failNext(err: Error): void {
    this.fail = err;
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitter', () => {
  describe('#submit', () => {
    it('gathers submissions of the same tick into one flush', async () => {
      const f = new ControlledFlush();
      const gc = new GroupCommitter<number>(f.flush, () => 1, 1000);
      const all = [gc.submit([1]), gc.submit([2, 3]), gc.submit([4])];
      await tick();
      expect(f.batches).to.deep.equal([[1, 2, 3, 4]]);
      f.finish();
      await Promise.all(all);
    });

    it('puts everything submitted during a flush into the next one', async () => {
      const f = new ControlledFlush();
      const gc = new GroupCommitter<number>(f.flush, () => 1, 1000);
      const order: string[] = [];
      const first = gc.submit([1]).then(() => order.push('first'));
      await tick();
      const later = [2, 3, 4].map((n) => gc.submit([n]).then(() => order.push(`n${n}`)));
      await tick();
      expect(f.batches).to.deep.equal([[1]]);
      expect(order).to.deep.equal([]);
      f.finish();
      await first;
      await tick();
      expect(f.batches).to.deep.equal([[1], [2, 3, 4]]);
      expect(order).to.deep.equal(['first']);
      f.finish();
      await Promise.all(later);
      expect(order).to.deep.equal(['first', 'n2', 'n3', 'n4']);
      expect(gc.stats).to.deep.equal({ batches: 2, items: 4 });
    });

    it('splits batches at maxBatchBytes but always takes one submission', async () => {
      const f = new ControlledFlush();
      const gc = new GroupCommitter<number>(f.flush, (n) => n, 10);
      const all = [gc.submit([20]), gc.submit([4]), gc.submit([5]), gc.submit([3])];
      await tick();
      f.finish();
      await tick();
      f.finish();
      await tick();
      f.finish();
      await Promise.all(all);
      expect(f.batches).to.deep.equal([[20], [4, 5], [3]]);
    });

    it('resolves an empty submission only after earlier ones are durable', async () => {
      const f = new ControlledFlush();
      const gc = new GroupCommitter<number>(f.flush, () => 1, 1000);
      await gc.submit([]);
      const first = gc.submit([1]);
      let barrierDone = false;
      const barrier = gc.submit([]).then(() => {
        barrierDone = true;
      });
      await tick();
      expect(barrierDone).to.equal(false);
      f.finish();
      await first;
      await barrier;
      expect(barrierDone).to.equal(true);
    });

    context('when some submissions do not need an fsync', () => {
      it('syncs a batch when any of its submissions asks for it, and only then', async () => {
        const f = new ControlledFlush();
        const gc = new GroupCommitter<number>(f.flush, () => 1, 1000);
        const first = gc.submit([1], false);
        await tick();
        f.finish();
        await first;
        const mixed = [gc.submit([2], false), gc.submit([3], true)];
        await tick();
        f.finish();
        await Promise.all(mixed);
        expect(f.batches).to.deep.equal([[1], [2, 3]]);
        expect(f.synced).to.deep.equal([false, true]);
      });

      it('flushes an empty synced barrier while unsynced writes remain', async () => {
        const f = new ControlledFlush();
        let unsynced = true;
        const gc = new GroupCommitter<number>(
          f.flush,
          () => 1,
          1000,
          () => unsynced,
        );
        const barrier = gc.submit([], true);
        await tick();
        expect(f.synced).to.deep.equal([true]);
        unsynced = false;
        f.finish();
        await barrier;
        await gc.submit([], true);
        expect(f.batches).to.have.length(1);
      });
    });

    context('when a flush fails', () => {
      it('rejects the batch, everything queued and every later submission', async () => {
        const f = new ControlledFlush();
        const gc = new GroupCommitter<number>(f.flush, () => 1, 1000);
        const boom = new Error('EIO');
        f.failNext(boom);
        const results = await Promise.allSettled([gc.submit([1]), gc.submit([2])]);
        expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
        expect(gc.failure).to.equal(boom);
        const later = await gc.submit([3]).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(later).to.equal(boom);
        expect(f.batches).to.deep.equal([[1, 2]]);
      });
    });
  });
});
