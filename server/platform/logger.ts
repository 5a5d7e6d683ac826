/**
 * Structured logging as a narrow injected interface. Components log a short constant message plus
 * fields (`logger.warn('peer refused', { peer: 2, reason })`), never interpolated strings, so that
 * lines stay greppable and machine-readable.
 */
import type { Clock } from './clock.js';

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export const LogLevel = { Debug: 'debug', Info: 'info', Warn: 'warn', Error: 'error' } as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Discards everything. The default wherever a logger is optional. */
export const noopLogger: Logger = Object.freeze({
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
});

export interface JsonLinesLoggerOptions {
  /** Receives one complete line (with trailing newline) per record, e.g. `(l) => process.stderr.write(l)`. */
  readonly write: (line: string) => void;
  readonly clock: Clock;
  /** Records below this level are discarded. Default `info`. */
  readonly level?: LogLevel;
  /** Fields added to every record (member name, component). */
  readonly fields?: LogFields;
}

/**
 * One JSON object per line: `{"ts":"…","level":"warn","msg":"…",…fields}`. Errors in fields are
 * rendered as `{ name, message, code }`; values JSON cannot represent (bigint, cycles) never throw.
 */
export class JsonLinesLogger implements Logger {
  private readonly minRank: number;

  constructor(private readonly options: JsonLinesLoggerOptions) {
    this.minRank = RANK[options.level ?? LogLevel.Info];
  }

  /** A logger that adds `fields` to every record of this one. */
  child(fields: LogFields): JsonLinesLogger {
    return new JsonLinesLogger({ ...this.options, fields: { ...this.options.fields, ...fields } });
  }

  debug(msg: string, fields?: LogFields): void {
    this.log(LogLevel.Debug, msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log(LogLevel.Info, msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log(LogLevel.Warn, msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log(LogLevel.Error, msg, fields);
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (RANK[level] < this.minRank) return;
    const record = {
      ts: new Date(this.options.clock.nowMs()).toISOString(),
      level,
      msg,
      ...this.options.fields,
      ...fields,
    };
    this.options.write(safeStringify(record) + '\n');
  }
}

function safeStringify(record: Record<string, unknown>): string {
  const seen = new WeakSet<object>();
  try {
    return JSON.stringify(record, (_key, value: unknown) => {
      if (typeof value === 'bigint') return value.toString();
      if (value instanceof Error) {
        const code = (value as { code?: unknown }).code;
        return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
      }
      if (value instanceof Uint8Array) return `<${value.length} bytes>`;
      if (typeof value === 'object' && value !== null) {
        if (seen.has(value)) return '[circular]';
        seen.add(value);
      }
      return value;
    });
  } catch {
    return JSON.stringify({ ts: record['ts'], level: record['level'], msg: record['msg'], unloggable: true });
  }
}

/** A logger that adds `fields` to every record of `logger`. Works for any `Logger`. */
export function withFields(logger: Logger, fields: LogFields): Logger {
  if (logger === noopLogger) return logger;
  return {
    debug: (msg, f) => logger.debug(msg, { ...fields, ...f }),
    info: (msg, f) => logger.info(msg, { ...fields, ...f }),
    warn: (msg, f) => logger.warn(msg, { ...fields, ...f }),
    error: (msg, f) => logger.error(msg, { ...fields, ...f }),
  };
}
