/**
 * Reads the `--flag [value]` command lines of the bench commands (all, scale); every error carries
 * the command's usage.
 */
import type { TargetName } from './stats.js';

export class ArgReader {
  private i = -1;

  constructor(
    private readonly argv: readonly string[],
    private readonly usage: string,
  ) {}

  /** The next flag, undefined at the end. */
  flag(): string | undefined {
    return this.argv[++this.i];
  }

  /** The value after `flag`. */
  value(flag: string): string {
    const v = this.argv[++this.i];
    if (v === undefined) throw this.error(`${flag} needs a value`);
    return v;
  }

  positive(flag: string): number {
    const n = Number(this.value(flag));
    if (!Number.isFinite(n) || n <= 0) throw this.error(`${flag} needs a positive number`);
    return n;
  }

  /** A finite number ≥ 0 (0 switches something off). */
  nonNegative(flag: string): number {
    const n = Number(this.value(flag));
    if (!Number.isFinite(n) || n < 0) throw this.error(`${flag} needs a number ≥ 0`);
    return n;
  }

  integer(flag: string): number {
    const n = Number(this.value(flag));
    if (!Number.isSafeInteger(n) || n <= 0) throw this.error(`${flag} needs a positive integer`);
    return n;
  }

  target(flag: string): TargetName {
    const t = this.value(flag);
    if (t !== 'concord' && t !== 'etcd') throw this.error(`${flag} must be concord or etcd`);
    return t;
  }

  /** One of `choices`, as given. */
  oneOf<T extends string>(flag: string, choices: readonly T[]): T {
    const v = this.value(flag);
    const found = choices.find((c) => c === v);
    if (found === undefined) throw this.error(`${flag} must be one of ${choices.join(', ')}`);
    return found;
  }

  unknown(flag: string): Error {
    return this.error(`unknown flag ${flag}`);
  }

  private error(message: string): Error {
    return new Error(`${message}\n${this.usage}`);
  }
}
