/**
 * The cluster's members with their names and URLs: replicated state, changed only by applied
 * ConfChange entries (whose context carries the new member's attributes) and by member-attribute
 * proposals (a member publishing its client URLs at start). Saved inside every snapshot.
 */
import { assert } from '../assert.js';
import { ConfChangeType, type ConfChange } from '../raft/types.js';

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface MemberAttributes {
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

export function encodeMemberAttributes(attrs: MemberAttributes): string {
  return JSON.stringify(attrs);
}

export function decodeMemberAttributes(text: string | undefined): MemberAttributes {
  if (text === undefined || text === '') return { name: '', peerUrls: [], clientUrls: [] };
  const raw = JSON.parse(text) as Partial<MemberAttributes>;
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    peerUrls: strings(raw.peerUrls),
    clientUrls: strings(raw.clientUrls),
  };
}

export class MemberRegistry {
  private readonly members = new Map<number, Member>();

  constructor(initial: readonly Member[] = []) {
    for (const m of initial) this.members.set(m.id, m);
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => a.id - b.id);
  }

  get(id: number): Member | undefined {
    return this.members.get(id);
  }

  applyConfChange(cc: ConfChange): void {
    const existing = this.members.get(cc.nodeId);
    switch (cc.type) {
      case ConfChangeType.RemoveNode:
        this.members.delete(cc.nodeId);
        return;
      case ConfChangeType.AddLearner:
      case ConfChangeType.AddVoter: {
        const attrs =
          cc.context === undefined && existing !== undefined ? existing : decodeMemberAttributes(cc.context);
        this.members.set(cc.nodeId, {
          id: cc.nodeId,
          name: attrs.name,
          peerUrls: attrs.peerUrls.length > 0 ? attrs.peerUrls : (existing?.peerUrls ?? []),
          clientUrls: attrs.clientUrls.length > 0 ? attrs.clientUrls : (existing?.clientUrls ?? []),
          isLearner: cc.type === ConfChangeType.AddLearner,
        });
        return;
      }
    }
  }

  applyAttributes(id: number, attrs: MemberAttributes): void {
    const existing = this.members.get(id);
    if (existing === undefined) return;
    this.members.set(id, {
      ...existing,
      name: attrs.name || existing.name,
      clientUrls: attrs.clientUrls,
      peerUrls: attrs.peerUrls.length > 0 ? attrs.peerUrls : existing.peerUrls,
    });
  }

  toJSON(): Member[] {
    return this.list();
  }

  static fromJSON(raw: unknown): MemberRegistry {
    assert(Array.isArray(raw), 'members: snapshot member list is not an array');
    return new MemberRegistry(raw as Member[]);
  }
}
