/** fast-check arbitraries for every Raft message variant and the peer frames. */
import fc from 'fast-check';
import type { Frame } from '../../../server/transport/codec.js';
import type { Entry, Message, Snapshot } from '../../../server/raft/types.js';

const u = fc.oneof(fc.nat(1000), fc.maxSafeNat());
const id = fc.integer({ min: 1, max: 2 ** 40 });
const bytes = fc.uint8Array({ maxLength: 64 });
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const entryType = fc.constantFrom('normal' as const, 'confChange' as const);

const entry: fc.Arbitrary<Entry> = fc.record({ term: u, index: u, type: entryType, data: bytes });

const snapshot: fc.Arbitrary<Snapshot> = fc.record({
  metadata: fc.record({
    index: u,
    term: u,
    confState: fc.record({
      voters: fc.array(id, { maxLength: 5 }),
      learners: fc.array(id, { maxLength: 3 }),
    }),
  }),
  data: fc.uint8Array({ maxLength: 512 }),
});

const env = { from: id, to: id, term: u };

export const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({
    type: fc.constant('MsgApp' as const),
    ...env,
    index: u,
    logTerm: u,
    commit: u,
    entries: fc.array(entry, { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('MsgAppResp' as const),
    ...env,
    index: u,
    reject: fc.boolean(),
    rejectHint: u,
    logTerm: u,
  }),
  fc.record({ type: fc.constant('MsgHeartbeat' as const), ...env, commit: u, context: text }),
  fc.record({ type: fc.constant('MsgHeartbeatResp' as const), ...env, context: text }),
  fc
    .record({
      type: fc.constantFrom('MsgVote' as const, 'MsgPreVote' as const),
      ...env,
      index: u,
      logTerm: u,
      force: fc.boolean(),
    })
    .chain((m) =>
      // lostLeader is absent when the candidate suspects no leader (a positive member id otherwise).
      fc
        .option(fc.integer({ min: 1, max: 2 ** 31 }), { nil: undefined })
        .map((lostLeader) => (lostLeader === undefined ? m : { ...m, lostLeader })),
    ),
  fc.record({
    type: fc.constantFrom('MsgVoteResp' as const, 'MsgPreVoteResp' as const),
    ...env,
    reject: fc.boolean(),
  }),
  fc.record({ type: fc.constant('MsgSnap' as const), ...env, snapshot }),
  fc.record({ type: fc.constant('MsgTimeoutNow' as const), ...env }),
  fc.record({
    type: fc.constant('MsgProp' as const),
    ...env,
    entries: fc.array(fc.record({ type: entryType, data: bytes }), { maxLength: 4 }),
  }),
  fc.record({ type: fc.constant('MsgReadIndex' as const), ...env, context: text }),
  fc.record({ type: fc.constant('MsgReadIndexResp' as const), ...env, index: u, context: text }),
  fc.record({ type: fc.constant('MsgTransferLeader' as const), ...env, transferee: id }),
);

export const frame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ kind: fc.constant('messages' as const), messages: fc.array(message, { maxLength: 6 }) }),
  fc.record({ kind: fc.constant('hello' as const), clusterId: text, memberId: id }),
  fc.record({
    kind: fc.constant('snapBegin' as const),
    transferId: u,
    totalBytes: u,
    message: fc.record({ type: fc.constant('MsgSnap' as const), ...env, snapshot }),
  }),
  fc.record({ kind: fc.constant('snapChunk' as const), transferId: u, offset: u, data: bytes }),
  fc.record({ kind: fc.constant('snapEnd' as const), transferId: u, crc32: fc.nat({ max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('snapAck' as const), transferId: u, ok: fc.boolean(), reason: text }),
);
