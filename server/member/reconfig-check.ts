/**
 * The strict reconfiguration check (etcd's `--strict-reconfig-check`, on by default): the leader
 * refuses a membership change that could cost the cluster its quorum. Two rules, as etcd applies
 * them:
 * - started members: a voter may be added, removed or promoted only if the members that have
 *   published their name (started) make a quorum of the membership after the change
 *   (NOT_ENOUGH_STARTED_MEMBERS);
 * - connected members: adding a member needs every voting peer connected to the leader for
 *   `HEALTH_INTERVAL_MS`; removing a connected voter needs the voters connected that long, less
 *   the one removed, to make a quorum of what remains (UNHEALTHY_CLUSTER). Removing a peer that
 *   is not connected at all is allowed: it is not part of the quorum in use.
 * Pure functions of a view, so tests drive them with a manual clock.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { ServerError } from '../errors.js';

/** How long a peer must have been connected to count (etcd's HealthInterval). */
export const HEALTH_INTERVAL_MS = 5000;

export interface ReconfigMember {
  readonly id: number;
  /** Empty until the member has published its attributes (etcd: not started). */
  readonly name: string;
  readonly isLearner: boolean;
}

/** What the leader knows when it checks a change. */
export interface ReconfigView {
  readonly selfId: number;
  readonly members: readonly ReconfigMember[];
  /** When the stream to a peer came up, undefined while it is down (PeerActivity). */
  activeSince(peerId: number): number | undefined;
  readonly nowMs: number;
}

const quorum = (voters: number): number => Math.floor(voters / 2) + 1;

const notEnoughStarted = (what: string, started: number, needed: number): ServerError =>
  new ServerError(
    ErrorCode.NotEnoughStartedMembers,
    `${what} refused: ${started} started member(s), the membership after it needs ${needed}`,
    true,
  );

const unhealthy = (what: string, detail: string): ServerError =>
  new ServerError(
    ErrorCode.UnhealthyCluster,
    `${what} refused (strict reconfiguration check): ${detail}`,
    true,
  );

/** Voting peers (not this member) connected for at least the health interval. */
function connectedLongEnough(view: ReconfigView, id: number): boolean {
  if (id === view.selfId) return true;
  const since = view.activeSince(id);
  return since !== undefined && since <= view.nowMs - HEALTH_INTERVAL_MS;
}

const voters = (view: ReconfigView): readonly ReconfigMember[] => view.members.filter((m) => !m.isLearner);

export function checkAdd(view: ReconfigView, isLearner: boolean): void {
  const v = voters(view);
  if (!isLearner) {
    const started = v.filter((m) => m.name !== '').length;
    // A one-member cluster may always grow to two (etcd's exception).
    const needed = quorum(v.length + 1);
    if (!(started === 1 && v.length === 1) && started < needed)
      throw notEnoughStarted('member add', started, needed);
  }
  const down = v.filter((m) => !connectedLongEnough(view, m.id));
  if (down.length > 0) {
    throw unhealthy(
      'member add',
      `voting member(s) ${down.map((m) => m.id).join(', ')} not connected to the leader for ${HEALTH_INTERVAL_MS} ms`,
    );
  }
}

export function checkRemove(view: ReconfigView, id: number): void {
  const target = view.members.find((m) => m.id === id);
  // A learner is not part of any quorum.
  if (target === undefined || target.isLearner) return;
  const v = voters(view);
  const rest = v.filter((m) => m.id !== id);
  const started = rest.filter((m) => m.name !== '').length;
  if (started < quorum(rest.length)) throw notEnoughStarted('member remove', started, quorum(rest.length));
  // A peer that is down is not in the quorum in use: removing it costs nothing.
  if (id !== view.selfId && view.activeSince(id) === undefined) return;
  const active = v.filter((m) => connectedLongEnough(view, m.id)).length;
  if (active - 1 < quorum(rest.length)) {
    throw unhealthy(
      'member remove',
      `${active} voting member(s) connected for ${HEALTH_INTERVAL_MS} ms; ${quorum(rest.length)} must remain`,
    );
  }
}

/** The learner counts as started: it runs, or it could not have caught up. */
export function checkPromote(view: ReconfigView): void {
  const v = voters(view);
  const started = v.filter((m) => m.name !== '').length + 1;
  const needed = quorum(v.length + 1);
  if (started < needed) throw notEnoughStarted('member promote', started, needed);
}
