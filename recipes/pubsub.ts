/**
 * Publish/subscribe over watches.
 *
 *   const bus = new PubSub(client);
 *   const { revision } = await bus.publish('orders', JSON.stringify(order));
 *   for await (const m of bus.subscribe('orders', { fromRevision: revision, signal })) …
 *
 * Layout: a topic is ONE key, `concord/topics/<topic>`; a message is a put of that key. The
 * store's revision history is the log: every put is an event, so subscribers see every message,
 * in order, even though the key holds only the last one. Storage stays bounded; the replay window
 * is the cluster's history retention (auto-compaction).
 *
 * Guarantees
 * - `publish` resolves with the message's revision, a cluster-wide total order across topics.
 * - A subscriber sees each message published after it started (or from `fromRevision`) exactly
 *   once, in revision order, across reconnects and member failovers (the SDK watch resumes from the
 *   next revision).
 * - `subscribeTopics(prefix)` follows every topic under a prefix in one ordered stream.
 *
 * Failure behaviour: replay from a revision that has been compacted throws CompactedError (its
 * `compactRevision` is the oldest still available) — messages older than the retention are gone;
 * an IndeterminateError from `publish` means the message may or may not have been published.
 */
import { type KvClient } from '../client/index.js';
import { invalidArgument } from './errors.js';
import { checkName, sig, text } from './internal.js';

export const TOPIC_PREFIX = 'concord/topics/';

export interface Message {
  readonly topic: string;
  readonly data: string;
  /** The message's revision (its position in the cluster-wide order). */
  readonly revision: number;
}

export interface SubscribeOptions {
  readonly signal?: AbortSignal;
  /** Replay from this revision (inclusive); default: messages published from now on. */
  readonly fromRevision?: number;
}

export class PubSub {
  constructor(readonly kv: KvClient) {}

  private key(topic: string): string {
    return `${TOPIC_PREFIX}${checkName('topic', topic)}`;
  }

  /** Publishes `data`; resolves with the message's revision. */
  async publish(
    topic: string,
    data: string,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<{ revision: number }> {
    const r = await this.kv.put(this.key(topic), data, sig(options.signal));
    return { revision: r.revision };
  }

  /**
   * Messages of one topic, in order. The watch is created at this call (not at the first `next`);
   * `await sub.ready()` resolves once the member has created it, after which no message is missed.
   * Break the loop, call `close()` or abort the signal to stop.
   */
  subscribe(topic: string, options: SubscribeOptions = {}): Subscription {
    return this.follow({ key: this.key(topic) }, options);
  }

  /** Messages of every topic starting with `prefix` (a topic name prefix), in one ordered stream. */
  subscribeTopics(prefix: string, options: SubscribeOptions = {}): Subscription {
    return this.follow(
      { prefix: `${TOPIC_PREFIX}${prefix === '' ? '' : encodeURIComponent(prefix)}` },
      options,
    );
  }

  private follow(range: { key: string } | { prefix: string }, options: SubscribeOptions): Subscription {
    const from = options.fromRevision;
    if (from !== undefined && (!Number.isSafeInteger(from) || from < 1))
      throw invalidArgument('fromRevision must be a positive integer');
    const watch = this.kv.watch({
      ...range,
      filters: ['noDelete'],
      ...(from !== undefined ? { startRevision: from } : {}),
      ...sig(options.signal),
    });
    const signal = options.signal;
    async function* messages(): AsyncGenerator<Message> {
      try {
        for await (const batch of watch) {
          for (const e of batch.events) {
            yield {
              topic: decodeURIComponent(text(e.kv.key).slice(TOPIC_PREFIX.length)),
              data: text(e.kv.value),
              revision: e.kv.modRevision,
            };
          }
        }
      } catch (e) {
        if (signal?.aborted === true) return;
        throw e;
      } finally {
        await watch.close();
      }
    }
    return Object.assign(messages(), {
      ready: () => watch.ready(),
      close: () => watch.close(),
      [Symbol.asyncDispose]: () => watch.close(),
    });
  }
}

/** A topic subscription: an async iterator of messages plus its watch's lifecycle. */
export interface Subscription extends AsyncGenerator<Message>, AsyncDisposable {
  /** Resolves with the first revision delivered once the member has created the watch. */
  ready(): Promise<number>;
  /** Stops the subscription; the loop ends. Idempotent. */
  close(): Promise<void>;
}
