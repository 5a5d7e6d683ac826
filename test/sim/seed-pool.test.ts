/** Seeds run on worker threads give exactly the outcomes of the same seeds run in process. */
import { expect } from 'chai';
import { parseArgs } from './cli.js';
import { runOneSeed } from './run-one-seed.js';
import { runSeedPool, type SeedOutcome } from './seed-pool.js';

describe('Simulator seed pool (worker threads)', () => {
  it('gives the in-process outcomes, failures included, sorted by seed', async () => {
    // An injected bug makes some of these seeds fail, so failure reports cross the thread boundary too.
    const argv = ['--seeds', '6', '--nodes', '3', '--profile', 'hostile', '--bugs', 'voteWithoutLogCheck'];
    const args = parseArgs(argv);
    const seeds = [1, 2, 3, 4, 5, 6];
    const local: SeedOutcome[] = [];
    for (const seed of seeds) local.push(await runOneSeed(args, seed));
    const pooled = await runSeedPool({ seeds, workers: 2, argv });
    expect(pooled.map((o) => o.seed)).to.deep.equal(seeds);
    expect(pooled).to.deep.equal(local);
    expect(local.some((o) => o.failure !== undefined)).to.equal(true);
  });

  it('takes --workers from the command line and defaults to at most one per seed', () => {
    expect(parseArgs(['--seeds', '10', '--workers', '3']).workers).to.equal(3);
    expect(parseArgs(['--seed', '5']).workers).to.equal(1);
    expect(() => parseArgs(['--workers', '0'])).to.throw(/--workers must be an integer >= 1/);
  });
});
