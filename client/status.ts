/**
 * Connection state and status events. `ClientState` is the coarse state; `ClientStatus` is a
 * discriminated union on `type`, one variant per transition, each with only its own fields. They are
 * observed through `client.on('state' | 'status', listener)` (a typed emitter with Node's
 * EventEmitter methods, so `events.once()` / `events.on()` work on the client) or `client.status()`
 * (an async iterable with a single consumer).
 */
import { QueuedIterator } from './queued-iterator.js';

export type ClientState = 'idle' | 'connecting' | 'connected' | 'disconnected' | 'closed';

export type ClientStatus =
  | { readonly type: 'connecting'; readonly endpoint: string; readonly attempt: number }
  | {
      readonly type: 'connected';
      readonly endpoint: string;
      readonly memberId: number;
      readonly clusterId: number;
      readonly serverVersion: string;
    }
  | { readonly type: 'disconnected'; readonly endpoint: string; readonly error: Error }
  | { readonly type: 'connectFailed'; readonly endpoint: string; readonly error: Error }
  | { readonly type: 'goingAway'; readonly endpoint: string; readonly message: string }
  | { readonly type: 'leaderChanged'; readonly endpoint: string; readonly leaderId: number }
  | { readonly type: 'failover'; readonly from: string; readonly to: string; readonly reason: string }
  | {
      /** The connection authenticated with the client's user name and password (token-renewal.ts). */
      readonly type: 'authenticated';
      readonly endpoint: string;
      /** `connect`: a new connection; `renewal`: before the token expires; `retry`: after a refusal. */
      readonly reason: 'connect' | 'renewal' | 'retry';
      /** The token's TTL as the member told it; 0 if it did not. */
      readonly ttlSec: number;
    }
  | { readonly type: 'closed'; readonly error: Error | undefined };

export interface ClientEvents {
  state: (state: ClientState) => void;
  status: (status: ClientStatus) => void;
}

/** A registered listener; a `once` listener is a wrapper that remembers the original. */
type Registered = ((...args: never[]) => void) & { readonly listener?: (...args: never[]) => void };

/**
 * A typed emitter with the method set of Node's EventEmitter (`on`, `once`, `off`,
 * `removeListener`, `prependListener`, `listenerCount`, ...), so that `events.once(client, 'state')`
 * and `for await (const [s] of events.on(client, 'status'))` work and type-check, without a Node
 * dependency (the SDK also runs in browsers). Semantics follow Node's: a listener added twice is
 * called twice, `removeListener` removes the most recently added registration, a `once` listener can
 * be removed by the function that was passed. Two differences, both for the client's sake: a
 * listener that throws does not stop the others nor the client (its error is rethrown in a
 * microtask), and there is no max-listeners warning (`setMaxListeners` is kept for compatibility).
 */
export class TypedEmitter<E extends { [K in keyof E]: (...args: never[]) => void }> {
  private readonly registry = new Map<keyof E, Registered[]>();
  private maxListeners = 10;

  on<K extends keyof E>(event: K, listener: E[K]): this {
    return this.add(event, listener, false);
  }

  addListener<K extends keyof E>(event: K, listener: E[K]): this {
    return this.add(event, listener, false);
  }

  prependListener<K extends keyof E>(event: K, listener: E[K]): this {
    return this.add(event, listener, true);
  }

  once<K extends keyof E>(event: K, listener: E[K]): this {
    return this.add(event, this.onceWrapper(event, listener), false);
  }

  prependOnceListener<K extends keyof E>(event: K, listener: E[K]): this {
    return this.add(event, this.onceWrapper(event, listener), true);
  }

  off<K extends keyof E>(event: K, listener: E[K]): this {
    return this.removeListener(event, listener);
  }

  removeListener<K extends keyof E>(event: K, listener: E[K]): this {
    const list = this.registry.get(event);
    if (list === undefined) return this;
    for (let i = list.length - 1; i >= 0; i--) {
      const registered = list[i] as Registered;
      if (registered === listener || registered.listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    if (list.length === 0) this.registry.delete(event);
    return this;
  }

  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.registry.clear();
    else this.registry.delete(event);
    return this;
  }

  setMaxListeners(n: number): this {
    this.maxListeners = n;
    return this;
  }

  getMaxListeners(): number {
    return this.maxListeners;
  }

  /** The listeners of `event` as they were passed (`once` ones unwrapped). */
  listeners<K extends keyof E>(event: K): E[K][] {
    return (this.registry.get(event) ?? []).map((r) => (r.listener ?? r) as E[K]);
  }

  /** The listeners of `event` as registered (`once` ones as their wrappers). */
  rawListeners<K extends keyof E>(event: K): E[K][] {
    return [...(this.registry.get(event) ?? [])] as E[K][];
  }

  listenerCount<K extends keyof E>(event: K, listener?: E[K]): number {
    const list = this.registry.get(event) ?? [];
    if (listener === undefined) return list.length;
    return list.filter((r) => r === listener || r.listener === listener).length;
  }

  eventNames(): (keyof E)[] {
    return [...this.registry.keys()];
  }

  /** Calls every listener of `event`; true if there was one. Meant for the client's own use. */
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean {
    const list = this.registry.get(event);
    if (list === undefined || list.length === 0) return false;
    for (const listener of [...list]) {
      try {
        (listener as unknown as (...a: Parameters<E[K]>) => void)(...args);
      } catch (e) {
        // A throwing listener must not break the client; surface it asynchronously.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
    return true;
  }

  private add(event: keyof E, listener: Registered, prepend: boolean): this {
    let list = this.registry.get(event);
    if (list === undefined) {
      list = [];
      this.registry.set(event, list);
    }
    if (prepend) list.unshift(listener);
    else list.push(listener);
    return this;
  }

  private onceWrapper<K extends keyof E>(event: K, listener: E[K]): Registered {
    let fired = false; // an emit from inside a listener must not call it a second time
    const wrapper = Object.assign(
      (...args: Parameters<E[K]>): void => {
        if (fired) return;
        fired = true;
        this.removeListener(event, wrapper as unknown as E[K]);
        (listener as unknown as (...a: Parameters<E[K]>) => void)(...args);
      },
      { listener },
    );
    return wrapper as unknown as Registered;
  }
}

/** Fans status events out to `status()` iterators. */
export class StatusHub {
  private readonly subscribers = new Set<QueuedIterator<ClientStatus>>();

  publish(status: ClientStatus): void {
    for (const s of this.subscribers) s.push(status);
    if (status.type === 'closed') this.end();
  }

  subscribe(): QueuedIterator<ClientStatus> {
    const it: QueuedIterator<ClientStatus> = new QueuedIterator(() => this.subscribers.delete(it));
    this.subscribers.add(it);
    return it;
  }

  end(): void {
    for (const s of this.subscribers) s.stop();
    this.subscribers.clear();
  }
}
