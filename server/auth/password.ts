/**
 * Password hashing for the auth store: Node's scrypt (a memory-hard KDF) with a random 16-byte salt
 * per password, run on libuv's thread pool (`crypto.scrypt` is async), never on the event loop.
 * Hashes are computed at the API layer before proposing: the state machine stores the encoded
 * hash and never hashes, so apply stays deterministic.
 *
 *   encoded: "scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>"
 *
 * The parameters travel with the hash, so they can be raised later without breaking old hashes.
 * Comparison is constant-time (`timingSafeEqual`), and a check for a user that does not exist
 * still runs one KDF (`verifyNothing`), so the time taken does not tell which users exist.
 *
 * The KDF is bounded: at most `maxConcurrent` computations at once (libuv's pool has 4 threads by
 * default, which the WAL's file I/O shares) and at most `maxQueued` waiting; beyond that the caller
 * is refused with TOO_MANY_REQUESTS rather than queued without bound.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { ServerError } from '../errors.js';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly n: number;
  readonly r: number;
  readonly p: number;
}

/** ~50 ms and 16 MiB per hash on a current machine: slow for guessing, fine for a login. */
export const DEFAULT_SCRYPT: ScryptParams = { n: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
/** Refuse parameters that would make one check cost more than ~1 GiB (a hostile snapshot). */
const MAX_N_R = 2 ** 20 * 8;

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.n, r: params.r, p: params.p, maxmem: 256 * params.n * params.r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

interface Decoded {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function decode(encoded: string): Decoded | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [n, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![n, r, p].every((x) => Number.isSafeInteger(x) && x > 0) || n * r > MAX_N_R) return undefined;
  const salt = Buffer.from(parts[4] as string, 'base64');
  const hash = Buffer.from(parts[5] as string, 'base64');
  if (salt.length === 0 || hash.length === 0) return undefined;
  return { params: { n, r, p }, salt, hash };
}

export interface PasswordHasherOptions {
  readonly params?: ScryptParams;
  /** Default 2. */
  readonly maxConcurrent?: number;
  /** Default 64. */
  readonly maxQueued?: number;
}

export class PasswordHasher {
  private readonly params: ScryptParams;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private running = 0;
  private readonly queue: (() => void)[] = [];
  /** A hash to compare against when the user does not exist (same cost as a real check). */
  private dummy: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.params = options.params ?? DEFAULT_SCRYPT;
    this.maxConcurrent = options.maxConcurrent ?? 2;
    this.maxQueued = options.maxQueued ?? 64;
  }

  /** The encoded salted hash of `password`. */
  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.bounded(() => derive(password, salt, this.params));
    const { n, r, p } = this.params;
    return `scrypt$${n}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
  }

  /** Whether `password` matches `encoded` (false for a malformed hash), in constant time. */
  async verify(password: string, encoded: string): Promise<boolean> {
    const d = decode(encoded);
    if (d === undefined) {
      await this.verifyNothing(password);
      return false;
    }
    const key = await this.bounded(() => derive(password, d.salt, d.params));
    return key.length === d.hash.length && timingSafeEqual(key, d.hash);
  }

  /** Spends what a check costs, for a user that does not exist; always false. */
  async verifyNothing(password: string): Promise<false> {
    this.dummy ??= this.hash('concord: no such user');
    const d = decode(await this.dummy) as Decoded;
    await this.bounded(() => derive(password, d.salt, d.params));
    return false;
  }

  private async bounded<T>(fn: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxConcurrent) {
      if (this.queue.length >= this.maxQueued) {
        throw Object.assign(
          new ServerError(ErrorCode.TooManyRequests, 'etcdserver: too many authentication requests', true),
          { retryAfterMs: 100 },
        );
      }
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next !== undefined) next();
      else this.running--;
    }
  }
}
