/**
 * `--max-snapshots`: a member keeps that many snapshot files (each a full copy of the state), the
 * newest and older ones in case the newest is torn, and deletes the rest once a newer one is durable.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../server/cli/config.js';
import { proposeCommand, startCore, stopCore } from '../../server/member/member.js';
import { noopLogger } from '../../server/platform/logger.js';
import { eventually } from '../helpers/eventually.js';
import { freePort } from '../helpers/ports.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Starts one member with `flags`, writes enough to cut several snapshots, returns its .snap files. */
async function snapFilesAfterLoad(flags: string[]): Promise<string[]> {
  const root = mkdtempSync(join(tmpdir(), 'concord-retention-'));
  const port = await freePort();
  const config = loadConfig([
    '--name=m1',
    `--data-dir=${join(root, 'm1')}`,
    `--listen-peer-urls=http://127.0.0.1:${port}`,
    `--initial-cluster=m1=http://127.0.0.1:${port}`,
    '--heartbeat-interval=20',
    '--election-timeout=200',
    '--snapshot-count=10',
    ...flags,
  ]);
  const core = await startCore(config, noopLogger);
  try {
    await eventually('a leader', () => (core.replica.isLeader() ? true : undefined));
    // Snapshots are cut in the background and one due while another is written waits for it, so
    // how many 80 puts cut depends on the machine's load: write until six have been taken.
    for (let i = 0; i < 2000 && core.replica.stats().snapshotsTaken < 6; i++)
      await proposeCommand(core.replica, {
        type: 'put',
        request: { key: enc(`k${i}`), value: enc(String(i)) },
      });
    const index = await core.replica.snapshotNow();
    expect(core.replica.stats().snapshotsTaken).to.be.at.least(6);
    const snapDir = join(root, 'm1', 'snap');
    const files = (): string[] => readdirSync(snapDir).filter((f) => f.endsWith('.snap'));
    // The newest is the one just taken; older ones beyond the setting are gone once it is durable.
    expect(files().some((f) => f.endsWith(`${index.toString(16).padStart(16, '0')}.snap`))).to.equal(true);
    return files();
  } finally {
    await stopCore(core);
    rmSync(root, { recursive: true, force: true });
  }
}

describe('snapshot retention (--max-snapshots)', function () {
  this.timeout(60_000);

  it('keeps 2 snapshot files by default', async () => {
    expect(loadConfig([]).maxSnapshots).to.equal(2);
    expect(await snapFilesAfterLoad([])).to.have.length(2);
  });

  it('keeps the configured number of snapshot files', async () => {
    expect(await snapFilesAfterLoad(['--max-snapshots=4'])).to.have.length(4);
    expect(await snapFilesAfterLoad(['--max-snapshots=1'])).to.have.length(1);
  });
});
