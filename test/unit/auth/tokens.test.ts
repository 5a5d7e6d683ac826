import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import {
  AuthRateLimiter,
  JwtTokens,
  parseTokenSpec,
  PasswordHasher,
  SimpleTokenKeeper,
} from '../../../server/auth/index.js';
import { ManualClock } from '../../helpers/manual-clock.js';

function ecKeys(): { pub: string; priv: string } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('auth tokens', () => {
  describe('parseTokenSpec', () => {
    it("reads etcd's spellings", () => {
      expect(parseTokenSpec('simple')).to.deep.equal({ kind: 'simple' });
      expect(parseTokenSpec('jwt,pub-key=/p,priv-key=/q,sign-method=RS256,ttl=10m')).to.deep.equal({
        kind: 'jwt',
        pubKeyFile: '/p',
        privKeyFile: '/q',
        signMethod: 'RS256',
        ttlMs: 600_000,
      });
    });
    it('refuses what it cannot use', () => {
      for (const bad of [
        '',
        'simple,x=1',
        'jwt',
        'jwt,pub-key=/p,sign-method=none',
        'jwt,pub-key=/p,sign-method=ES256,ttl=5x',
      ])
        expect(() => parseTokenSpec(bad), bad).to.throw();
    });
  });

  describe('SimpleTokenKeeper', () => {
    it('forgets a token its TTL after its last use, and renews it on use', async () => {
      const clock = new ManualClock();
      const keeper = new SimpleTokenKeeper(clock, 300_000);
      const token = keeper.generate();
      expect(keeper.verify(token)).to.equal(undefined);
      keeper.assign(token, 'alice', 7);
      await clock.advance(299_000);
      expect(keeper.verify(token)).to.deep.equal({ name: 'alice', revision: 7 });
      await clock.advance(299_000);
      expect(keeper.verify(token)?.name).to.equal('alice');
      await clock.advance(300_000);
      expect(keeper.verify(token)).to.equal(undefined);
    });

    it('makes unguessable, distinct tokens', () => {
      const keeper = new SimpleTokenKeeper(new ManualClock(), 1000);
      const a = keeper.generate();
      const b = keeper.generate();
      expect(a).to.not.equal(b);
      expect(a.split('.')[0]?.length).to.be.at.least(22);
    });
  });

  describe('JwtTokens', () => {
    const keys = ecKeys();
    const clock = new ManualClock();

    it('verifies its own tokens, also on a member that only has the public key', async () => {
      const signer = await JwtTokens.fromPem(clock, 'ES256', 60_000, keys.pub, keys.priv);
      const verifier = await JwtTokens.fromPem(clock, 'ES256', 60_000, keys.pub, undefined);
      const token = await signer.sign('alice', 9);
      expect(await verifier.verify(token)).to.deep.equal({ name: 'alice', revision: 9 });
      expect(verifier.canSign).to.equal(false);
    });

    it('refuses forged tokens: another key, alg none, a changed payload, an expired one', async () => {
      const signer = await JwtTokens.fromPem(clock, 'ES256', 60_000, keys.pub, keys.priv);
      const other = ecKeys();
      const mallory = await JwtTokens.fromPem(clock, 'ES256', 60_000, other.pub, other.priv);
      expect(await signer.verify(await mallory.sign('root', 99))).to.equal(undefined);
      const none = `${b64url({ alg: 'none' })}.${b64url({ username: 'root', revision: 99, exp: 9e9 })}.`;
      expect(await signer.verify(none)).to.equal(undefined);
      const [h, , s] = (await signer.sign('alice', 9)).split('.');
      const changed = `${h}.${b64url({ username: 'root', revision: 9, exp: 9e9 })}.${s}`;
      expect(await signer.verify(changed)).to.equal(undefined);
      const token = await signer.sign('alice', 9);
      await clock.advance(61_000);
      expect(await signer.verify(token)).to.equal(undefined);
      expect(await signer.verify('not a jwt')).to.equal(undefined);
    });
  });

  describe('PasswordHasher', () => {
    const hasher = new PasswordHasher({ params: { n: 1024, r: 8, p: 1 } });
    it('salts every hash and verifies only the right password', async () => {
      const a = await hasher.hash('pw');
      const b = await hasher.hash('pw');
      expect(a).to.not.equal(b);
      expect(a).to.match(/^scrypt\$1024\$8\$1\$/);
      expect(await hasher.verify('pw', a)).to.equal(true);
      expect(await hasher.verify('pw!', a)).to.equal(false);
      expect(await hasher.verify('pw', 'garbage')).to.equal(false);
    });

    it('refuses more than its queue of waiting computations with TOO_MANY_REQUESTS', async () => {
      const tight = new PasswordHasher({ params: { n: 1024, r: 8, p: 1 }, maxConcurrent: 1, maxQueued: 1 });
      const results = await Promise.allSettled([tight.hash('a'), tight.hash('b'), tight.hash('c')]);
      expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected']);
      const reason = (results[2] as PromiseRejectedResult).reason as { code: string };
      expect(reason.code).to.equal('TOO_MANY_REQUESTS');
    });
  });

  describe('AuthRateLimiter', () => {
    it('refuses a client after its burst of failures, keeps others served, and refills', async () => {
      const clock = new ManualClock();
      const limiter = new AuthRateLimiter(clock, { burst: 3, perSecond: 1 });
      for (let i = 0; i < 3; i++) {
        limiter.admit('a');
        limiter.failed('a');
      }
      expect(() => limiter.admit('a'))
        .to.throw()
        .with.property('code', 'TOO_MANY_REQUESTS');
      expect(() => limiter.admit('b')).to.not.throw();
      await clock.advance(1000);
      expect(() => limiter.admit('a')).to.not.throw();
    });
  });
});
