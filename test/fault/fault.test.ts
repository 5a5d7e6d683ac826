/**
 * The process-level fault run of `npm test`: 3 real members, 8 client workers doing reads,
 * writes and CAS over 8 keys, 3 lock workers, 4 semaphore workers (limit 2, with an operator
 * releasing holders) and a small queue (2 producers, 3 consumers), and a nemesis doing kill -9,
 * SIGSTOP/SIGCONT and partitions for 60 seconds; then the register history must be
 * linearizable and the lock, semaphore and queue checkers must find nothing. A failure prints
 * the seed and where the histories were saved; `npm run fault -- --check <file>` replays the
 * verdicts.
 */
import { expect } from 'chai';
import { Verdict } from '../check/linearizability.js';
import { FAULT_KINDS } from './nemesis.js';
import { FAULT_RUN_DEFAULTS, runFault, summaryLine } from './run.js';

describe('fault suite (real processes)', function () {
  this.timeout(180_000);

  describe('#runFault', () => {
    context('when the nemesis kills, pauses and partitions members of a 3-member cluster for 60 s', () => {
      it('records a linearizable history and safe lock, semaphore and queue histories with faults injected', async () => {
        const seed =
          process.env['FAULT_SEED'] !== undefined
            ? Number(process.env['FAULT_SEED'])
            : Math.floor(Math.random() * 2 ** 31);
        const report = await runFault({
          ...FAULT_RUN_DEFAULTS,
          timeSec: 60,
          kinds: FAULT_KINDS,
          seed,
          holdMs: [1200, 2500],
          quietMs: [500, 1200],
        });
        const line = summaryLine(report);
        console.log(`      ${line}`);
        const replay = `reproduce: npm run fault -- --time 60 --nemesis all --seed ${seed}`;
        expect(report.linearizable, `${line}\n${replay}\n${report.detail ?? ''}`).to.equal(
          Verdict.Linearizable,
        );
        expect(report.lockViolations, line).to.equal(0);
        expect(report.semaphoreViolations, `${line}\n${report.detail ?? ''}`).to.equal(0);
        expect(report.semaphoreHolds, 'the semaphore workload completed holds').to.be.at.least(10);
        expect(report.queueViolations, `${line}\n${report.detail ?? ''}`).to.equal(0);
        expect(report.queue?.itemsAcked, 'the queue workload acked items').to.be.at.least(50);
        if (report.lockWorkload)
          expect(report.lockHolds, 'the lock workload completed holds').to.be.at.least(10);
        else console.log('      (no lock workload: recipes/ is not built in this tree)');
        expect(report.faults, line).to.be.at.least(10);
        expect(Object.keys(report.faultsByKind).length, line).to.be.at.least(3);
        expect(report.ok, line).to.be.at.least(500);
        expect(report.finalKeysRead, 'every key readable after healing').to.equal(report.keys);
      });
    });
  });
});
