/**
 * The status of every member, each read from that member (raft index, applied index, data size,
 * alarms): one client per member, kept while the member is listed. A member that does not answer
 * within STATUS_TIMEOUT_MS is shown as unreachable; its client keeps trying to reconnect.
 */
import { useEffect, useRef } from 'preact/hooks';
import type { Client, Member, StatusResponse } from '../../client/index.js';
import type { Session } from './session.js';
import { describe, usePoll } from './util.js';

const STATUS_TIMEOUT_MS = 1500;

export type MemberStatus =
  { readonly ok: true; readonly status: StatusResponse } | { readonly ok: false; readonly error: string };

export function useMemberStatuses(
  session: Session,
  members: readonly Member[] | undefined,
): ReadonlyMap<number, MemberStatus> | undefined {
  const clients = useRef(new Map<number, Client>());
  // Re-created only when the set of members (or their URLs) changes.
  const key = (members ?? []).map((m) => `${m.id}=${m.clientUrls.join(',')}`).join(' ');
  useEffect(() => {
    const live = new Set((members ?? []).map((m) => m.id));
    for (const [id, c] of clients.current)
      if (!live.has(id)) {
        void c.close();
        clients.current.delete(id);
      }
  }, [key]);
  useEffect(
    () => () => {
      for (const c of clients.current.values()) void c.close();
      clients.current.clear();
    },
    [],
  );
  const polled = usePoll(
    async (signal) => {
      const entries = await Promise.all(
        (members ?? [])
          .filter((m) => m.clientUrls.length > 0)
          .map(async (m): Promise<[number, MemberStatus]> => {
            let c = clients.current.get(m.id);
            if (c === undefined) {
              c = session.memberClient(m.clientUrls);
              clients.current.set(m.id, c);
            }
            try {
              const timeout = AbortSignal.any([signal, AbortSignal.timeout(STATUS_TIMEOUT_MS)]);
              return [m.id, { ok: true, status: await c.memberStatus({ signal: timeout }) }];
            } catch (err) {
              return [m.id, { ok: false, error: describe(err) }];
            }
          }),
      );
      return new Map(entries);
    },
    [key],
  );
  return polled.data;
}
