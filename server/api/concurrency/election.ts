/**
 * etcd's v3election service over the shared handlers. Candidates of an election `name` write
 * `<name>/<lease hex>` with their value, attached to their lease; the oldest key leads. A campaign
 * waits until every older candidate is gone (wait-deletes.ts); the leader changes its value with
 * Proclaim and steps down with Resign, both guarded by the leader key's create revision so that a
 * leader that lost its key (its lease ended) cannot act on a later one. Observe streams the leader's
 * key as it changes, and the next leader once it goes.
 */
import {
  ErrorCode,
  ProtocolError,
  WatchFilter,
  type KeyValue,
  type ResponseHeader,
} from '../../../client/protocol/index.js';
import { bytesEqual } from '../../bytes.js';
import type { ClientBackend, WatchHandle } from '../backend.js';
import { rangeOf, removeContender } from './lock.js';
import {
  contenderKey,
  contenderPrefix,
  createdAt,
  deleteKey,
  firstCreated,
  getKey,
  putKey,
} from './requests.js';
import { abortReason, waitDeletes } from './wait-deletes.js';

/** Who leads an election as a campaign returns it; Proclaim and Resign take it back. */
export interface LeaderKey {
  readonly name: Uint8Array;
  readonly key: Uint8Array;
  /** The create revision of `key`: the leadership it names. */
  readonly rev: number;
  readonly lease: number;
}

export interface CampaignRequest {
  readonly name: Uint8Array;
  readonly lease: number;
  readonly value: Uint8Array;
}

export interface CampaignResponse {
  readonly header: ResponseHeader;
  readonly leader: LeaderKey;
}

export interface LeaderResponse {
  readonly header: ResponseHeader;
  readonly kv: KeyValue;
}

function notLeader(): ProtocolError {
  return new ProtocolError(ErrorCode.ElectionNotLeader, 'the leader key no longer leads the election');
}

/** Resolves once the caller leads `req.name`; a cancelled or failed campaign withdraws its key. */
export async function campaign(
  backend: ClientBackend,
  req: CampaignRequest,
  signal: AbortSignal,
): Promise<CampaignResponse> {
  const prefix = contenderPrefix(req.name);
  const key = contenderKey(req.name, req.lease);
  const entered = await backend.txn(
    {
      compare: [createdAt(key, 0)],
      success: [{ type: 'put', request: putKey(key, req.value, req.lease) }],
      failure: [{ type: 'range', request: getKey(key) }],
    },
    { signal },
  );
  let created = entered.header.revision;
  if (!entered.succeeded) {
    // Already a candidate with this lease (a retried campaign): keep the place, update the value.
    const existing = rangeOf(entered.responses[0]).kvs[0];
    if (existing !== undefined) {
      created = existing.createRevision;
      if (!bytesEqual(existing.value, req.value)) {
        const leader: LeaderKey = { name: req.name, key, rev: created, lease: req.lease };
        try {
          await proclaim(backend, leader, req.value, signal);
        } catch (err) {
          await removeContender(backend, key, created);
          throw err;
        }
      }
    }
  }
  try {
    await waitDeletes(backend, prefix, created - 1, signal);
  } catch (err) {
    await removeContender(backend, key, created);
    throw err;
  }
  return { header: entered.header, leader: { name: req.name, key, rev: created, lease: req.lease } };
}

/** Sets the leader's value, if `leader` still leads (else ELECTION_NOT_LEADER). */
export async function proclaim(
  backend: ClientBackend,
  leader: LeaderKey,
  value: Uint8Array,
  signal: AbortSignal,
): Promise<{ readonly header: ResponseHeader }> {
  const done = await backend.txn(
    {
      compare: [createdAt(leader.key, leader.rev)],
      success: [{ type: 'put', request: putKey(leader.key, value, leader.lease) }],
      failure: [],
    },
    { signal },
  );
  if (!done.succeeded) throw notLeader();
  return { header: done.header };
}

/** Steps down: deletes the leader key if it is still the one named (no error if it is not). */
export async function resign(
  backend: ClientBackend,
  leader: LeaderKey,
  signal: AbortSignal,
): Promise<{ readonly header: ResponseHeader }> {
  const done = await backend.txn(
    {
      compare: [createdAt(leader.key, leader.rev)],
      success: [{ type: 'deleteRange', request: deleteKey(leader.key) }],
      failure: [],
    },
    { signal },
  );
  return { header: done.header };
}

/** The current leader's key-value (ELECTION_NO_LEADER when nobody leads). */
export async function leader(
  backend: ClientBackend,
  name: Uint8Array,
  signal: AbortSignal,
): Promise<LeaderResponse> {
  const found = await backend.range(firstCreated(contenderPrefix(name)), { signal });
  const kv = found.kvs[0];
  if (kv === undefined) throw new ProtocolError(ErrorCode.ElectionNoLeader, 'the election has no leader');
  return { header: found.header, kv };
}

/**
 * The leader of `name` now and at every change: its value changes (proclaims) and, once it goes,
 * the next leader (waiting for one if nobody leads). Ends when `signal` aborts; a watch that the
 * member ends (compaction, stop) ends it with that error.
 */
export async function* observe(
  backend: ClientBackend,
  name: Uint8Array,
  signal: AbortSignal,
): AsyncGenerator<LeaderResponse> {
  const prefix = contenderPrefix(name);
  for (;;) {
    const found = await backend.range(firstCreated(prefix), { signal });
    let current: LeaderResponse;
    const first = found.kvs[0];
    if (first !== undefined) current = { header: found.header, kv: first };
    else {
      // Nobody leads: the first candidate put under the prefix from this read on leads.
      const events = watchEvents(backend, prefix, true, found.header.revision, signal);
      current = await firstPut(events);
    }
    yield current;
    // Follow the leader's key until it is deleted.
    const events = watchEvents(backend, current.kv.key, false, current.header.revision + 1, signal);
    try {
      for await (const change of events) {
        if (change.type === 'delete') break;
        yield { header: { ...change.header, revision: change.kv.modRevision }, kv: change.kv };
      }
    } finally {
      await events.return(undefined);
    }
  }
}

async function firstPut(events: AsyncGenerator<WatchedEvent>): Promise<LeaderResponse> {
  try {
    for await (const change of events) {
      if (change.type === 'put')
        return { header: { ...change.header, revision: change.kv.modRevision }, kv: change.kv };
    }
  } finally {
    await events.return(undefined);
  }
  throw new ProtocolError(ErrorCode.Unavailable, 'the watch ended');
}

interface WatchedEvent {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  readonly header: ResponseHeader;
}

/** The events of a watch (a key or a prefix) from `startRevision`, one at a time, until `return()`. */
async function* watchEvents(
  backend: ClientBackend,
  key: Uint8Array,
  isPrefix: boolean,
  startRevision: number,
  signal: AbortSignal,
): AsyncGenerator<WatchedEvent> {
  const queue: WatchedEvent[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    wake?.();
    wake = undefined;
  };
  const onAbort = (): void => {
    failure ??= abortReason(signal);
    poke();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let handle: WatchHandle | undefined;
  try {
    handle = await backend.watch(
      {
        key,
        rangeEnd: isPrefix ? firstCreated(key).rangeEnd : new Uint8Array(0),
        startRevision,
        progressNotify: false,
        filters: isPrefix ? [WatchFilter.NoDelete] : [],
        prevKv: false,
        watchId: 0,
        fragment: false,
      },
      {
        events: (events, revision) => {
          const header = { ...backend.header(), revision };
          for (const e of events) queue.push({ type: e.type, kv: e.kv, header });
          poke();
        },
        ended: (error) => {
          failure ??= error;
          poke();
        },
      },
      { signal },
    );
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    handle?.cancel();
  }
}
