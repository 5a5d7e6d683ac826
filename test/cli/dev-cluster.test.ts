/**
 * `npm run cluster` (dist/server/cli/dev-cluster.js) stops every member gracefully on Ctrl-C. A
 * terminal's Ctrl-C signals the whole foreground process group, so that is what the test sends:
 * SIGINT to the group of the dev cluster it started in a group of its own.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCK_FILE_NAME } from '../../server/platform/node-dir-lock.js';
import { CLI_DIR, ConcordProcess, gateway, waitHealthy } from './concord-process.js';
import { eventually } from '../helpers/eventually.js';
import { freePorts } from '../helpers/ports.js';

const DEV_CLUSTER = join(CLI_DIR, 'dev-cluster.js');
const NAMES = ['infra1', 'infra2', 'infra3'];

describe('npm run cluster', function () {
  this.timeout(120_000);
  let root: string;
  let cluster: ConcordProcess | undefined;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-devcluster-'));
  });
  afterEach(async () => {
    // Whatever the outcome, no member outlives the test: each one's pid is in its lock file.
    if (cluster?.running === true) process.kill(-cluster.pid, 'SIGKILL');
    await cluster?.exited;
    for (const name of NAMES) {
      const lock = join(root, name, LOCK_FILE_NAME);
      if (!existsSync(lock)) continue;
      const { pid } = JSON.parse(readFileSync(lock, 'utf8')) as { pid: number };
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true });
  });

  it('stops every member gracefully on Ctrl-C (SIGINT to its process group)', async () => {
    const ports = await freePorts(6);
    const clientPorts = ports.slice(0, 3);
    const c = new ConcordProcess(
      [
        `--client-ports=${clientPorts.join(',')}`,
        `--peer-ports=${ports.slice(3).join(',')}`,
        `--data-dir=${root}`,
      ],
      { detached: true },
      DEV_CLUSTER,
    );
    cluster = c;
    const urls = clientPorts.map((p) => `http://127.0.0.1:${p}`);
    for (const [i, url] of urls.entries()) await waitHealthy(url, NAMES[i]);
    // Serving: a write commits, and every member knows the same leader.
    await gateway(urls[0]!, '/v3/kv/put', { key: 'aw==', value: 'dg==' });
    await eventually('one leader known to all', async () => {
      const leaders = await Promise.all(
        urls.map((u) => gateway<{ leader?: string }>(u, '/v3/maintenance/status', {})),
      );
      const known = new Set(leaders.map((s) => s.leader));
      return known.size === 1 && !known.has('0') && !known.has(undefined) ? true : undefined;
    });

    process.kill(-c.pid, 'SIGINT');
    const exit = await c.exit(60_000);

    const plain = c.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    for (const name of NAMES) {
      expect(plain, plain).to.match(
        new RegExp(`^${name}\\s*\\| concord: SIG(INT|TERM): stopping gracefully`, 'm'),
      );
      expect(plain, plain).to.match(new RegExp(`^${name}\\s*\\| exited \\(0\\)$`, 'm'));
    }
    expect(plain).to.not.include('again: exiting at once');
    expect(exit.code, plain).to.equal(0);
  });
});
