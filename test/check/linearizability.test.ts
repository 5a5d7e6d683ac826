import { expect } from 'chai';
import { Anomaly, generateHistory, injectAnomaly } from './generate.js';
import { Outcome, type Operation, type RegisterInput, type RegisterOutput } from './history.js';
import { checkLinearizable, Verdict } from './linearizability.js';

let nextId = 0;
function op(
  client: number,
  input: RegisterInput,
  invokeMs: number,
  completeMs: number,
  output?: RegisterOutput,
  key = 'x',
): Operation {
  const base = { id: nextId++, client, key, input, invokeMs, completeMs };
  return output === undefined
    ? { ...base, outcome: Outcome.Indeterminate }
    : { ...base, outcome: Outcome.Ok, output };
}
const W = (v: string): RegisterInput => ({ type: 'write', value: v });
const R: RegisterInput = { type: 'read' };
const CAS = (expected: string | null, value: string): RegisterInput => ({ type: 'cas', expected, value });
const wrote: RegisterOutput = { type: 'write' };
const read = (v: string | null): RegisterOutput => ({ type: 'read', value: v });
const cas = (succeeded: boolean, current?: string | null): RegisterOutput =>
  current === undefined ? { type: 'cas', succeeded } : { type: 'cas', succeeded, current };

const verdict = (h: Operation[]): string => checkLinearizable(h).verdict;

describe('checkLinearizable', () => {
  context('when the history is linearizable', () => {
    it('accepts sequential writes and reads', () => {
      expect(
        verdict([
          op(0, W('a'), 0, 1, wrote),
          op(1, R, 2, 3, read('a')),
          op(0, W('b'), 4, 5, wrote),
          op(1, R, 6, 7, read('b')),
        ]),
      ).to.equal(Verdict.Linearizable);
    });

    it('accepts a read of the initial (absent) value', () => {
      expect(verdict([op(0, R, 0, 1, read(null))])).to.equal(Verdict.Linearizable);
    });

    it('accepts a read concurrent with a write seeing either value', () => {
      for (const seen of ['a', null]) {
        expect(verdict([op(0, W('a'), 0, 10, wrote), op(1, R, 2, 3, read(seen))])).to.equal(
          Verdict.Linearizable,
        );
      }
    });

    it('accepts concurrent reads that see a write in the only possible order', () => {
      // r1 sees b then r2 sees a is fine only if a is written after b: w(a) and w(b) concurrent.
      expect(
        verdict([
          op(0, W('a'), 0, 10, wrote),
          op(1, W('b'), 0, 10, wrote),
          op(2, R, 1, 3, read('b')),
          op(3, R, 4, 6, read('a')),
        ]),
      ).to.equal(Verdict.Linearizable);
    });

    it('accepts CAS outcomes consistent with the register', () => {
      expect(
        verdict([
          op(0, W('a'), 0, 1, wrote),
          op(1, CAS('a', 'b'), 2, 3, cas(true)),
          op(2, CAS('a', 'c'), 4, 5, cas(false, 'b')),
          op(0, R, 6, 7, read('b')),
        ]),
      ).to.equal(Verdict.Linearizable);
    });

    it('keeps keys independent', () => {
      expect(
        verdict([
          op(0, W('a'), 0, 1, wrote, 'x'),
          op(1, R, 2, 3, read(null), 'y'),
          op(1, R, 4, 5, read('a'), 'x'),
        ]),
      ).to.equal(Verdict.Linearizable);
    });
  });

  context('when the history is not linearizable', () => {
    it('rejects a stale read', () => {
      const r = checkLinearizable([
        op(0, W('a'), 0, 1, wrote),
        op(0, W('b'), 2, 3, wrote),
        op(1, R, 4, 5, read('a')),
      ]);
      expect(r.verdict).to.equal(Verdict.Violation);
      expect(r.failed?.key).to.equal('x');
      expect(r.failed?.detail).to.contain('read');
    });

    it('rejects a read that goes back in time after another read saw the new value', () => {
      expect(
        verdict([op(0, W('a'), 0, 10, wrote), op(1, R, 1, 2, read('a')), op(2, R, 3, 4, read(null))]),
      ).to.equal(Verdict.Violation);
    });

    it('rejects a lost update: two CAS succeed from the same value', () => {
      expect(
        verdict([
          op(0, W('a'), 0, 1, wrote),
          op(1, CAS('a', 'b'), 2, 5, cas(true)),
          op(2, CAS('a', 'c'), 2, 5, cas(true)),
        ]),
      ).to.equal(Verdict.Violation);
    });

    it('rejects a CAS that succeeded on a wrong value', () => {
      expect(verdict([op(0, W('a'), 0, 1, wrote), op(1, CAS('z', 'b'), 2, 3, cas(true))])).to.equal(
        Verdict.Violation,
      );
    });

    it('rejects a CAS that failed although the value matched', () => {
      expect(verdict([op(0, W('a'), 0, 1, wrote), op(1, CAS('a', 'b'), 2, 3, cas(false, 'a'))])).to.equal(
        Verdict.Violation,
      );
    });

    it('rejects a read of a value never written', () => {
      expect(verdict([op(0, W('a'), 0, 1, wrote), op(1, R, 2, 3, read('ghost'))])).to.equal(
        Verdict.Violation,
      );
    });

    it('rejects a read of a write that definitely failed', () => {
      const failed: Operation = {
        id: nextId++,
        client: 0,
        key: 'x',
        input: W('a'),
        invokeMs: 0,
        completeMs: 1,
        outcome: Outcome.Fail,
      };
      expect(verdict([failed, op(1, R, 2, 3, read('a'))])).to.equal(Verdict.Violation);
    });
  });

  context('when operations are indeterminate', () => {
    it('accepts an indeterminate write that took effect (observed later)', () => {
      expect(verdict([op(0, W('a'), 0, 1), op(1, R, 50, 51, read('a'))])).to.equal(Verdict.Linearizable);
    });

    it('accepts an indeterminate write that never took effect', () => {
      expect(verdict([op(0, W('a'), 0, 1), op(1, R, 50, 51, read(null))])).to.equal(Verdict.Linearizable);
    });

    it('accepts an indeterminate write taking effect long after the client gave up', () => {
      expect(
        verdict([op(0, W('a'), 0, 1), op(1, R, 50, 51, read(null)), op(1, R, 60, 61, read('a'))]),
      ).to.equal(Verdict.Linearizable);
    });

    it('accepts an indeterminate CAS either way', () => {
      const base = [op(0, W('a'), 0, 1, wrote), op(1, CAS('a', 'b'), 2, 3)];
      expect(verdict([...base, op(2, R, 10, 11, read('a'))])).to.equal(Verdict.Linearizable);
      expect(verdict([...base, op(2, R, 10, 11, read('b'))])).to.equal(Verdict.Linearizable);
    });

    it('rejects a read of an indeterminate write that completed before the write was invoked', () => {
      expect(verdict([op(1, R, 0, 1, read('a')), op(0, W('a'), 5, 6)])).to.equal(Verdict.Violation);
    });

    it('rejects flip-flopping between an indeterminate write and the old value', () => {
      expect(
        verdict([op(0, W('a'), 0, 1), op(1, R, 10, 11, read('a')), op(1, R, 20, 21, read(null))]),
      ).to.equal(Verdict.Violation);
    });

    it('ignores reads that did not complete', () => {
      const failedRead: Operation = {
        id: nextId++,
        client: 2,
        key: 'x',
        input: R,
        invokeMs: 0,
        completeMs: 9,
        outcome: Outcome.Fail,
      };
      expect(verdict([op(0, W('a'), 0, 1, wrote), failedRead, op(1, R, 2, 3)])).to.equal(
        Verdict.Linearizable,
      );
    });
  });

  context('when histories come from a sequential register with random concurrency', () => {
    const seeds = Array.from({ length: 150 }, (_, i) => i + 1);

    it('accepts every generated history (150 seeds, some with indeterminate operations)', () => {
      for (const seed of seeds) {
        const h = generateHistory({
          seed,
          operations: 300,
          keys: 3,
          clients: 6,
          windowMs: 20,
          indeterminateRate: seed % 3 === 0 ? 0.1 : 0,
        });
        const r = checkLinearizable(h);
        expect(r.verdict, `seed ${seed}: ${r.failed?.detail ?? ''}`).to.equal(Verdict.Linearizable);
      }
    });

    for (const kind of Object.values(Anomaly)) {
      it(`rejects every generated history with one injected ${kind}`, () => {
        let injected = 0;
        for (const seed of seeds) {
          const h = generateHistory({
            seed,
            operations: 300,
            keys: 3,
            clients: 6,
            windowMs: 20,
            indeterminateRate: seed % 3 === 0 ? 0.1 : 0,
          });
          const bad = injectAnomaly(h, kind, seed);
          if (bad === undefined) continue;
          injected++;
          expect(checkLinearizable(bad.history).verdict, `seed ${seed}, op #${bad.at}`).to.equal(
            Verdict.Violation,
          );
        }
        expect(injected).to.be.greaterThan(seeds.length / 2);
      });
    }
  });

  context('when the history is large', () => {
    it('checks 10,000 operations over 50 keys (prints the time)', () => {
      const h = generateHistory({
        seed: 42,
        operations: 10_000,
        keys: 50,
        clients: 10,
        windowMs: 30,
        indeterminateRate: 0.05,
      });
      const started = performance.now();
      const r = checkLinearizable(h);
      const ms = performance.now() - started;
      console.log(`      linearizability: 10,000 ops / 50 keys checked in ${ms.toFixed(0)} ms`);
      expect(r.verdict).to.equal(Verdict.Linearizable);
      expect(r.keys).to.have.length(50);
      const bad = injectAnomaly(h, Anomaly.StaleRead, 42)!;
      expect(checkLinearizable(bad.history).verdict).to.equal(Verdict.Violation);
    });
  });
});
