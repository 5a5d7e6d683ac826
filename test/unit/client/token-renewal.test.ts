/**
 * A client given a user name and password keeps its connection's token alive (token-renewal.ts):
 * it renews before the TTL the member told runs out, shares one renewal among concurrent refusals,
 * retries a refused request exactly once, lets a caller's signal end only its own wait, and turns a
 * wrong password into an UnauthenticatedError without looping. The fake members here answer
 * `auth.authenticate` the way a Concord member does (the token is kept per socket, the last one
 * wins) and refuse any other request whose socket token expired or was invalidated.
 */
import { expect } from 'chai';
import {
  UnauthenticatedError,
  type ClientOptions,
  type ClientStatus,
  type WatchBatch,
} from '../../../client/index.js';
import type { RequestFrame, ServerFrame } from '../../../client/protocol/index.js';
import type { ManualClock } from '../../helpers/manual-clock.js';
import type { FakeCluster, FakeSession, Interception } from './fake-server.js';
import { drive, rig, settle, settled, until } from './helpers.js';

const TTL_SEC = 30;
const AUTH_FAILED = { code: 'AUTH_FAILED', message: 'authentication failed', details: {} } as const;
const UNAUTHENTICATED = { code: 'UNAUTHENTICATED', message: 'invalid auth token', details: {} } as const;

/** Auth on the fake members: tokens with a TTL from their issue, per socket. */
class FakeAuth {
  password = 'pw';
  /** Tokens issued before this count are refused (a password change). */
  validFrom = 0;
  issued = 0;
  authenticateCalls = 0;
  failedAuthentications = 0;
  /** The socket of each failed authentication, in order. */
  readonly failedOn: FakeSession[] = [];
  refusals = 0;
  /** While set, `auth.authenticate` is held until `release()`. */
  holding = false;
  /**
   * While set, every other request is held until `release()`, then checked against its socket's
   * token as it is then (a request that reached a member just as the password changed).
   */
  holdingRequests = false;
  private readonly held: (() => void)[] = [];
  private readonly tokens = new Map<FakeSession, { serial: number; expiresAtMs: number }>();

  constructor(
    private readonly clock: ManualClock,
    cluster: FakeCluster,
  ) {
    for (const m of cluster.members) m.intercept = (frame, session) => this.intercept(frame, session);
  }

  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  get heldCount(): number {
    return this.held.length;
  }

  private intercept(frame: RequestFrame, session: FakeSession): Interception {
    if (frame.method === 'auth.authenticate') {
      this.authenticateCalls++;
      if (this.holding) {
        this.held.push(() => session.send(this.answer(frame, session)));
        return { action: 'hold' };
      }
      const result = this.resultOf(frame, session);
      return result === undefined ? { action: 'error', error: AUTH_FAILED } : { action: 'result', result };
    }
    if (this.holdingRequests) {
      this.held.push(() => {
        if (!this.tokenValid(session)) session.send(this.refusal(frame));
        else session.release();
      });
      return { action: 'hold' };
    }
    if (this.tokenValid(session)) return undefined;
    this.refusals++;
    return { action: 'error', error: UNAUTHENTICATED };
  }

  private tokenValid(session: FakeSession): boolean {
    const t = this.tokens.get(session);
    return t !== undefined && t.serial >= this.validFrom && t.expiresAtMs > this.clock.nowMs();
  }

  private refusal(frame: RequestFrame): ServerFrame {
    this.refusals++;
    return { type: 'response', id: frame.id, method: frame.method, error: UNAUTHENTICATED } as ServerFrame;
  }

  private answer(frame: RequestFrame, session: FakeSession): ServerFrame {
    const result = this.resultOf(frame, session);
    const base = { type: 'response', id: frame.id, method: 'auth.authenticate' } as const;
    return (result === undefined ? { ...base, error: AUTH_FAILED } : { ...base, result }) as ServerFrame;
  }

  private resultOf(frame: RequestFrame, session: FakeSession): unknown {
    const { password } = frame.params as { password: string };
    if (password !== this.password) {
      this.failedAuthentications++;
      this.failedOn.push(session);
      return undefined;
    }
    const serial = ++this.issued;
    this.tokens.set(session, { serial, expiresAtMs: this.clock.nowMs() + TTL_SEC * 1000 });
    return {
      header: { clusterId: 1, memberId: 1, revision: 1, raftTerm: 1 },
      token: `t${serial}`,
      ttlSec: TTL_SEC,
    };
  }
}

function authRig(
  options: Partial<ClientOptions> = {},
): ReturnType<typeof rig> & { auth: FakeAuth; reasons: () => string[] } {
  const r = rig({ auth: { username: 'svc', password: 'pw' }, ...options });
  const auth = new FakeAuth(r.clock, r.cluster);
  const reasons = (): string[] =>
    r.statuses
      .filter((s): s is Extract<ClientStatus, { type: 'authenticated' }> => s.type === 'authenticated')
      .map((s) => s.reason);
  return { ...r, auth, reasons };
}

describe('token renewal', () => {
  context('when the client stays idle past the TTL', () => {
    it('renews before each expiry, so the next write is not refused', async () => {
      const { client, clock, auth, reasons } = authRig();
      await client.ready();
      expect(reasons()).to.deep.equal(['connect']);
      await clock.advance(TTL_SEC * 1000 * 0.6);
      expect(reasons(), 'not before 2/3 of the TTL').to.deep.equal(['connect']);
      // Four TTLs of idleness, one second at a time.
      for (let i = 0; i < TTL_SEC * 4; i++) await clock.advance(1000);
      expect(reasons().filter((x) => x === 'renewal').length).to.be.at.least(5);
      const r = await drive(clock, client.put('k', 'v'));
      expect(r.ok).to.equal(true);
      expect(auth.refusals, 'requests refused for an expired token').to.equal(0);
      expect(reasons()).to.not.include('retry');
      await client.close();
      expect(clock.pendingTimers(), 'the renewal timer ends with the client').to.equal(0);
    });
  });

  context('when many requests are refused for the same stale token', () => {
    it('authenticates once and sends each request exactly once more', async () => {
      const { client, clock, auth, reasons } = authRig();
      await client.put('k', 'v');
      const before = auth.authenticateCalls;
      auth.validFrom = auth.issued + 1; // e.g. the password was changed to the same one
      const gets = Array.from({ length: 10 }, () => client.getText('k'));
      const results = await Promise.all(gets.map((g) => drive(clock, g)));
      expect(results.every((r) => r.ok && r.value === 'v')).to.equal(true);
      expect(auth.authenticateCalls - before, 'one shared renewal').to.equal(1);
      expect(auth.refusals).to.equal(10);
      expect(reasons().filter((x) => x === 'retry')).to.have.length(1);
      await client.close();
    });
  });

  context('when a watch is refused for a stale token', () => {
    it('renews once and opens it, then delivers what follows', async () => {
      const { client, clock, auth, reasons } = authRig();
      await client.put('w/a', '1');
      auth.validFrom = auth.issued + 1;
      const watch = client.watch({ prefix: 'w/' });
      const it = watch[Symbol.asyncIterator]();
      await until(clock, 'the watch open after a renewal', () => reasons().includes('retry'), 10);
      const writer = await drive(clock, client.put('w/b', '2'));
      expect(writer.ok).to.equal(true);
      const batch = await it.next();
      expect(batch.done).to.equal(false);
      expect((batch.value as WatchBatch).events.map((e) => new TextDecoder().decode(e.kv.key))).to.deep.equal(
        ['w/b'],
      );
      expect(reasons().filter((x) => x === 'retry')).to.have.length(1);
      await watch.close();
      await client.close();
    });
  });

  context("when a caller's signal aborts while it waits for a renewal", () => {
    it('rejects that caller alone; the renewal completes for the others', async () => {
      const { client, clock, auth, reasons } = authRig();
      await client.put('k', 'v');
      auth.holding = true;
      await clock.advance(TTL_SEC * 1000 * 0.7); // the timer's renewal is now in flight, held
      expect(auth.authenticateCalls).to.equal(2);
      const abort = new AbortController();
      const waiting = settled(client.get('k', { signal: abort.signal }));
      const other = settled(client.getText('k'));
      await settle();
      abort.abort(new Error('caller gave up'));
      const r = await waiting;
      expect(!r.ok && (r.error as Error).message).to.equal('caller gave up');
      auth.holding = false;
      auth.release();
      const o = await other;
      expect(o.ok && o.value).to.equal('v');
      expect(auth.authenticateCalls, 'no second renewal').to.equal(2);
      expect(reasons()).to.deep.equal(['connect', 'renewal']);
      await client.close();
    });
  });

  context('when the client is closed during a renewal', () => {
    it('ends the renewal and leaves no timer behind', async () => {
      const { client, clock, auth } = authRig();
      await client.ready();
      auth.holding = true;
      await clock.advance(TTL_SEC * 1000 * 0.7);
      await client.close();
      await settle();
      expect(clock.pendingTimers()).to.equal(0);
    });
  });

  context("when the user's password was changed", () => {
    it('fails with UnauthenticatedError (AUTH_FAILED) and does not loop', async () => {
      const { client, clock, auth } = authRig();
      await client.put('k', 'v');
      auth.password = 'changed';
      auth.validFrom = auth.issued + 1;
      const r = await drive(clock, client.put('k', 'w'));
      expect(!r.ok && r.error).to.be.instanceOf(UnauthenticatedError);
      expect(!r.ok && (r.error as UnauthenticatedError).code).to.equal('AUTH_FAILED');
      expect(auth.failedAuthentications).to.equal(1);
      const again = await drive(clock, client.get('k'));
      expect(!again.ok && again.error).to.be.instanceOf(UnauthenticatedError);
      // The retry of one call and the dial of the next: a bounded number, no loop.
      expect(auth.failedAuthentications).to.equal(2);
      await until(clock, 'nothing more tried', () => true);
      await clock.advance(60_000);
      expect(auth.failedAuthentications).to.equal(2);
      await client.close();
    });

    it('answers a write in flight when the renewal fails, instead of losing it', async () => {
      // A deadline past the renewal time, so that the write waits for its answer, not its timeout.
      const { client, clock, auth, reasons } = authRig({ requestTimeoutMs: TTL_SEC * 1000 });
      await client.put('k', 'v');
      auth.password = 'changed';
      auth.validFrom = auth.issued + 1;
      auth.holdingRequests = true;
      const write = settled(client.put('k', 'w'));
      await until(clock, 'the write at the member', () => auth.heldCount === 1, 10);
      // The timer's renewal fails while the write waits for its answer.
      await clock.advance(TTL_SEC * 1000 * 0.7);
      expect(auth.failedAuthentications, 'the renewal was refused').to.equal(1);
      auth.holdingRequests = false;
      auth.release();
      const r = await write;
      // Not an IndeterminateError: the member's answer (a refusal) came back on the open socket.
      expect(!r.ok && r.error).to.be.instanceOf(UnauthenticatedError);
      expect(!r.ok && (r.error as UnauthenticatedError).code).to.equal('AUTH_FAILED');
      expect(auth.refusals, 'the write was refused once, not sent again').to.equal(1);
      // The refusal shared the failed renewal: one failure per socket (a redial may add its own).
      expect(auth.failedOn.filter((s) => s === auth.failedOn[0])).to.have.length(1);
      expect(reasons()).to.deep.equal(['connect']);
      await client.close();
    });
  });
});
