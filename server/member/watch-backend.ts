/**
 * The watch seam of the client API's backend: a watch on the member's watch pump, its events and
 * its end handed to the front door's sink, progress requests answered at the revision the pump
 * reports. Started only behind MemberBackend's permission gate (backend.ts), which re-checks a
 * watch under auth after every auth change.
 */
import type * as P from '../../client/protocol/index.js';
import type { WatchHandle, WatchSink } from '../api/backend.js';
import { ServerError } from '../errors.js';
import { CompactedError } from '../mvcc/index.js';
import type { WatchResponse } from '../watch/index.js';
import type { BackendCore } from './backend-core.js';

export function startWatch(
  core: BackendCore,
  req: P.WatchCreateRequest,
  sink: WatchSink,
): Promise<WatchHandle> {
  const { machine, pump } = core;
  const compacted = machine.store.compactRevision;
  // The changes at the compaction point are kept: a watch may start there (as etcd's).
  if (req.startRevision > 0 && req.startRevision < compacted)
    return Promise.reject(new CompactedError(compacted));
  const progressWaiters: ((revision: number) => void)[] = [];
  let ended = false;
  const onResponse = (r: WatchResponse): void => {
    if (ended) return;
    switch (r.type) {
      case 'created':
        return;
      case 'events':
        sink.events(r.events, r.revision);
        return;
      case 'progress':
        for (const w of progressWaiters.splice(0)) w(r.revision);
        return;
      case 'canceled': {
        ended = true;
        const err =
          r.compactRevision !== undefined
            ? new CompactedError(r.compactRevision)
            : new ServerError(r.code, r.reason, false);
        sink.ended(err);
        return;
      }
    }
  };
  let id: number;
  try {
    id = pump.create(
      {
        key: req.key,
        rangeEnd: req.rangeEnd,
        startRevision: req.startRevision,
        prevKv: req.prevKv,
        noPut: req.filters.includes('noPut'),
        noDelete: req.filters.includes('noDelete'),
        progressNotify: false,
      },
      onResponse,
    );
  } catch (err) {
    return Promise.reject(err);
  }
  return Promise.resolve({
    cancel: () => {
      if (ended) return;
      ended = true;
      pump.cancel(id);
      for (const w of progressWaiters.splice(0)) w(machine.store.currentRevision);
    },
    requestProgress: () =>
      new Promise<number>((resolve) => {
        if (ended) {
          resolve(machine.store.currentRevision);
          return;
        }
        progressWaiters.push(resolve);
        pump.requestProgress(id);
      }),
  });
}
