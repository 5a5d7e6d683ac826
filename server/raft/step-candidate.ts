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
