/**
 * Debian's `etcdctl` (package etcd-client, ETCDCTL_API=3) for the tests that drive it against
 * Concord. Without it those suites cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere the suite is skipped with a loud message saying how to install it.
 */
import { execFile, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';

export const ETCDCTL = 'etcdctl';

export interface EtcdctlRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function etcdctlAvailable(): boolean {
  const r = spawnSync(ETCDCTL, ['version'], { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '3' } });
  return r.error === undefined && r.status === 0;
}

/** In a `before` hook: fails under CI, else skips the suite, when etcdctl is missing. */
export function requireEtcdctl(ctx: Mocha.Context): void {
  if (etcdctlAvailable()) return;
  const message = 'etcdctl is not installed: `apt-get install etcd-client` provides it';
  if (process.env['CI'] === 'true') throw new Error(`${message} (.ci/run installs it; CI=true)`);
  console.warn(`\n  !!! SKIPPED: ${message}\n`);
  ctx.skip();
}

export interface EtcdctlOptions {
  /** Kill etcdctl after this long (default 30 s; `check perf` needs minutes). */
  readonly timeoutMs?: number | undefined;
}

/**
 * Runs etcdctl against `endpoints` (host:port, as etcdctl's per-endpoint commands need) with
 * short timeouts; `input` is its stdin. Resolves with the exit code and both outputs.
 */
export function runEtcdctl(
  endpoints: readonly string[],
  args: readonly string[],
  input?: string,
  options: EtcdctlOptions = {},
): Promise<EtcdctlRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      ETCDCTL,
      [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=5s', '--command-timeout=10s', ...args],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        if (err !== null && code === null) reject(err);
        else resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/**
 * Starts a long-running etcdctl (watch, elect) against `endpoints`; the caller reads its output
 * and stops it by PID.
 */
export function spawnEtcdctl(
  endpoints: readonly string[],
  args: readonly string[],
): ChildProcessWithoutNullStreams {
  return spawn(ETCDCTL, [`--endpoints=${endpoints.join(',')}`, '--dial-timeout=5s', ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
  });
}
