/**
 * `concord watch … -- COMMAND ARGS`: COMMAND once per event, one at a time and in event order,
 * with the event in its environment under etcdctl's names (ETCD_WATCH_*, so hooks written for
 * `etcdctl watch -- CMD` run unchanged) and under Concord's (CONCORD_WATCH_*).
 */
import { spawn } from 'node:child_process';
import type { WatchEvent } from '../../client/index.js';
import { text } from './render.js';

const EVENT_NAME = { put: 'PUT', delete: 'DELETE' } as const;

/**
 * A key or value as an environment value. The environment cannot carry a NUL byte (exec would
 * refuse the whole command), so NUL is written as `\x00`, the escape simple output uses for
 * bytes it cannot print; other bytes as `text()` writes them.
 */
export function envText(bytes: Uint8Array): string {
  return text(bytes).replace(/\0/g, '\\x00');
}

/** The variables COMMAND gets for one event (both name sets, same values). */
export function watchEnv(ev: WatchEvent): Record<string, string> {
  const values: Record<string, string> = {
    REVISION: String(ev.kv.modRevision),
    KEY: envText(ev.kv.key),
    EVENT_TYPE: EVENT_NAME[ev.type],
    VALUE: envText(ev.kv.value),
  };
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) {
    env[`ETCD_WATCH_${name}`] = value;
    env[`CONCORD_WATCH_${name}`] = value;
  }
  // Concord's addition: with --prev-kv, the value before the event (etcdctl passes none).
  if (ev.prevKv !== undefined) env['CONCORD_WATCH_PREV_VALUE'] = envText(ev.prevKv.value);
  return env;
}

/**
 * Runs `exec` for one event, its stdout and stderr those of `concord`; resolves when it exits.
 * A command that cannot start is reported on `err` and the watch goes on (as etcdctl does).
 */
export function runPerEvent(
  exec: readonly string[],
  ev: WatchEvent,
  err: (line: string) => void,
): Promise<void> {
  const [cmd, ...args] = exec as [string, ...string[]];
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(cmd, args, {
        stdio: ['ignore', 'inherit', 'inherit'],
        env: { ...process.env, ...watchEnv(ev) },
      });
    } catch (e) {
      err(`concord watch: cannot run ${cmd}: ${(e as Error).message}`);
      resolve();
      return;
    }
    child.once('error', (e) => {
      err(`concord watch: cannot run ${cmd}: ${e.message}`);
      resolve();
    });
    child.once('exit', () => resolve());
  });
}
