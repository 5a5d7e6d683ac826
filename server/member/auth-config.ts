/**
 * A member's access-control options from its config: the token mode of `--auth-token` (reading the
 * JWT key files now, so a missing or bad key is a failed start, not a failed login later) and the
 * simple-token TTL of `--auth-token-ttl`.
 */
import { readFile } from 'node:fs/promises';
import { JwtTokens, PasswordHasher, type TokenSpec } from '../auth/index.js';
import type { Clock } from '../platform/clock.js';
import type { MemberAuthOptions } from './auth-handlers.js';

export async function loadAuthOptions(
  spec: TokenSpec,
  simpleTtlSec: number,
  clock: Clock,
): Promise<MemberAuthOptions> {
  const hasher = new PasswordHasher();
  if (spec.kind === 'simple') return { tokens: { kind: 'simple', ttlSec: simpleTtlSec }, hasher };
  const publicPem = await readFile(spec.pubKeyFile, 'utf8');
  const privatePem = spec.privKeyFile === undefined ? undefined : await readFile(spec.privKeyFile, 'utf8');
  const jwt = await JwtTokens.fromPem(clock, spec.signMethod, spec.ttlMs, publicPem, privatePem);
  return { tokens: { kind: 'jwt', jwt }, hasher };
}
