/**
 * Makes sure a Docker engine answers before the container suite starts, without ever pulling from
 * a registry. Order: an engine that already answers `docker info` is used as it is (a developer's
 * Docker Desktop or system service); otherwise, as root on a Debian-like machine, Debian's
 * `docker.io` package is installed if `dockerd` is missing and `dockerd` is started in the
 * background by this process, which then stops it again (by its PID) when the suite ends.
 * Every step has a deadline, so a machine that cannot run Docker fails the suite quickly with a
 * message that says which step failed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export interface DockerEngineOptions {
  /** Longest wait for apt-get update + install of docker.io (default 300 000 ms). */
  readonly installTimeoutMs?: number;
  /** Longest wait for a freshly started dockerd to answer (default 60 000 ms). */
  readonly startTimeoutMs?: number;
  /** Where a dockerd started here writes its log (default <tmpdir>/concord-dockerd.log). */
  readonly logPath?: string;
}

export interface DockerEngine {
  /** PID of the dockerd this process started, or undefined when an engine was already running. */
  readonly startedPid: number | undefined;
  /** Human-readable account of what was done ("already running", "installed and started", …). */
  readonly how: string;
  /** Stops the dockerd this process started (SIGTERM, then SIGKILL); does nothing otherwise. */
  stop(timeoutMs?: number): Promise<void>;
}

/** Runs a command with a deadline; resolves with stdout, rejects with stderr in the message. */
export async function run(
  file: string,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  try {
    const { stdout } = await execFileP(file, args, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env,
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message?: string; killed?: boolean };
    const why = e.killed === true ? `timed out after ${timeoutMs} ms` : (e.stderr ?? '').trim() || e.message;
    throw new Error(`${file} ${args.join(' ')}: ${why}`);
  }
}

async function engineAnswers(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], 15_000);
    return true;
  } catch {
    return false;
  }
}

async function onPath(command: string): Promise<boolean> {
  try {
    await run('sh', ['-c', `command -v ${command}`], 5_000);
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

async function installDockerIo(timeoutMs: number): Promise<void> {
  if (!isRoot()) {
    throw new Error(
      'no Docker engine answers and dockerd is not installed; start Docker yourself, or run the suite as root on a Debian-like machine so it can install docker.io',
    );
  }
  if (!(await onPath('apt-get'))) {
    throw new Error('no Docker engine answers, dockerd is not installed and apt-get is not available');
  }
  const deadline = Date.now() + timeoutMs;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], Math.max(1_000, deadline - Date.now()), env);
  await run('apt-get', ['install', '-y', 'docker.io'], Math.max(1_000, deadline - Date.now()), env);
}

function tail(path: string, chars = 3_000): string {
  try {
    return readFileSync(path, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}

async function startDockerd(logPath: string, timeoutMs: number): Promise<ChildProcess> {
  if (!isRoot()) throw new Error('no Docker engine answers; starting dockerd needs root');
  const pidFile = '/var/run/docker.pid';
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    let alive = false;
    try {
      // a stale pid file may name a pid that another program has since been given
      alive = pid > 0 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'dockerd';
    } catch {
      alive = false;
    }
    if (alive) throw new Error(`a dockerd is already running (pid ${pid}) but does not answer docker info`);
  }
  const log = openSync(logPath, 'a');
  // --iptables=false: no firewall rules are needed for containers that only talk to each other and
  // to published ports; --ip=127.0.0.1: published ports listen on loopback only.
  const child = spawn('dockerd', ['--iptables=false', '--ip=127.0.0.1'], {
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.unref();
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`dockerd exited at once; its log ends with:\n${tail(logPath)}`);
    if (await engineAnswers()) return child;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`dockerd did not answer within ${timeoutMs} ms; its log ends with:\n${tail(logPath)}`);
}

async function stopChild(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const late = await Promise.race([exited.then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * For an engine on this machine (no DOCKER_HOST, or a unix socket), reach published ports on
 * 127.0.0.1. Without this, testcontainers sees /.dockerenv (this machine is itself a container
 * sandbox) and dials the bridge gateway (172.17.0.1), which the sandbox does not route to the
 * ports' proxies: every wait then times out ("URL /version not accessible"). A user's own
 * TESTCONTAINERS_HOST_OVERRIDE is kept.
 */
export function useLoopbackForLocalEngine(env: NodeJS.ProcessEnv): void {
  const dockerHost = env['DOCKER_HOST'];
  const local = dockerHost === undefined || dockerHost === '' || dockerHost.startsWith('unix://');
  if (local) env['TESTCONTAINERS_HOST_OVERRIDE'] ??= '127.0.0.1';
}

export async function ensureDockerEngine(options: DockerEngineOptions = {}): Promise<DockerEngine> {
  const installTimeoutMs = options.installTimeoutMs ?? 300_000;
  const startTimeoutMs = options.startTimeoutMs ?? 60_000;
  const logPath = options.logPath ?? join(tmpdir(), 'concord-dockerd.log');
  if (!(installTimeoutMs > 0) || !(startTimeoutMs > 0)) throw new RangeError('timeouts must be positive');

  if (await engineAnswers()) {
    return { startedPid: undefined, how: 'a Docker engine was already running', stop: async () => {} };
  }
  let how = 'started dockerd';
  if (!(await onPath('dockerd')) || !(await onPath('docker'))) {
    await installDockerIo(installTimeoutMs);
    how = 'installed docker.io and started dockerd';
  }
  const child = await startDockerd(logPath, startTimeoutMs);
  return {
    startedPid: child.pid,
    how: `${how} (pid ${child.pid ?? '?'}, log ${logPath})`,
    stop: (timeoutMs = 30_000) => stopChild(child, timeoutMs),
  };
}
