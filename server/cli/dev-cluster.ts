/**
 * `npm run cluster`: a local 3-member cluster for development. Members listen on 127.0.0.1
 * (clients 2379, 22379, 32379; peers 2380, 22380, 32380), keep data in ./dev-cluster/<name>, and
 * their log lines are prefixed with the member's name. Ctrl-C stops them all gracefully.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(fileURLToPath(import.meta.url), '..', 'main.js');
const members = [
  { name: 'infra1', client: 2379, peer: 2380, color: 36 },
  { name: 'infra2', client: 22379, peer: 22380, color: 33 },
  { name: 'infra3', client: 32379, peer: 32380, color: 35 },
];
const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peer}`).join(',');
const children: ChildProcess[] = [];

for (const m of members) {
  const child = spawn(
    process.execPath,
    [
      main,
      'serve',
      `--name=${m.name}`,
      `--data-dir=dev-cluster/${m.name}`,
      `--listen-client-urls=http://127.0.0.1:${m.client}`,
      `--listen-peer-urls=http://127.0.0.1:${m.peer}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-token=dev-cluster',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
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
  child.on('exit', (code, signal) => process.stdout.write(`${prefix}exited (${signal ?? code})\n`));
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

let stopping = false;
const stopAll = (): void => {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
};
process.on('SIGINT', stopAll);
process.on('SIGTERM', stopAll);
process.stdout.write(`cluster: ${members.map((m) => `${m.name} http://127.0.0.1:${m.client}`).join(', ')}\n`);
