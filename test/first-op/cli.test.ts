/**
 * Every non-serve verb of the `concord` command, run as a user runs it (a child process, endpoints
 * from CONCORD_ENDPOINTS) as the first command on a brand-new single member and 3-member cluster:
 * its outcome, its exit code, and that it exits within 0.3 s of finishing its work (issue 12: the
 * SDK kept every process alive about 5 s after `close()`, and `concord lock x -- true` as the
 * first command on a new cluster hung).
 */
import { expect } from 'chai';
import { Election, lockContenders, Semaphore } from '../../recipes/index.js';
import { ChildRun, CONCORD_MAIN, textOf } from './child-run.js';
import { captured, expectRun } from './expect-run.js';
import { OPERATION_DEADLINE_MS, TOPOLOGIES, useFreshCluster, within } from './first-op.js';

/** Node's start-up plus the verb's own deadline. */
const CHILD_TIMEOUT_MS = OPERATION_DEADLINE_MS + 3000;

function concord(endpoints: readonly string[], args: readonly string[], finalLine?: RegExp): ChildRun {
  return new ChildRun([CONCORD_MAIN, ...args], {
    env: { CONCORD_ENDPOINTS: endpoints.join(',') },
    timeoutMs: CHILD_TIMEOUT_MS,
    ...(finalLine !== undefined ? { finalLines: [finalLine] } : {}),
  });
}

for (const topology of TOPOLOGIES) {
  describe(`the concord CLI as the first command on ${topology.title}`, function () {
    this.timeout(30_000);
    const fresh = useFreshCluster(topology.size);

    describe('concord lock NAME -- CMD', () => {
      it('runs the command with the lock’s token, releases it and exits with the command’s code', async () => {
        const { cluster, client } = fresh;
        const run = concord(
          cluster.endpoints,
          ['lock', 'first', '--ttl=5', '--', 'sh', '-c', 'echo "$CONCORD_LOCK_NAME $CONCORD_LOCK_TOKEN"'],
          /^first \d+$/,
        );
        const result = await run.done;
        expectRun(run, result, { code: 0, lines: [/^first \d+$/], stream: 'stdout' });
        const token = captured(result, /^first (\d+)$/);
        expect(token).to.be.at.least(1);
        expect(textOf(result, 'stderr')).to.include(`concord lock: holding first (token ${token})`);
        await within('reading the lock after the command', async (signal) =>
          expect(await lockContenders(client, 'first', { signal })).to.deep.equal([]),
        );
      });
    });

    describe('concord elect NAME VALUE', () => {
      it('is elected, stays leader until Ctrl-C, then resigns and exits 0', async () => {
        const { cluster, client } = fresh;
        const run = concord(cluster.endpoints, ['elect', 'first', 'node-a', '--ttl=5']);
        const elected = /^elected: first = node-a \(term \d+\)$/;
        await run.waitForLine(elected);
        const election = new Election(client, 'first');
        await within('reading the leader', async (signal) =>
          expect((await election.leader({ signal }))?.value).to.equal('node-a'),
        );
        run.interrupt();
        const result = await run.done;
        expectRun(run, result, { code: 0, lines: [elected, /^resigning first$/] });
        await within('reading the leader after the resignation', async (signal) =>
          expect(await election.leader({ signal })).to.equal(undefined),
        );
      });
    });

    describe('concord elect NAME', () => {
      it('prints no leader, then each leader change, and exits 0 on Ctrl-C', async () => {
        const { cluster, client } = fresh;
        const run = concord(cluster.endpoints, ['elect', 'first']);
        await run.waitForLine(/^no leader$/);
        const election = new Election(client, 'first');
        const leadership = await within('a campaign', (signal) =>
          election.campaign('node-b', { ttlSec: 5, signal }),
        );
        await run.waitForLine(new RegExp(`^node-b \\(term ${leadership.revision}\\)$`));
        await within('a resignation', () => leadership.resign());
        await run.waitForLine(/^no leader$/, 2);
        run.interrupt();
        const result = await run.done;
        expectRun(run, result, {
          code: 0,
          lines: [/^no leader$/, /^node-b \(term \d+\)$/, /^no leader$/],
        });
      });
    });

    describe('concord semaphore list NAME', () => {
      it('shows the default limit and no holders of a semaphore never used', async () => {
        const run = concord(fresh.cluster.endpoints, ['semaphore', 'list', 'first'], /^limit /);
        expectRun(run, await run.done, { code: 0, lines: [/^limit 1, 0 holder\(s\)$/] });
      });
    });

    describe('concord semaphore set-limit NAME N', () => {
      it('sets the limit of a new semaphore', async () => {
        const { cluster, client } = fresh;
        const run = concord(cluster.endpoints, ['semaphore', 'set-limit', 'first', '3'], /^limit /);
        expectRun(run, await run.done, { code: 0, lines: [/^limit 3, 0 holder\(s\)$/] });
        await within('reading the semaphore', async (signal) =>
          expect((await new Semaphore(client, 'first').state({ signal })).limit).to.equal(3),
        );
      });
    });

    describe('concord semaphore release NAME HOLDER', () => {
      it('reports that nobody held a slot of a new semaphore (exit 1)', async () => {
        const run = concord(
          fresh.cluster.endpoints,
          ['semaphore', 'release', 'first', 'holder-1'],
          /held no slot$/,
        );
        expectRun(run, await run.done, { code: 1, lines: [/^holder-1 held no slot$/] });
      });

      it('releases the slot a holder took as the first operation (exit 0)', async () => {
        const { cluster, client } = fresh;
        const slot = await within('the first Semaphore#acquire', (signal) =>
          new Semaphore(client, 'first').acquire('holder-1', { signal }),
        );
        const run = concord(cluster.endpoints, ['semaphore', 'release', 'first', 'holder-1'], /^released /);
        expectRun(run, await run.done, { code: 0, lines: [/^released holder-1$/] });
        await within('the holder to learn it lost its slot', async () => {
          if (!slot.signal.aborted)
            await new Promise((resolve) => slot.signal.addEventListener('abort', resolve, { once: true }));
        });
      });
    });
  });
}

describe('the concord CLI without a member', function () {
  this.timeout(30_000);

  it('concord help prints the verbs and exits 0 at once', async () => {
    const run = concord([], ['help']);
    expectRun(run, await run.done, { code: 0, lines: [/^usage: concord/, /lock NAME -- COMMAND/] });
  });

  it('concord --version prints the version and exits 0 at once', async () => {
    const run = concord([], ['--version']);
    expectRun(run, await run.done, { code: 0, lines: [/^concord \d+\.\d+\.\d+/] });
  });
});
