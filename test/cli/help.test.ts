/**
 * `concord --help` and `concord <command> --help` for every command: usage on stdout, exit 0, and
 * nothing else happens (no connection to the endpoints, no listener, no data directory).
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../server/cli/commands.js';
import { ConcordProcess } from './concord-process.js';

describe('concord --help', function () {
  this.timeout(30_000);
  let cwd: string;
  let trap: Server;
  let trapUrl: string;
  let connections = 0;

  before(async () => {
    // Stands where the commands would connect (or listen): any connection attempt is counted.
    trap = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const addr = trap.address();
    trapUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  });
  after(async () => {
    await new Promise((resolve) => trap.close(resolve));
  });
  beforeEach(() => {
    cwd = mkdtempSync(join(tmpdir(), 'concord-help-'));
    connections = 0;
  });
  afterEach(() => rmSync(cwd, { recursive: true, force: true }));

  async function concord(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const p = new ConcordProcess(args, {
      cwd,
      env: { ...process.env, CONCORD_ENDPOINTS: trapUrl, CONCORD_LISTEN_CLIENT_URLS: trapUrl },
    });
    const { code } = await p.exit();
    return { code, stdout: p.stdout, stderr: p.stderr };
  }

  function expectNothingHappened(): void {
    expect(connections, 'connections to the endpoints').to.equal(0);
    expect(readdirSync(cwd), 'files created').to.deep.equal([]);
  }

  it('lists every command', async () => {
    const { code, stdout } = await concord(['--help']);
    expect(code).to.equal(0);
    expect(stdout).to.match(/^usage: concord <command>/);
    for (const c of COMMANDS) expect(stdout).to.match(new RegExp(`^  ${c.name}\\b`, 'm'));
    expectNothingHappened();
  });

  for (const command of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      it(`concord ${command.name} ${flag} prints its usage, exits 0 and runs nothing`, async () => {
        const { code, stdout, stderr } = await concord([command.name, flag]);
        expect(code, stderr).to.equal(0);
        expect(stdout).to.match(new RegExp(`^usage: concord ${command.name}\\b`));
        expect(stdout.trimEnd()).to.equal(command.usage);
        expectNothingHappened();
      });
    }

    it(`concord ${command.name} NAME --help (help after arguments) prints the same usage`, async () => {
      const { code, stdout } = await concord([command.name, 'some-name', '--help']);
      expect(code).to.equal(0);
      expect(stdout.trimEnd()).to.equal(command.usage);
      expectNothingHappened();
    });

    it(`concord help ${command.name} prints the same usage`, async () => {
      const { code, stdout } = await concord(['help', command.name]);
      expect(code).to.equal(0);
      expect(stdout.trimEnd()).to.equal(command.usage);
      expectNothingHappened();
    });
  }

  it('documents the exit status of concord serve', async () => {
    const { stdout } = await concord(['serve', '--help']);
    expect(stdout)
      .to.match(/^exit status:$/m)
      .and.match(/^ {2}130 /m);
  });

  it('answers an unknown command with the list and exit status 2', async () => {
    const { code, stderr } = await concord(['no-such-command']);
    expect(code).to.equal(2);
    expect(stderr).to.include("unknown command 'no-such-command'").and.include('usage: concord <command>');
  });
});
