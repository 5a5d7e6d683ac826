/**
 * The snapshot payload of a member: the replicated member list plus the state machine's own
 * snapshot bytes.
 *
 *   bytes 0-3   magic "CRS1"
 *   bytes 4-7   length N of the member list JSON (u32 big-endian)
 *   bytes 8-    member list JSON (N bytes), then the state machine snapshot
 *
 * An empty payload (a brand-new member's index-0 snapshot written by a test) means no members
 * known and an empty state machine.
 */
import { assert } from '../assert.js';
import { MemberRegistry } from './members.js';

const MAGIC = [0x43, 0x52, 0x53, 0x31];

export interface ReplicaSnapshot {
  readonly members: MemberRegistry;
  /** undefined: the state machine starts empty. */
  readonly stateMachine: Uint8Array | undefined;
}

export function encodeReplicaSnapshot(
  members: MemberRegistry,
  stateMachine: Uint8Array | undefined,
): Uint8Array {
  const head = encodeReplicaSnapshotHead(members);
  const sm = stateMachine ?? new Uint8Array(0);
  const out = new Uint8Array(head.length + sm.length);
  out.set(head, 0);
  out.set(sm, head.length);
  return out;
}

/** The bytes before the state machine's snapshot (which may then be streamed after them). */
export function encodeReplicaSnapshotHead(members: MemberRegistry): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(members.toJSON()));
  const out = new Uint8Array(8 + json.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length);
  out.set(json, 8);
  return out;
}

export function decodeReplicaSnapshot(data: Uint8Array): ReplicaSnapshot {
  if (data.length === 0) return { members: new MemberRegistry(), stateMachine: undefined };
  assert(data.length >= 8 && MAGIC.every((b, i) => data[i] === b), 'replica snapshot: bad magic');
  const len = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4);
  assert(8 + len <= data.length, 'replica snapshot: truncated member list');
  const members = MemberRegistry.fromJSON(JSON.parse(new TextDecoder().decode(data.subarray(8, 8 + len))));
  const rest = data.subarray(8 + len);
  return { members, stateMachine: rest.length === 0 ? undefined : rest };
}
