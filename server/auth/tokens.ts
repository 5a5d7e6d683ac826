/**
 * Auth tokens, as etcd's `--auth-token` chooses them:
 *
 * - `simple` (the default): an opaque random string. Issued after a password check by proposing
 *   an `assignToken` op, so every member learns it when it applies the op (store.ts) and any member
 *   verifies it locally. Each member keeps it for the TTL (`--auth-token-ttl`, etcd's default 300 s),
 *   renewed on use; tokens are not in snapshots, so a restarted member forgets them and clients
 *   authenticate again (as with etcd).
 * - `jwt,pub-key=…,priv-key=…,sign-method=RS256|…[,ttl=5m]`: a JWT signed with the private key;
 *   claims `username`, `revision` and `exp`, as etcd's. Any member holding the public key verifies
 *   it without a round trip; a member with only `pub-key` verifies but cannot issue.
 *
 * Both give `{name, revision}`: the user and the auth revision at issue. The request path then
 * checks the user against the current auth store (token-check in server/member).
 */
import { randomBytes } from 'node:crypto';
import { importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { Clock } from '../platform/clock.js';

export interface TokenInfo {
  readonly name: string;
  /** The auth revision when the token was issued. */
  readonly revision: number;
}

/** A token longer than this is refused unread (etcd's are far shorter). */
export const MAX_TOKEN_CHARS = 8192;

export const JWT_SIGN_METHODS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type JwtSignMethod = (typeof JWT_SIGN_METHODS)[number];

/** `--auth-token`, parsed. */
export type TokenSpec =
  | { readonly kind: 'simple' }
  | {
      readonly kind: 'jwt';
      readonly pubKeyFile: string;
      readonly privKeyFile: string | undefined;
      readonly signMethod: JwtSignMethod;
      readonly ttlMs: number;
    };

/** etcd's default JWT lifetime. */
export const DEFAULT_JWT_TTL_MS = 5 * 60_000;
/** etcd's default simple-token TTL (`--auth-token-ttl`). */
export const DEFAULT_SIMPLE_TOKEN_TTL_SEC = 300;

/** Parses `simple` or `jwt,pub-key=PATH,priv-key=PATH,sign-method=ALG[,ttl=DURATION]`; throws Error. */
export function parseTokenSpec(text: string): TokenSpec {
  const [kind, ...opts] = text.split(',');
  if (kind === 'simple' && opts.length === 0) return { kind: 'simple' };
  if (kind !== 'jwt') throw new Error(`unknown token type ${JSON.stringify(kind)} (want simple or jwt,...)`);
  const o = new Map<string, string>();
  for (const kv of opts) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`bad jwt option ${JSON.stringify(kv)} (want name=value)`);
    o.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const name of o.keys())
    if (!['pub-key', 'priv-key', 'sign-method', 'ttl'].includes(name))
      throw new Error(`unknown jwt option ${name}`);
  const pubKeyFile = o.get('pub-key');
  if (pubKeyFile === undefined || pubKeyFile === '') throw new Error('jwt needs pub-key=PATH');
  const method = o.get('sign-method') ?? '';
  if (!(JWT_SIGN_METHODS as readonly string[]).includes(method))
    throw new Error(`jwt sign-method must be one of ${JWT_SIGN_METHODS.join(', ')}`);
  const ttl = o.get('ttl');
  return {
    kind: 'jwt',
    pubKeyFile,
    privKeyFile: o.get('priv-key') || undefined,
    signMethod: method as JwtSignMethod,
    ttlMs: ttl === undefined ? DEFAULT_JWT_TTL_MS : parseDurationMs(ttl),
  };
}

/** Go-style durations as etcd takes them: 300s, 5m, 1h, 1m30s. */
function parseDurationMs(text: string): number {
  const re = /(\d+)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (const m of text.matchAll(re)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    total += Number(m[1]) * unit;
    matched += m[0].length;
  }
  if (matched !== text.length || total <= 0) throw new Error(`bad jwt ttl ${JSON.stringify(text)} (e.g. 5m)`);
  return total;
}

interface Kept {
  readonly info: TokenInfo;
  expiresAtMs: number;
}

/** The member's simple tokens (see the file comment). Bounded: the oldest go first past `maxTokens`. */
export class SimpleTokenKeeper {
  private readonly tokens = new Map<string, Kept>();
  private counter = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxTokens = 100_000,
  ) {}

  /** A fresh token to propose: 128 random bits, unguessable, plus a counter as etcd's has. */
  generate(): string {
    return `${randomBytes(16).toString('base64url')}.${++this.counter}`;
  }

  /** Called when an `assignToken` op is applied here. */
  assign(token: string, name: string, revision: number): void {
    this.tokens.set(token, { info: { name, revision }, expiresAtMs: this.clock.nowMs() + this.ttlMs });
    if (this.tokens.size > this.maxTokens) this.sweep();
    for (const oldest of this.tokens.keys()) {
      if (this.tokens.size <= this.maxTokens) break;
      this.tokens.delete(oldest);
    }
  }

  /** The token's user, renewing its TTL; undefined if unknown or expired. */
  verify(token: string): TokenInfo | undefined {
    const kept = this.tokens.get(token);
    if (kept === undefined) return undefined;
    const now = this.clock.nowMs();
    if (kept.expiresAtMs <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    kept.expiresAtMs = now + this.ttlMs;
    return kept.info;
  }

  /** Drops expired tokens. */
  sweep(): void {
    const now = this.clock.nowMs();
    for (const [token, kept] of this.tokens) if (kept.expiresAtMs <= now) this.tokens.delete(token);
  }

  get size(): number {
    return this.tokens.size;
  }
}

/** JWT tokens (see the file comment). */
export class JwtTokens {
  private constructor(
    private readonly clock: Clock,
    private readonly method: JwtSignMethod,
    private readonly ttlMs: number,
    private readonly publicKey: CryptoKey,
    private readonly privateKey: CryptoKey | undefined,
  ) {}

  /** From PEM texts: SPKI public key, PKCS#8 private key (absent: verify only). */
  static async fromPem(
    clock: Clock,
    method: JwtSignMethod,
    ttlMs: number,
    publicPem: string,
    privatePem: string | undefined,
  ): Promise<JwtTokens> {
    const pub = await importSPKI(publicPem, method);
    const priv = privatePem === undefined ? undefined : await importPKCS8(privatePem, method);
    return new JwtTokens(clock, method, ttlMs, pub, priv);
  }

  get canSign(): boolean {
    return this.privateKey !== undefined;
  }

  async sign(name: string, revision: number): Promise<string> {
    if (this.privateKey === undefined)
      throw new Error('this member has no jwt priv-key: it cannot issue tokens');
    const nowSec = Math.floor(this.clock.nowMs() / 1000);
    return new SignJWT({ username: name, revision })
      .setProtectedHeader({ alg: this.method })
      .setExpirationTime(nowSec + Math.ceil(this.ttlMs / 1000))
      .sign(this.privateKey);
  }

  /** The token's claims if its signature, algorithm and expiry hold; undefined otherwise. */
  async verify(token: string): Promise<TokenInfo | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        algorithms: [this.method],
        currentDate: new Date(this.clock.nowMs()),
      });
      const { username, revision } = payload as { username?: unknown; revision?: unknown };
      if (typeof username !== 'string' || typeof revision !== 'number' || !Number.isSafeInteger(revision))
        return undefined;
      if (payload.exp === undefined) return undefined;
      return { name: username, revision };
    } catch {
      return undefined;
    }
  }
}
