/**
 * A short stable name for a Raft entry's payload, for traces and for the checkers' entry identity:
 * "noop" (a new leader's empty entry), "cc:addVoter(4)" (a membership change), "p42" (the client put
 * whose value is p42: the simulator's proposals carry unique values), "put(k3)#<request id>" or
 * "<command>#<request id>" for other commands, "attrs#<request id>" for member attributes.
 *
 * Entries are replica envelopes (server/replica/envelope.ts) around apply commands
 * (server/apply/command-codec.ts); anything that does not decode is named by its size.
 */
import { decodeCommand } from '../../server/apply/index.js';
import { EntryType, decodeConfChange, type Entry } from '../../server/raft/index.js';
import { decodeEnvelope, EnvelopeKind } from '../../server/replica/envelope.js';

const decoder = new TextDecoder();

export function entryName(e: Pick<Entry, 'type' | 'data'>): string {
  if (e.type === EntryType.ConfChange) {
    try {
      const cc = decodeConfChange(e.data);
      return `cc:${cc.type}(${cc.nodeId})`;
    } catch {
      return `cc:?${e.data.length}b`;
    }
  }
  if (e.data.length === 0) return 'noop';
  try {
    const env = decodeEnvelope(e.data);
    if (env.kind === EnvelopeKind.MemberAttributes) return `attrs#${env.requestId}`;
    const command = decodeCommand(env.command);
    if (command.type === 'put') {
      const value = decoder.decode(command.request.value);
      return /^p\d+$/.test(value) ? value : `put(${decoder.decode(command.request.key)})#${env.requestId}`;
    }
    return `${command.type}#${env.requestId}`;
  } catch {
    return `?${e.data.length}b`;
  }
}
