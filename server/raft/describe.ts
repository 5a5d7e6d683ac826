/** One stable line per message or entry, for logs, traces and transcripts. */
import { unreachable } from '../assert.js';
import type { Entry, Message } from './types.js';

export function describeEntry(e: Entry): string {
  return `${e.term}/${e.index}${e.type === 'confChange' ? ' CC' : ''}${e.data.length === 0 ? ' EMPTY' : ''}`;
}

export function describeMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} Term:${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} Log:${m.logTerm}/${m.index} Commit:${m.commit} Entries:[${m.entries.map(describeEntry).join(', ')}]`;
    case 'MsgAppResp':
      return `${head} ${m.reject ? `Rejected (Hint: ${m.rejectHint}/${m.logTerm}) ` : ''}Index:${m.index}`;
    case 'MsgHeartbeat':
      return `${head} Commit:${m.commit}${m.context === '' ? '' : ` Ctx:${m.context}`}`;
    case 'MsgHeartbeatResp':
      return `${head}${m.context === '' ? '' : ` Ctx:${m.context}`}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} Log:${m.logTerm}/${m.index}${m.force ? ' Force' : ''}${m.lostLeader !== undefined ? ` LostLeader:${m.lostLeader}` : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${head}${m.reject ? ' Rejected' : ''}`;
    case 'MsgSnap':
      return `${head} Snapshot:${m.snapshot.metadata.term}/${m.snapshot.metadata.index} Voters:${m.snapshot.metadata.confState.voters.join(',')}`;
    case 'MsgTimeoutNow':
      return head;
    case 'MsgProp':
      return `${head} Entries:${m.entries.length}`;
    case 'MsgReadIndex':
      return `${head} Ctx:${m.context}`;
    case 'MsgReadIndexResp':
      return `${head} Index:${m.index} Ctx:${m.context}`;
    case 'MsgTransferLeader':
      return `${head} To:${m.transferee}`;
    default:
      return unreachable(m);
  }
}
