/** JWT tokens (token-spec.ts describes the token kinds), made and checked with `jose`. */
import { importPKCS8, importSPKI, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { Clock } from '../platform/clock.js';
import type { JwtSignMethod, TokenInfo } from './token-spec.js';

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

  /** How long a token lives from its issue. */
  get ttlSec(): number {
    return Math.ceil(this.ttlMs / 1000);
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
