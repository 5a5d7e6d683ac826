/** How a leader handles messages of its term (term checks already done in Raft.step). */
import { assert } from '../assert.js';
import { RaftRefusal } from './errors.js';
import type { Raft, StepResult } from './raft.js';
import { VoteResult, voteResult } from './quorum.js';
import { ProgressState } from './status.js';
import {
  EntryType,
  NONE,
  type Message,
  type MsgAppResp,
  type MsgHeartbeatResp,
  type MsgProp,
} from './types.js';

export function stepLeader(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgProp':
      return handlePropose(r, m);
    case 'MsgReadIndex':
      return handleReadIndex(r, m);
    case 'MsgAppResp':
      handleAppResp(r, m);
      return undefined;
    case 'MsgHeartbeatResp':
      handleHeartbeatResp(r, m);
      return undefined;
    case 'MsgTransferLeader':
      return handleTransferLeader(r, m.transferee);
    case 'MsgApp':
    case 'MsgHeartbeat':
    case 'MsgSnap':
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
    case 'MsgTimeoutNow':
    case 'MsgReadIndexResp':
    case 'MsgVote':
    case 'MsgPreVote':
      // Another leader of the same term cannot exist; stale vote answers are irrelevant now.
      return undefined;
  }
}

function handlePropose(r: Raft, m: MsgProp): StepResult {
  assert(m.entries.length > 0, 'raft: empty proposal');
  if (!r.tracker.isVoter(r.id)) return RaftRefusal.NotMember;
  if (r.leadTransferee !== NONE) return RaftRefusal.TransferInProgress;
  for (const e of m.entries) {
    if (e.type !== EntryType.ConfChange) continue;
    if (r.pendingConfIndex > r.log.applied) return RaftRefusal.ConfChangePending;
  }
  if (!r.appendEntries(m.entries)) return RaftRefusal.TooManyUncommitted;
  if (m.entries.some((e) => e.type === EntryType.ConfChange)) r.pendingConfIndex = r.log.lastIndex();
  r.appendsOwed = true;
  return undefined;
}

function handleReadIndex(r: Raft, m: Extract<Message, { type: 'MsgReadIndex' }>): StepResult {
  if (r.tracker.voters().length === 1) {
    respondToRead(r, m.from, r.log.committed, m.context);
    return undefined;
  }
  // The commit index is only known to be current once this leader committed an entry of its term.
  if (!r.committedEntryInCurrentTerm()) {
    r.pendingReadIndex.push(m);
    return undefined;
  }
  r.readOnly.add(r.log.committed, m.context, m.from);
  r.readOnly.recvAck(r.id, m.context);
  r.bcastHeartbeat(m.context);
  return undefined;
}

function respondToRead(r: Raft, from: number, index: number, context: string): void {
  if (from === r.id) r.readStates.push({ index, context });
  else r.send({ type: 'MsgReadIndexResp', to: from, index, context });
}

function handleAppResp(r: Raft, m: MsgAppResp): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  if (m.reject) {
    // Skip back a term at a time using the follower's hint (etcd's fast back-off).
    let nextProbe = m.rejectHint;
    if (m.logTerm > 0) nextProbe = r.log.findConflictByTerm(m.rejectHint, m.logTerm);
    if (pr.maybeDecrTo(m.index, nextProbe)) {
      if (pr.state === ProgressState.Replicate) pr.becomeProbe();
      r.maybeSendAppend(m.from, true);
    }
    return;
  }
  const oldPaused = pr.isPaused();
  if (!pr.maybeUpdate(m.index) && !(pr.match === m.index && pr.state === ProgressState.Probe)) return;
  switch (pr.state) {
    case ProgressState.Probe:
      pr.becomeReplicate();
      break;
    case ProgressState.Snapshot:
      if (pr.match + 1 >= r.log.firstIndex()) {
        pr.becomeProbe();
        pr.becomeReplicate();
      }
      break;
    case ProgressState.Replicate:
      pr.inflights.freeLE(m.index);
      break;
  }
  if (r.maybeCommit()) {
    r.bcastAppend();
  } else if (oldPaused) {
    r.maybeSendAppend(m.from, true);
  }
  // Pipelining: keep streaming while the in-flight window has room.
  while (r.maybeSendAppend(m.from, false)) {
    /* keep sending */
  }
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) {
    r.send({ type: 'MsgTimeoutNow', to: m.from });
  }
}

function handleHeartbeatResp(r: Raft, m: MsgHeartbeatResp): void {
  const pr = r.tracker.progress.get(m.from);
  if (pr === undefined) return;
  pr.recentActive = true;
  pr.msgAppFlowPaused = false;
  // The follower is alive but the window stayed full: an append was probably lost. Let one more
  // through; if it leaves a gap the follower rejects it and we fall back to probing.
  if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
  if (pr.match < r.log.lastIndex()) r.maybeSendAppend(m.from, true);
  if (m.context === '') return;
  const acks = r.readOnly.recvAck(m.from, m.context);
  if (acks === undefined) return;
  const votes = new Map<number, boolean>();
  for (const id of acks) votes.set(id, true);
  if (voteResult(r.tracker.voters(), votes) !== VoteResult.Won) return;
  for (const req of r.readOnly.advance(m.context)) respondToRead(r, req.from, req.index, req.context);
}

function handleTransferLeader(r: Raft, transferee: number): StepResult {
  if (!r.tracker.isVoter(transferee)) return RaftRefusal.NotMember;
  if (transferee === r.id) return undefined;
  if (r.leadTransferee === transferee) return undefined;
  const pr = r.tracker.progress.get(transferee);
  if (pr === undefined) return RaftRefusal.NotMember;
  r.leadTransferee = transferee;
  // The transfer must finish within one election timeout (checked in tickHeartbeat).
  r.electionElapsed = 0;
  if (pr.match === r.log.lastIndex()) r.send({ type: 'MsgTimeoutNow', to: transferee });
  else r.maybeSendAppend(transferee, true);
  return undefined;
}
