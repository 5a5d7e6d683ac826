/**
 * Leader election (etcd's `concurrency.Election`): campaign, proclaim, resign, leader, observe.
 *
 *   const election = new Election(client, 'scheduler');
 *   await using leadership = await election.campaign('node-a:8080', { signal });
 *   leadership.signal.addEventListener('abort', stopLeading);   // no longer leader
 *   for await (const leader of election.observe({ signal })) console.log(leader?.value);
 *
 * Layout: one key per candidate, `concord/elections/<name>/<lease hex>-<random>`, attached to the
 * candidate's session lease; the leader is the candidate with the lowest create revision (the fair
 * queue of queue-key.ts — candidates wait on their predecessor only). The leader's value is its
 * key's value, changed by `proclaim`.
 *
 * Guarantees
 * - At most one leader per revision; leaders succeed each other in campaign order.
 * - `leadership.signal` aborts (RecipeError LOST) as soon as leadership may be lost: session lease
 *   expired, revoked or unrenewable for `TTL − safetyMarginMs`, or the key was deleted. Act as
 *   leader only while it has not aborted; use `leadership.revision` (create revision, increasing
 *   across leaders) as a fencing token / term.
 * - Safety margin: a leader that is not paused hears of the loss at least `safetyMarginMs`
 *   (default TTL/3) minus the timer and clock-drift allowance (100 ms + 1 ms per TTL second) before
 *   another candidate can be elected (docs/client.md "The safety margin").
 * - `proclaim` changes the value only if this candidate's key is still the same one (compare on
 *   its create revision); otherwise it rejects with RecipeError NOT_LEADER.
 * - `observe()` yields the current leader (or undefined when there is none) and then every change of
 *   leader or value, in revision order, across failovers (the SDK watch resumes exactly once).
 *
 * Failure behaviour: a crashed leader is replaced after its lease TTL; a cut-off leader's signal
 * fires after `TTL − safetyMarginMs` without renewal (client clock), a margin before the cluster
 * may elect another. A candidate whose own session is lost while it waits campaigns again with a
 * fresh one; with the caller's session `campaign` rejects with RecipeError LOST. An aborted
 * campaign deletes its key.
 */
import { nanoid } from 'nanoid';
import { Cmp, CompactedError, Op, type KvClient, type Session } from '../client/index.js';
import { RecipeError, RecipeErrorCode } from './errors.js';
import { checkName, hex, sig, text, withDeadline } from './internal.js';
import { holdSignal, removeContender, waitInLine, type Contender } from './queue-key.js';
import type { ScopedSession, SessionChoice } from './session-scope.js';

export const ELECTION_PREFIX = 'concord/elections/';

export interface LeaderInfo {
  /** The leader's key. */
  readonly key: string;
  readonly value: string;
  /** Create revision of the leader's key: increases with every new leader (a term / fencing token). */
  readonly revision: number;
  /** Mod revision: changes with every proclaim. */
  readonly modRevision: number;
  readonly leaseId: number;
}

export interface CampaignOptions extends SessionChoice {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** This candidate's leadership. `resign()` / `await using` step down. */
export class Leadership implements AsyncDisposable {
  private resigned: Promise<void> | undefined;
  private value_: string;

  /** @internal */
  constructor(
    readonly election: Election,
    private readonly contender: Contender,
    private readonly scoped: ScopedSession,
    private readonly hold: { signal: AbortSignal; stop: () => void; lose: (reason: unknown) => void },
    value: string,
  ) {
    this.value_ = value;
  }

  get key(): string {
    return this.contender.key;
  }

  /** The leadership term: the key's create revision. */
  get revision(): number {
    return this.contender.createRevision;
  }

  get value(): string {
    return this.value_;
  }

  get session(): Session {
    return this.scoped.session;
  }

  /** Aborts when this candidate may no longer be leader. */
  get signal(): AbortSignal {
    return this.hold.signal;
  }

  get isLeader(): boolean {
    return !this.hold.signal.aborted;
  }

  /** Publishes a new value as the same leader; rejects with NOT_LEADER if leadership is gone. */
  async proclaim(value: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    if (this.hold.signal.aborted)
      throw new RecipeError(RecipeErrorCode.NotLeader, 'not leader', { cause: this.hold.signal.reason });
    const r = await this.election.kv
      .txn()
      .if(Cmp.createRevision(this.key, '==', this.revision))
      .then(Op.put(this.key, value, { lease: this.scoped.session.leaseId }))
      .commit(sig(options.signal));
    if (!r.succeeded) {
      const err = new RecipeError(RecipeErrorCode.NotLeader, `${this.key} is gone`);
      this.hold.lose(err);
      throw err;
    }
    this.value_ = value;
  }

  /** Steps down: deletes the key (the next candidate takes over). Idempotent. */
  resign(): Promise<void> {
    this.resigned ??= (async () => {
      this.hold.stop();
      await removeContender(this.election.kv, this.contender);
      this.hold.lose(new RecipeError(RecipeErrorCode.NotLeader, 'resigned'));
      await this.scoped.release();
    })();
    return this.resigned;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.resign();
  }
}

export class Election {
  readonly prefix: string;

  constructor(
    readonly kv: KvClient,
    readonly name: string,
  ) {
    this.prefix = `${ELECTION_PREFIX}${checkName('election name', name)}/`;
  }

  /** Waits until this candidate is leader, announcing `value`. */
  async campaign(value: string, options: CampaignOptions = {}): Promise<Leadership> {
    const signal = withDeadline(options.signal, options.timeoutMs, `campaign ${this.name}`);
    const { scoped, contender, revision } = await waitInLine(
      this.kv,
      options,
      signal,
      (session) => `${this.prefix}${hex(session.leaseId)}-${nanoid(8)}`,
      value,
      () => this.prefix,
    );
    const hold = holdSignal(this.kv, contender, scoped.session, revision);
    return new Leadership(this, contender, scoped, hold, value);
  }

  /** The current leader, or undefined. */
  async leader(
    options: { readonly signal?: AbortSignal; readonly revision?: number } = {},
  ): Promise<LeaderInfo | undefined> {
    return (await this.leaderAt(options.revision ?? 0, options.signal)).leader;
  }

  private async leaderAt(
    revision: number,
    signal: AbortSignal | undefined,
  ): Promise<{ leader: LeaderInfo | undefined; revision: number }> {
    const r = await this.kv.getPrefix(this.prefix, {
      sortTarget: 'create',
      sortOrder: 'ascend',
      limit: 1,
      revision,
      ...sig(signal),
    });
    const kv = r.kvs[0];
    const leader =
      kv === undefined
        ? undefined
        : {
            key: text(kv.key),
            value: text(kv.value),
            revision: kv.createRevision,
            modRevision: kv.modRevision,
            leaseId: kv.lease,
          };
    return { leader, revision: r.revision };
  }

  /**
   * The current leader (undefined if none), then every change of leader or value. Ends when the
   * signal aborts or the loop breaks; throws only on errors the SDK cannot ride out.
   */
  async *observe(options: { readonly signal?: AbortSignal } = {}): AsyncGenerator<LeaderInfo | undefined> {
    const signal = options.signal;
    let { leader, revision } = await this.leaderAt(0, signal);
    yield leader;
    for (;;) {
      try {
        await using watch = this.kv.watch({
          prefix: this.prefix,
          startRevision: revision + 1,
          ...sig(signal),
        });
        for await (const batch of watch) {
          if (batch.type !== 'events') continue;
          const at = await this.leaderAt(batch.revision, signal);
          revision = batch.revision;
          if (!sameLeader(at.leader, leader)) {
            leader = at.leader;
            yield leader;
          }
        }
        return;
      } catch (e) {
        if (signal?.aborted === true) return;
        if (!(e instanceof CompactedError)) throw e;
        const at = await this.leaderAt(0, signal);
        revision = at.revision;
        if (!sameLeader(at.leader, leader)) {
          leader = at.leader;
          yield leader;
        }
      }
    }
  }
}

function sameLeader(a: LeaderInfo | undefined, b: LeaderInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.key === b.key && a.modRevision === b.modRevision;
}
