/** How a follower handles messages of its term. */
import { RaftRefusal } from './errors.js';
import type { Raft, StepResult } from './raft.js';
import {
  CampaignReason,
  EntryType,
  NONE,
  type Message,
  type MsgApp,
  type MsgProp,
  type MsgSnap,
} from './types.js';

export function stepFollower(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgProp':
      // Proposals are forwarded to the leader; the forwarded copy may be lost, like any message,
      // so callers track their proposals by id and time out (docs/raft.md). Not to a leader whose
      // connection closed (suspect): its process is most likely dead and the copy would be lost for
      // sure; refused instead, the caller can hold it until the successor is known (replica.ts).
      if (r.lead === NONE || r.lead === r.suspectLeader) return RaftRefusal.NoLeader;
      forwardProposal(r, m.entries);
      return undefined;
    case 'MsgReadIndex':
      if (r.lead === NONE) return RaftRefusal.NoLeader;
      r.send({ type: 'MsgReadIndex', to: r.lead, context: m.context });
      return undefined;
    case 'MsgTransferLeader':
      if (r.lead === NONE) return RaftRefusal.NoLeader;
      r.send({ type: 'MsgTransferLeader', to: r.lead, transferee: m.transferee });
      return undefined;
    case 'MsgApp':
      r.electionElapsed = 0;
      r.lead = m.from;
      if (m.from === r.suspectLeader) r.clearSuspicion();
      handleAppend(r, m);
      return undefined;
    case 'MsgHeartbeat':
      r.electionElapsed = 0;
      r.lead = m.from;
      if (m.from === r.suspectLeader) r.clearSuspicion();
      r.log.commitTo(Math.min(m.commit, r.log.lastIndex()));
      r.send({ type: 'MsgHeartbeatResp', to: m.from, context: m.context });
      return undefined;
    case 'MsgSnap':
      r.electionElapsed = 0;
      r.lead = m.from;
      if (m.from === r.suspectLeader) r.clearSuspicion();
      handleSnapshot(r, m);
      return undefined;
    case 'MsgTimeoutNow':
      // The leader hands over: campaign at once, skipping pre-vote, overriding voters' leases.
      r.hup(true, CampaignReason.Transfer);
      return undefined;
    case 'MsgReadIndexResp':
      r.readStates.push({ index: m.index, context: m.context });
      return undefined;
    case 'MsgAppResp':
    case 'MsgHeartbeatResp':
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgVote':
    case 'MsgPreVote':
      return undefined;
  }
}

function handleAppend(r: Raft, m: MsgApp): void {
  if (m.index < r.log.committed) {
    // Everything up to our commit index already matches the leader's log.
    acknowledge(r, m.from, r.log.committed);
    return;
  }
  const lastNew = r.log.maybeAppend(
    m.index,
    m.logTerm,
    m.commit,
    m.entries,
    r.bugs.skipPrevLogCheck === true,
  );
  if (lastNew !== undefined) {
    acknowledge(r, m.from, lastNew);
    return;
  }
  // Reject with a hint: the largest index ≤ the probed one whose term is ≤ the leader's term there.
  const hintIndex = r.log.findConflictByTerm(Math.min(m.index, r.log.lastIndex()), m.logTerm);
  const hintTerm = r.log.term(hintIndex) ?? 0;
  r.send({
    type: 'MsgAppResp',
    to: m.from,
    index: m.index,
    reject: true,
    rejectHint: hintIndex,
    logTerm: hintTerm,
  });
}

function handleSnapshot(r: Raft, m: MsgSnap): void {
  const { index, term, confState } = m.snapshot.metadata;
  // A member added after the snapshot was taken is not in its ConfState; it still restores it
  // and becomes a member again when it applies the entry that added it (which follows the snapshot).
  if (index <= r.log.committed) {
    acknowledge(r, m.from, r.log.committed);
    return;
  }
  if (r.log.matchTerm(index, term)) {
    // We already have the entries the snapshot covers: just move the commit index. Entries after
    // it may still differ from the leader's, so acknowledge only the commit index.
    r.log.commitTo(index);
    acknowledge(r, m.from, r.log.committed);
    return;
  }
  r.log.restore(m.snapshot);
  r.tracker.resetConf(confState);
  r.tracker.resetProgress(r.log.lastIndex(), r.id);
  acknowledge(r, m.from, r.log.lastIndex());
}

/** Tells the leader our log matches its own up to `index`. */
function acknowledge(r: Raft, leader: number, index: number): void {
  r.send({ type: 'MsgAppResp', to: leader, index, reject: false, rejectHint: 0, logTerm: 0 });
}

/**
 * Forwards proposed entries to the leader, joining them to a forwarded proposal of the same Ready
 * when there is one: the leader then appends and replicates them in one step. Conf changes travel
 * alone, because the leader refuses a whole proposal while a conf change is pending.
 */
function forwardProposal(r: Raft, entries: MsgProp['entries']): void {
  const alone = (es: MsgProp['entries']): boolean => es.some((e) => e.type === EntryType.ConfChange);
  const last = r.msgs.length - 1;
  const prev = r.msgs[last];
  if (
    prev !== undefined &&
    prev.type === 'MsgProp' &&
    prev.to === r.lead &&
    !alone(prev.entries) &&
    !alone(entries)
  ) {
    r.msgs[last] = { ...prev, entries: prev.entries.concat(entries) };
    return;
  }
  r.send({ type: 'MsgProp', to: r.lead, entries });
}
