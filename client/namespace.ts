/**
 * Key prefixes for namespaced views. A view with prefix P sends every key as P+key and strips P
 * from every key it returns (kvs, prevKvs, watch events, txn responses, lease keys). Ranges map as
 * etcd's namespace package does:
 *
 *   rangeEnd empty        → single key P+key
 *   rangeEnd = "\0"       → every key ≥ key inside the namespace: [P+key, prefixEnd(P))
 *   otherwise             → [P+key, P+rangeEnd)
 *
 * so a view can never read or write outside its prefix.
 */
import type { KeyValue, WatchEvent } from './protocol/index.js';
import { prefixEnd } from './protocol/index.js';

export { prefixEnd };

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

export class KeySpace {
  constructor(readonly prefix: Uint8Array) {}

  get isRoot(): boolean {
    return this.prefix.length === 0;
  }

  /** A nested space: this prefix followed by `more`. */
  child(more: Uint8Array): KeySpace {
    return new KeySpace(concat(this.prefix, more));
  }

  key(key: Uint8Array): Uint8Array {
    return concat(this.prefix, key);
  }

  /** [key, rangeEnd) of this space in the global keyspace. */
  range(key: Uint8Array, rangeEnd: Uint8Array): { key: Uint8Array; rangeEnd: Uint8Array } {
    if (this.isRoot) return { key, rangeEnd };
    if (rangeEnd.length === 0) return { key: this.key(key), rangeEnd };
    const everything = rangeEnd.length === 1 && rangeEnd[0] === 0;
    return {
      key: this.key(key.length === 1 && key[0] === 0 && everything ? new Uint8Array() : key),
      rangeEnd: everything ? prefixEnd(this.prefix) : this.key(rangeEnd),
    };
  }

  /** A key as seen from inside the space. */
  strip(key: Uint8Array): Uint8Array {
    return !this.isRoot && startsWith(key, this.prefix) ? key.subarray(this.prefix.length) : key;
  }

  kv(kv: KeyValue): KeyValue {
    return this.isRoot ? kv : { ...kv, key: this.strip(kv.key) };
  }

  event(event: WatchEvent): WatchEvent {
    if (this.isRoot) return event;
    const kv = this.kv(event.kv);
    return event.prevKv === undefined
      ? { type: event.type, kv }
      : { type: event.type, kv, prevKv: this.kv(event.prevKv) };
  }
}
