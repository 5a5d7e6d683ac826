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
