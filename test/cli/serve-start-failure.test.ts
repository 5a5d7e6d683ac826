/**
 * A `concord serve` that cannot start says why in one line naming the flag, exits with the
 * documented status, and leaves no data directory it created behind.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListenError, startMember } from '../../server/index.js';
import { ConcordProcess } from './concord-process.js';
import { freePort } from '../helpers/ports.js';

/** A port held by a listener of this test, so that the member's bind fails. */
async function takenPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const addr = server.address();
  return { port: typeof addr === 'object' && addr !== null ? addr.port : 0, server };
}

describe('concord serve: a failed start', function () {
  this.timeout(60_000);
  let root: string;
  const servers: Server[] = [];
  const processes: ConcordProcess[] = [];
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'concord-failstart-'));
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
    for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
    rmSync(root, { recursive: true, force: true });
  });

  async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const p = new ConcordProcess(['serve', '--name=m1', '--log-level=warn', ...args]);
    processes.push(p);
    const { code } = await p.exit();
    return { code, stderr: p.stderr };
  }

  async function hold(): Promise<number> {
    const { port, server } = await takenPort();
    servers.push(server);
    return port;
  }

  context('when the client port is in use', () => {
    it('names the flag and the address, exits 1, and leaves no new data directory', async () => {
      const port = await hold();
      const dataDir = join(root, 'new', 'm1');
      const { code, stderr } = await run([
        `--data-dir=${dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${port}`,
        `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
      ]);
      expect(code, stderr).to.equal(1);
      expect(stderr).to.match(
        new RegExp(`^concord: --listen-client-urls: 127\\.0\\.0\\.1:${port} is already in use`, 'm'),
      );
      expect(stderr, 'no stack trace').to.not.match(/\n\s+at /);
      expect(existsSync(join(root, 'new')), 'the data directory and its new parent').to.equal(false);
    });
  });

  context('when the peer port is in use', () => {
    it('names the flag and the address, exits 1, and leaves no new data directory', async () => {
      const port = await hold();
      const dataDir = join(root, 'm1');
      const { code, stderr } = await run([
        `--data-dir=${dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${await freePort()}`,
        `--listen-peer-urls=http://127.0.0.1:${port}`,
      ]);
      expect(code, stderr).to.equal(1);
      expect(stderr).to.match(
        new RegExp(`^concord: --listen-peer-urls: 127\\.0\\.0\\.1:${port} is already in use`, 'm'),
      );
      expect(stderr, 'no stack trace').to.not.match(/\n\s+at /);
      expect(existsSync(dataDir)).to.equal(false);
    });
  });

  context('when the data directory existed empty', () => {
    it('leaves it empty', async () => {
      const port = await hold();
      const dataDir = join(root, 'empty');
      mkdirSync(dataDir);
      const { code } = await run([
        `--data-dir=${dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${port}`,
        `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
      ]);
      expect(code).to.equal(1);
      expect(readdirSync(dataDir)).to.deep.equal([]);
    });
  });

  context('with a bad flag', () => {
    it('names the flag, exits 2, and creates no data directory (unknown flag)', async () => {
      const dataDir = join(root, 'm1');
      const { code, stderr } = await run([`--data-dir=${dataDir}`, '--no-such-flag=1']);
      expect(code).to.equal(2);
      expect(stderr).to.match(/^concord: --no-such-flag: unknown flag/m);
      expect(existsSync(dataDir)).to.equal(false);
    });

    it('names the flag, exits 2, and creates no data directory (missing certificate file)', async () => {
      const dataDir = join(root, 'm1');
      const { code, stderr } = await run([
        `--data-dir=${dataDir}`,
        `--listen-client-urls=https://127.0.0.1:${await freePort()}`,
        `--listen-peer-urls=http://127.0.0.1:${await freePort()}`,
        `--cert-file=${join(root, 'missing.pem')}`,
        `--key-file=${join(root, 'missing.key')}`,
      ]);
      expect(code, stderr).to.equal(2);
      expect(stderr).to.match(/^concord: --cert-file: cannot read /m);
      expect(existsSync(dataDir)).to.equal(false);
    });
  });

  context('with startMember() embedded', () => {
    it('rejects with a ListenError naming the flag, and leaves no new data directory', async () => {
      const port = await hold();
      const dataDir = join(root, 'embedded');
      const err = await startMember(
        { dataDir, listenClientUrls: [`http://127.0.0.1:${port}`], listenPeerUrls: ['http://127.0.0.1:0'] },
        { logWrite: () => {} },
      ).then(
        async (m) => {
          await m.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(ListenError);
      expect((err as ListenError).flag).to.equal('listen-client-urls');
      expect((err as ListenError).message).to.equal(
        `--listen-client-urls: 127.0.0.1:${port} is already in use (EADDRINUSE)`,
      );
      expect(existsSync(dataDir)).to.equal(false);
    });
  });
});
