/**
 * A member that joins a running ClusterHarness cluster (`--initial-cluster-state existing`), set up
 * the way the harness sets up its own: peers on its own loopback address behind a TcpProxy, clients
 * on 127.0.0.1. Prepared first (its peer URL is what `member add` needs), started later. Once
 * started it is one of `harness.members`, so `harness.stop()` kills it and closes its proxy.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/ports.js';
import type { ClusterHarness, HarnessMember } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

export interface Joiner {
  readonly name: string;
  /** The peer URL to pass to `member add` (the proxy in front of the member's peer port). */
  readonly peerUrl: string;
  readonly clientUrl: string;
  /** Spawns the member with `--initial-cluster` = `existing` members plus itself. */
  start(existing: readonly HarnessMember[], extraArgs?: readonly string[]): HarnessMember;
  /** Closes the proxy if never started, removes the data directory (after `harness.stop()`). */
  cleanup(): Promise<void>;
}

/** The peer URL a harness member advertises (its `--initial-advertise-peer-urls`). */
export function advertisedPeerUrl(m: HarnessMember): string {
  const i = m.args.indexOf('--initial-advertise-peer-urls');
  const url = i >= 0 ? m.args[i + 1] : undefined;
  if (url === undefined) throw new Error(`${m.name} has no --initial-advertise-peer-urls`);
  return url;
}

/** The value of one flag in a harness member's arguments (to start the joiner like the others). */
function flagOf(m: HarnessMember, flag: string): string {
  const i = m.args.indexOf(flag);
  const value = i >= 0 ? m.args[i + 1] : undefined;
  if (value === undefined) throw new Error(`${m.name} has no ${flag}`);
  return value;
}

export async function prepareJoiner(h: ClusterHarness, name: string, host: string): Promise<Joiner> {
  const template = h.members[0];
  if (template === undefined) throw new Error('the harness has no members');
  const clientPort = await freePort();
  const peerPort = await freePort(host);
  const proxyPort = await freePort(host);
  const proxy = new TcpProxy(host, proxyPort, host, peerPort);
  await proxy.start();
  const root = mkdtempSync(join(tmpdir(), 'concord-join-'));
  const peerUrl = `http://${host}:${proxyPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  let started = false;
  return {
    name,
    peerUrl,
    clientUrl,
    start(existing, extraArgs = []) {
      if (started) throw new Error(`${name} already started`);
      started = true;
      const initialCluster = [
        ...existing.map((m) => `${m.name}=${advertisedPeerUrl(m)}`),
        `${name}=${peerUrl}`,
      ].join(',');
      const copied = ['--initial-cluster-token', '--heartbeat-interval', '--election-timeout', '--log-level'];
      const args = [
        template.args[0] ?? '',
        'serve',
        '--name',
        name,
        '--data-dir',
        join(root, name),
        '--listen-client-urls',
        clientUrl,
        '--listen-peer-urls',
        `http://${host}:${peerPort}`,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        initialCluster,
        '--initial-cluster-state',
        'existing',
        ...copied.flatMap((f) => [f, flagOf(template, f)]),
        ...extraArgs,
      ];
      const member: HarnessMember = {
        name,
        host,
        clientUrl,
        dataDir: join(root, name),
        proxy,
        args,
        process: undefined,
        log: '',
      };
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      member.process = child;
      const keep = (chunk: Buffer): void => {
        member.log = (member.log + chunk.toString()).slice(-20_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      h.members.push(member);
      return member;
    },
    async cleanup() {
      if (!started) await proxy.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
