/**
 * `npm run cluster`: a local 3-member cluster for development. Members listen on 127.0.0.1
 * (clients 2379, 22379, 32379; peers 2380, 22380, 32380), keep data in ./dev-cluster/<name>, and
 * their log lines are prefixed with the member's name. Ctrl-C stops them all gracefully (a second
 * Ctrl-C forces them). `npm run cluster -- --help` lists the flags that move ports and data.
 *
 * The members run in their own process group: a terminal's Ctrl-C signals the whole foreground
 * group, and members that received it there would count this script's own stop signal as the
 * second, forcing one. So the terminal's signal reaches this script only, which forwards one
 * SIGTERM to each member (and a second one on a second Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE = [
  'usage: npm run cluster -- [--client-ports=P1,P2,P3] [--peer-ports=P1,P2,P3] [--data-dir=DIR]',
  '',
  '  --client-ports   client ports, one per member (default 2379,22379,32379)',
  '  --peer-ports     peer ports, as many (default 2380,22380,32380)',
  "  --data-dir       parent of the members' data directories (default dev-cluster)",
  '',
  'Members are named infra1, infra2, … and listen on 127.0.0.1. Ctrl-C stops them gracefully;',
  'the exit status is 0 when every member stopped gracefully, 1 otherwise.',
].join('\n');

interface Options {
  readonly clientPorts: number[];
  readonly peerPorts: number[];
  readonly dataDir: string;
}

function parseArgs(argv: readonly string[]): Options | string {
  let clientPorts = [2379, 22379, 32379];
  let peerPorts = [2380, 22380, 32380];
  let dataDir = 'dev-cluster';
  for (const arg of argv) {
    const eq = arg.indexOf('=');
    if (eq < 0) return `${arg}: expected ${arg}=VALUE`;
    const flag = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    const ports = (): number[] => {
      const list = value.split(',').map(Number);
      return list.every((p) => Number.isInteger(p) && p > 0 && p < 65536) ? list : [];
    };
    if (flag === '--client-ports') clientPorts = ports();
    else if (flag === '--peer-ports') peerPorts = ports();
    else if (flag === '--data-dir') dataDir = value;
    else return `unknown flag ${flag}`;
  }
  if (clientPorts.length === 0 || clientPorts.length !== peerPorts.length)
    return '--client-ports and --peer-ports need as many valid ports each';
  return { clientPorts, peerPorts, dataDir };
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const parsed = parseArgs(args);
if (typeof parsed === 'string') {
  process.stderr.write(`dev-cluster: ${parsed}\n${USAGE}\n`);
  process.exit(2);
}
const options: Options = parsed;

const main = join(fileURLToPath(import.meta.url), '..', 'main.js');
const COLORS = [36, 33, 35, 32, 34, 31, 37];
const members = options.clientPorts.map((client, i) => ({
  name: `infra${i + 1}`,
  client,
  peer: options.peerPorts[i]!,
  color: COLORS[i % COLORS.length]!,
}));
const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
const children: ChildProcess[] = [];
let failed = false;

for (const m of members) {
  const child = spawn(
    process.execPath,
    [
      main,
      'serve',
      `--name=${m.name}`,
      `--data-dir=${join(options.dataDir, m.name)}`,
      `--listen-client-urls=http://127.0.0.1:${m.client}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-token=dev-cluster',
    ],
    // A group of its own (see the header): the terminal's Ctrl-C is for this script alone.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  children.push(child);
  const prefix = `\x1b[${m.color}m${m.name.padEnd(7)}|\x1b[0m `;
  let buffered = '';
  const print = (chunk: Buffer): void => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) process.stdout.write(prefix + readable(line) + '\n');
  };
  child.stdout?.on('data', print);
  child.stderr?.on('data', print);
  child.on('exit', (code, signal) => {
    if (code !== 0) failed = true;
    process.stdout.write(`${prefix}exited (${signal ?? code})\n`);
    if (running().length === 0) process.exit(failed ? 1 : 0);
  });
}

/** JSON log lines become "level msg key=value …". */
function readable(line: string): string {
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    const { ts, level, msg, member, ...rest } = rec;
    void ts;
    void member;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `${String(level).toUpperCase().padEnd(5)} ${String(msg)} ${fields}`;
  } catch {
    return line;
  }
}

function running(): ChildProcess[] {
  return children.filter((c) => c.exitCode === null && c.signalCode === null);
}

// First signal: each member stops gracefully; second: each member is told again, and exits at once.
let signals = 0;
const stopAll = (signal: NodeJS.Signals): void => {
  signals += 1;
  const what = signals === 1 ? 'stopping every member gracefully (again to force)' : 'forcing';
  process.stdout.write(`cluster: ${signal}: ${what}\n`);
  for (const c of running()) c.kill('SIGTERM');
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
process.on('SIGHUP', stopAll);
// Members live in their own group, so nothing else stops them if this script dies of an error.
process.on('exit', () => {
  for (const c of running()) c.kill('SIGTERM');
});
process.stdout.write(`cluster: ${members.map((m) => `${m.name} http://127.0.0.1:${m.client}`).join(', ')}\n`);
