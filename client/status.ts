/**
 * Connection state and status events. `ClientState` is the coarse state; `ClientStatus` is a
 * discriminated union on `type`, one variant per transition, each with only its own fields. They are
 * observed through `client.on('state' | 'status', listener)` (a typed emitter) or
 * `client.status()` (an async iterable with a single consumer).
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
  | { readonly type: 'closed'; readonly error: Error | undefined };

export interface ClientEvents {
  state: (state: ClientState) => void;
  status: (status: ClientStatus) => void;
}

type Listener<E, K extends keyof E> = E[K];

/** A minimal typed emitter (no Node dependency, so the SDK runs in browsers). */
export class TypedEmitter<E extends { [K in keyof E]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof E, Set<E[keyof E]>>();

  on<K extends keyof E>(event: K, listener: Listener<E, K>): this {
    let set = this.listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E, K>): this {
    this.listeners.get(event)?.delete(listener);
    return this;
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as (...a: Parameters<E[K]>) => void)(...args);
      } catch (e) {
        // A throwing listener must not break the client; surface it asynchronously.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
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
