/**
 * `concord` (dist/server/cli/main.js) as a child process for the CLI tests: its output kept, its
 * exit awaited with a deadline, and requests to its JSON gateway.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';

export const CLI_DIR = join(fileURLToPath(import.meta.url), '..', '..', '..', 'server', 'cli');
export const MAIN = join(CLI_DIR, 'main.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export class ConcordProcess {
  stdout = '';
  stderr = '';
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;

  constructor(args: readonly string[], options: SpawnOptions = {}, script = MAIN) {
    this.child = spawn(process.execPath, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    this.child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The exit, or a failure naming what the process printed if it is still running at the deadline. */
  async exit(timeoutMs = 20_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`still running after ${timeoutMs} ms\n${this.stderr}${this.stdout}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops it (by PID) if it still runs, and waits. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');

export async function gateway<T>(clientUrl: string, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${clientUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Resolves once the member at `clientUrl` knows a leader (GET /health answers 200). */
export async function waitHealthy(clientUrl: string, what = clientUrl): Promise<void> {
  await eventually(`${what} healthy`, async () => {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(2000) });
    await res.text();
    return res.ok ? true : undefined;
  });
}

export async function getValue(clientUrl: string, key: string): Promise<string | undefined> {
  const res = await gateway<{ kvs?: { value?: string }[] }>(clientUrl, '/v3/kv/range', { key: b64(key) });
  const v = res.kvs?.[0]?.value;
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
}
