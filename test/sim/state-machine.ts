/**
 * The simulator's replicated state machine: the ordered list of applied client proposal ids.
 *
 * A proposal's entry data is 5 bytes: the tag 0x50 ('P') and the id as a big-endian uint32, so any
 * entry can be named in a trace ("p42"). Empty normal entries (a new leader's no-op) and
 * membership changes are applied but add no id. Snapshot data is the id list as big-endian uint32s.
 *
 * `hash` is a rolling hash of the id list, so two members with the same hash at the same applied
 * index have (with overwhelming probability) applied the same proposals; the checker compares it
 * per index, which covers state reached through snapshots too.
 */
import { EntryType, decodeConfChange, type Entry } from '../../server/raft/index.js';

const PROPOSAL_TAG = 0x50;

export function encodeProposal(id: number): Uint8Array {
  const data = new Uint8Array(5);
  data[0] = PROPOSAL_TAG;
  new DataView(data.buffer).setUint32(1, id >>> 0);
  return data;
}

/** The proposal id carried by `data`, or undefined when it is not a simulator proposal. */
export function maybeProposalId(data: Uint8Array): number | undefined {
  if (data.length !== 5 || data[0] !== PROPOSAL_TAG) return undefined;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(1);
}

/** A short stable name for an entry's payload: "p42", "noop", "cc:addVoter(4)", or "?<n bytes>". */
export function entryKey(e: Pick<Entry, 'type' | 'data'>): string {
  if (e.type === EntryType.ConfChange) {
    try {
      const cc = decodeConfChange(e.data);
      return `cc:${cc.type}(${cc.nodeId})`;
    } catch {
      return `cc:?${e.data.length}`;
    }
  }
  if (e.data.length === 0) return 'noop';
  const id = maybeProposalId(e.data);
  return id === undefined ? `?${e.data.length}b` : `p${id}`;
}

export function mixHash(hash: number, id: number): number {
  let h = Math.imul(hash ^ id, 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

export const EMPTY_HASH = 0x811c9dc5;

export function hashIds(ids: readonly number[]): number {
  let h = EMPTY_HASH;
  for (const id of ids) h = mixHash(h, id);
  return h;
}

export function encodeIds(ids: readonly number[]): Uint8Array {
  const data = new Uint8Array(ids.length * 4);
  const view = new DataView(data.buffer);
  for (let i = 0; i < ids.length; i++) view.setUint32(i * 4, ids[i] as number);
  return data;
}

export function decodeIds(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const ids: number[] = [];
  for (let off = 0; off + 4 <= data.length; off += 4) ids.push(view.getUint32(off));
  return ids;
}

/** One member's applied state. */
export class AppliedList {
  ids: number[] = [];
  hash = EMPTY_HASH;
  appliedIndex = 0;

  /** Replace the state with a snapshot's. */
  restore(index: number, data: Uint8Array): void {
    this.ids = decodeIds(data);
    this.hash = hashIds(this.ids);
    this.appliedIndex = index;
  }

  /** Apply one committed entry; returns the proposal id it carried, if any. */
  apply(e: Entry): number | undefined {
    this.appliedIndex = e.index;
    if (e.type !== EntryType.Normal) return undefined;
    const id = maybeProposalId(e.data);
    if (id !== undefined) {
      this.ids.push(id);
      this.hash = mixHash(this.hash, id);
    }
    return id;
  }

  encode(): Uint8Array {
    return encodeIds(this.ids);
  }
}
