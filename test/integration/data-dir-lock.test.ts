/**
 * One process per data directory (DESIGN.md §4), with real `concord serve` processes and with
 * members embedded in this process: a second member on a directory in use is refused, naming the
 * directory and the holder's pid, and nothing the first one acknowledged is lost.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, startMember, type MemberHandle } from '../../server/index.js';
import { LOCK_FILE_NAME } from '../../server/platform/node-dir-lock.js';
import { b64, ConcordProcess, gateway, getValue, waitHealthy } from '../cli/concord-process.js';
import { freePorts } from '../helpers/ports.js';

describe('data directory lock', function () {
  this.timeout(90_000);
  let root: string;
  const processes: ConcordProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-datadir-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  /** A single-member `concord serve` advertising `peerUrl` (which it may or may not listen on). */
  function serve(
    dataDir: string,
    clientPort: number,
    listenPeerPort: number,
    peerUrl: string,
  ): ConcordProcess {
    const p = new ConcordProcess([
      'serve',
      '--name=m1',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=http://127.0.0.1:${clientPort}`,
      `--listen-peer-urls=http://127.0.0.1:${listenPeerPort}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      '--heartbeat-interval=50',
      '--election-timeout=500',
      '--log-level=warn',
    ]);
    processes.push(p);
    return p;
  }

  const lockHolderPid = (dataDir: string): number =>
    (JSON.parse(readFileSync(join(dataDir, LOCK_FILE_NAME), 'utf8')) as { pid: number }).pid;

  context('with two concord serve processes on one data directory', () => {
    it('refuses the second with the directory and the holder pid, and the first loses nothing', async () => {
      const [client1, peer1, client2, peer2] = await freePorts(4);
      const dataDir = join(root, 'm1');
      const url1 = `http://127.0.0.1:${client1}`;
      const peerUrl = `http://127.0.0.1:${peer1}`;
      const first = serve(dataDir, client1!, peer1!, peerUrl);
      await waitHealthy(url1, 'the first member');
      await gateway(url1, '/v3/kv/put', { key: b64('k'), value: b64('before') });

      // Other listen ports, same peer URL: the same member as far as the cluster can tell.
      const second = serve(dataDir, client2!, peer2!, peerUrl);
      const refused = await second.exit();
      expect(refused.code, second.stderr).to.equal(1);
      expect(second.stderr).to.include(`data directory ${dataDir}`).and.include(`pid ${first.pid}`);
      expect(second.stderr).to.not.match(/\n\s+at /);

      expect(first.running).to.equal(true);
      await gateway(url1, '/v3/kv/put', { key: b64('k'), value: b64('acknowledged') });
      expect(await getValue(url1, 'k')).to.equal('acknowledged');

      first.child.kill('SIGTERM');
      expect((await first.exit()).code, first.stderr).to.equal(0);
      expect(existsSync(join(dataDir, LOCK_FILE_NAME)), 'lock released on a graceful stop').to.equal(false);
      serve(dataDir, client1!, peer1!, peerUrl);
      await waitHealthy(url1, 'the restarted member');
      expect(await getValue(url1, 'k')).to.equal('acknowledged');
    });
  });

  context('when the holder was killed with SIGKILL', () => {
    it('lets the next member take the stale lock, with the data', async () => {
      const [client, peer] = await freePorts(2);
      const dataDir = join(root, 'm1');
      const url = `http://127.0.0.1:${client}`;
      const peerUrl = `http://127.0.0.1:${peer}`;
      const first = serve(dataDir, client!, peer!, peerUrl);
      await waitHealthy(url);
      await gateway(url, '/v3/kv/put', { key: b64('k'), value: b64('v') });
      await first.kill('SIGKILL');
      expect(lockHolderPid(dataDir), 'a stale lock is left behind').to.equal(first.pid);

      const next = serve(dataDir, client!, peer!, peerUrl);
      await waitHealthy(url, 'the member started after kill -9');
      expect(lockHolderPid(dataDir)).to.equal(next.pid);
      expect(await getValue(url, 'k')).to.equal('v');
    });
  });

  context('with two members embedded in one process', () => {
    const options = (dataDir: string) =>
      ({
        name: 'embedded',
        dataDir,
        listenClientUrls: ['http://127.0.0.1:0'],
        listenPeerUrls: ['http://127.0.0.1:0'],
        heartbeatInterval: 50,
        electionTimeout: 500,
        unsafeNoFsync: true,
      }) as const;
    const quiet = { logWrite: () => {} };

    it('refuses the second startMember() on the same directory, and frees it on stop', async () => {
      const dataDir = join(root, 'embedded');
      const first = await startMember(options(dataDir), quiet);
      let second: MemberHandle | undefined;
      try {
        const err = await startMember(options(join(root, 'x', '..', 'embedded')), quiet).then(
          (m) => {
            second = m;
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(DataDirLockedError);
        expect((err as DataDirLockedError).message).to.include(`pid ${process.pid}`);
        await waitHealthy(first.clientUrls[0]!, 'the first embedded member');
      } finally {
        await second?.stop();
        await first.stop();
      }
      const again = await startMember(options(dataDir), quiet);
      await again.stop();
    });
  });
});
