/** How a (pre-)candidate handles messages of its term. */
import { RaftRefusal } from './errors.js';
import type { Raft, StepResult } from './raft.js';
import { VoteResult } from './quorum.js';
import { stepFollower } from './step-follower.js';
import { NONE, Role, type Message } from './types.js';

export function stepCandidate(r: Raft, m: Message): StepResult {
  switch (m.type) {
    case 'MsgProp':
    case 'MsgReadIndex':
    case 'MsgTransferLeader':
      return RaftRefusal.NoLeader;
    case 'MsgApp':
    case 'MsgHeartbeat':
    case 'MsgSnap':
      // A leader of our term exists: follow it.
      r.becomeFollower(m.term, m.from);
      return stepFollower(r, m);
    case 'MsgVoteResp':
    case 'MsgPreVoteResp': {
      const expected = r.role === Role.PreCandidate ? 'MsgPreVoteResp' : 'MsgVoteResp';
      if (m.type !== expected) return undefined;
      // A grant is sent with the term its request asked for: ours + 1 for a pre-vote. A grant of
      // another term answers an earlier pre-campaign of ours (delayed, reordered) and says nothing
      // about this one; counted, it let a follower that had since joined a leader's term campaign
      // against it one tick after a connection flap (sim flap seed 880, 3 members).
      if (r.role === Role.PreCandidate && !m.reject && m.term !== r.term + 1) return undefined;
      const result = r.poll(m.from, !m.reject);
      if (result === VoteResult.Won) {
        if (r.role === Role.PreCandidate) r.campaign('election', false);
        else {
          r.becomeLeader();
          r.bcastAppend();
        }
      } else if (result === VoteResult.Lost) {
        r.becomeFollower(r.term, NONE);
      }
      return undefined;
    }
    case 'MsgTimeoutNow':
    case 'MsgAppResp':
    case 'MsgHeartbeatResp':
    case 'MsgReadIndexResp':
    case 'MsgVote':
    case 'MsgPreVote':
      return undefined;
  }
}
