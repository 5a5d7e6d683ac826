/**
 * Builders of hand-written client histories for the checkers' unit tests (record.ts shapes).
 */
import type { AckedWrite, ReadRecord, SeenEvent, SeenKv, WatchRecord } from '../clients/record.js';
import { Violation } from './violation.js';

export function kv(key: string, value: string, modRevision: number, lease = 0): SeenKv {
  return { key, value, modRevision, createRevision: modRevision, version: 1, lease };
}

export function put(key: string, value: string, revision: number, lease = 0): SeenEvent {
  return { type: 'put', kv: kv(key, value, revision, lease) };
}

export function del(key: string, revision: number): SeenEvent {
  return {
    type: 'delete',
    kv: { key, value: '', modRevision: revision, createRevision: 0, version: 0, lease: 0 },
  };
}

let nextWatch = 1;

/** A watch of `[key, rangeEnd)` from `start` that delivered `events` and was complete to `reached`. */
export function watch(
  key: string,
  rangeEnd: string,
  start: number,
  reached: number,
  events: SeenEvent[],
  more: Partial<WatchRecord> = {},
): WatchRecord {
  return {
    id: nextWatch++,
    client: 0,
    member: 1,
    key,
    rangeEnd,
    startRevision: start,
    events,
    reached,
    ...more,
  };
}

export function acked(revision: number, ...mutations: AckedWrite['mutations']): AckedWrite {
  return { revision, client: 1, member: 1, atMs: revision * 10, mutations };
}

export function read(
  key: string,
  rangeEnd: string,
  revision: number,
  kvs: SeenKv[],
  kind: ReadRecord['kind'] = 'serializable',
): ReadRecord {
  return { client: 2, member: 2, atMs: revision * 10, kind, key, rangeEnd, revision, kvs };
}

/** The Violation `fn` throws; fails the test when it throws none or throws something else. */
export function violationOf(fn: () => void): Violation {
  try {
    fn();
  } catch (err) {
    if (err instanceof Violation) return err;
    throw err;
  }
  throw new Error('expected a violation');
}
