/**
 * The SDK's logging seam. The `logger` option takes either a plain function, which receives one
 * readable line per record at level info and above, or a structured logger with level methods
 * called as `logger.warn(fields, message)`: the argument order of pino (and bunyan), so a pino
 * logger, or a child of one, can be passed as is. Messages are short constants; what varies goes
 * in the fields, so records stay greppable.
 *
 *   new Client({ endpoints, logger: (line) => console.error(line) });
 *   new Client({ endpoints, logger: pino().child({ component: 'concord' }) });
 */
import type { ClientStatus } from './status.js';

/** Values the SDK puts in log fields. */
export type LogValue = string | number | boolean | undefined;

/** The fields of one record: the endpoint, the error message, a timeout... */
export type LogFields = Readonly<Record<string, LogValue>>;

/** A logger with one method per level, called with the fields first (pino's order). */
export interface StructuredLogger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** What the `logger` option accepts. */
export type ClientLogger = ((line: string) => void) | StructuredLogger;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The SDK's own view of whichever logger it was given. */
export type Log = (level: LogLevel, message: string, fields?: LogFields) => void;

function renderValue(value: LogValue): string {
  if (typeof value !== 'string') return String(value);
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** `warn member stopped answering endpoint=ws://… timeoutMs=500`. */
export function formatLine(level: LogLevel, message: string, fields: LogFields = {}): string {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${renderValue(v)}`);
  return [level, message, ...parts].join(' ');
}

export function isStructuredLogger(value: unknown): value is StructuredLogger {
  if (typeof value !== 'object' || value === null) return false;
  const o = value as Record<string, unknown>;
  return ['debug', 'info', 'warn', 'error'].every((level) => typeof o[level] === 'function');
}

/** The `Log` for the `logger` option; nothing at all when it is absent. */
export function toLog(logger: ClientLogger | undefined): Log {
  if (logger === undefined) return () => undefined;
  if (typeof logger === 'function') {
    return (level, message, fields) => {
      if (level !== 'debug') logger(formatLine(level, message, fields));
    };
  }
  // Called as methods: pino's level methods read their bindings from `this`.
  return (level, message, fields = {}) => logger[level](fields, message);
}

/** Logs one status event at the level it deserves (attempt details at debug). */
export function logStatus(log: Log, s: ClientStatus): void {
  switch (s.type) {
    case 'connecting':
      log('debug', 'connecting', { endpoint: s.endpoint, attempt: s.attempt });
      return;
    case 'connected':
      log('info', 'connected', {
        endpoint: s.endpoint,
        memberId: s.memberId,
        serverVersion: s.serverVersion,
      });
      return;
    case 'connectFailed':
      log('warn', 'connection attempt failed', { endpoint: s.endpoint, error: s.error.message });
      return;
    case 'disconnected':
      log('warn', 'disconnected', { endpoint: s.endpoint, error: s.error.message });
      return;
    case 'goingAway':
      log('info', 'member going away', { endpoint: s.endpoint, message: s.message });
      return;
    case 'leaderChanged':
      log('debug', 'leader changed', { endpoint: s.endpoint, leaderId: s.leaderId });
      return;
    case 'failover':
      log('info', 'moving to another member', { from: s.from, to: s.to, reason: s.reason });
      return;
    case 'authenticated':
      log('debug', 'authenticated', { endpoint: s.endpoint, reason: s.reason, ttlSec: s.ttlSec });
      return;
    case 'closed':
      log('debug', 'closed');
      return;
  }
}
