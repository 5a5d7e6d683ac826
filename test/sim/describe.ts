/**
 * One stable line per Raft message or entry, for traces (STYLE.md §8 point 4). Entry payloads are
 * named by entry-name.ts (p42, noop, cc:addVoter(4)); long entry lists are elided.
 */
import { unreachable } from '../../server/assert.js';
import type { Entry, Message, Snapshot } from '../../server/raft/index.js';
import { entryName } from './entry-name.js';

const MAX_LISTED_ENTRIES = 4;

export function describeEntry(
  e: Pick<Entry, 'type' | 'data'> & Partial<Pick<Entry, 'index' | 'term'>>,
): string {
  const at = e.index === undefined ? '' : `${e.index}/t${e.term ?? '?'}:`;
  return `${at}${entryName(e)}`;
}

function describeEntries(entries: readonly (Pick<Entry, 'type' | 'data'> & Partial<Entry>)[]): string {
  if (entries.length === 0) return '[]';
  const shown = entries.slice(0, MAX_LISTED_ENTRIES).map(describeEntry);
  if (entries.length > MAX_LISTED_ENTRIES) shown.push(`…+${entries.length - MAX_LISTED_ENTRIES}`);
  return `[${shown.join(' ')}]`;
}

export function describeSnapshot(s: Snapshot): string {
  const cs = s.metadata.confState;
  const learners = cs.learners.length > 0 ? ` learners=${cs.learners.join(',')}` : '';
  return `snap{i${s.metadata.index}/t${s.metadata.term} voters=${cs.voters.join(',')}${learners} ${s.data.length}b}`;
}

export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}→${m.to} t${m.term}`;
  switch (m.type) {
    case 'MsgApp':
      return `${head} prev=${m.index}/t${m.logTerm} ${describeEntries(m.entries)} commit=${m.commit}`;
    case 'MsgAppResp':
      return m.reject
        ? `${head} REJECT index=${m.index} hint=${m.rejectHint}/t${m.logTerm}`
        : `${head} ok index=${m.index}`;
    case 'MsgHeartbeat':
      return `${head} commit=${m.commit}${m.context === '' ? '' : ` ctx=${m.context}`}`;
    case 'MsgHeartbeatResp':
      return `${head}${m.context === '' ? '' : ` ctx=${m.context}`}`;
    case 'MsgVote':
    case 'MsgPreVote':
      return `${head} last=${m.index}/t${m.logTerm}${m.force ? ' force' : ''}`;
    case 'MsgVoteResp':
    case 'MsgPreVoteResp':
      return `${head} ${m.reject ? 'REJECT' : 'granted'}`;
    case 'MsgSnap':
      return `${head} ${describeSnapshot(m.snapshot)}`;
    case 'MsgTimeoutNow':
      return head;
    case 'MsgProp':
      return `${head} ${describeEntries(m.entries)}`;
    case 'MsgReadIndex':
      return `${head} ctx=${m.context}`;
    case 'MsgReadIndexResp':
      return `${head} index=${m.index} ctx=${m.context}`;
    case 'MsgTransferLeader':
      return `${head} to=${m.transferee}`;
    default:
      return unreachable(m);
  }
}
