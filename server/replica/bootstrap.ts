/**
 * The first entries of a brand-new cluster, as etcd writes them: one committed `addVoter` conf
 * change per initial member (in id order, term 1), carrying the member's attributes. Every
 * initial member writes the same entries, so their logs agree; a member that joins later starts
 * empty and learns the whole membership history by replaying the log (or from a snapshot).
 */
import { encodeConfChange } from '../raft/conf-change.js';
import { ConfChangeType, EntryType, type Entry, type HardState } from '../raft/types.js';
import { encodeMemberAttributes, type MemberAttributes } from './members.js';

export interface InitialMember extends MemberAttributes {
  readonly id: number;
}

export function bootstrapEntries(members: readonly InitialMember[]): {
  entries: Entry[];
  hardState: HardState;
} {
  const sorted = [...members].sort((a, b) => a.id - b.id);
  const entries: Entry[] = sorted.map((m, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.ConfChange,
    data: encodeConfChange({
      type: ConfChangeType.AddVoter,
      nodeId: m.id,
      context: encodeMemberAttributes({ name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls }),
    }),
  }));
  return { entries, hardState: { term: 1, vote: 0, commit: entries.length } };
}
