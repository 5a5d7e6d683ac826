/**
 * A read/write lock: many readers or one writer (etcd's experimental `recipe.RWMutex`, over the
 * fair queue of queue-key.ts).
 *
 * Layout: `concord/rwlocks/<name>/r/<lease>-<id>` for readers, `…/w/<lease>-<id>` for writers,
 * one create-revision order for both. A reader waits until no *writer* key is older than its own;
 * a writer waits until no key at all is older than its own.
 *
 * Guarantees: never a writer together with any other holder; readers share. Writers are not
 * starved: a reader that arrives after a waiting writer queues behind that writer, so a stream of
 * readers cannot keep a writer out. Handles are `LockHandle`s: `token` fences, `signal` aborts when
 * the hold may be lost (session lost or key deleted).
 *
 * Failure behaviour: as for `acquireLock` — a crashed holder's keys go with its lease after ttlSec;
 * a cut-off holder's signal fires a safety margin before the cluster may let another in; a waiter
 * whose own session is lost starts over with a fresh one; an aborted or timed-out acquire deletes
 * its own key.
 */
import { nanoid } from 'nanoid';
import type { KvClient } from '../client/index.js';
import { checkName, hex } from './internal.js';
import { acquireQueued, type LockHandle, type LockOptions } from './lock.js';

export const RWLOCK_PREFIX = 'concord/rwlocks/';

function base(name: string): string {
  return `${RWLOCK_PREFIX}${checkName('rwlock name', name)}/`;
}

/** Shared hold: waits for every older writer. */
export function acquireRead(kv: KvClient, name: string, options: LockOptions = {}): Promise<LockHandle> {
  const prefix = base(name);
  return acquireQueued(
    kv,
    options,
    `read lock ${name}`,
    (s) => `${prefix}r/${hex(s.leaseId)}-${nanoid(8)}`,
    () => `${prefix}w/`,
    name,
  );
}

/** Exclusive hold: waits for every older reader and writer. */
export function acquireWrite(kv: KvClient, name: string, options: LockOptions = {}): Promise<LockHandle> {
  const prefix = base(name);
  return acquireQueued(
    kv,
    options,
    `write lock ${name}`,
    (s) => `${prefix}w/${hex(s.leaseId)}-${nanoid(8)}`,
    () => prefix,
    name,
  );
}
