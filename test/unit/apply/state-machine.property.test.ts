/**
 * Property tests of the state machine against the plain model (model.ts): random sequences of
 * put / delete / txn / compact / lease grant / lease revoke, with watchers created, drained and
 * synced at random points (small buffers, so watchers go through the victim and unsynced paths).
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { StateMachine, encodeCommand, type ApplyResult, type Command } from '../../../server/apply/index.js';
import type { KeyValue, RequestOp } from '../../../server/mvcc/index.js';
import type { WatchResponse } from '../../../server/watch/index.js';
import {
  Model,
  inRange,
  type ModelCompare,
  type ModelKv,
  type ModelOp,
  type ModelOutcome,
  type ModelRange,
} from './model.js';

const KEYS = ['a', 'ab', 'abc', 'b', 'ba', 'c', '\xff', '\xff\xff'];
const VALUES = ['', 'x', 'y', 'zz'];

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const str = (b: Uint8Array): string => String.fromCharCode(...b);

const keyArb = fc.constantFrom(...KEYS);
const rangeArb: fc.Arbitrary<ModelRange> = fc.oneof(
  keyArb.map((key) => ({ key })),
  fc.tuple(keyArb, keyArb).map(([a, b]) => ({ key: a < b ? a : b, end: a < b ? b : a === b ? `${a}\0` : a })),
  keyArb.map((key) => ({ key, end: '\0' })),
  fc.constant({ key: '\0', end: '\0' }),
  fc.constant({ key: 'a', end: 'b' }),
);

type Op =
  | { type: 'put'; key: string; value: string; lease: number }
  | { type: 'delete'; range: ModelRange }
  | { type: 'txn'; compares: ModelCompare[]; success: ModelOp[]; failure: ModelOp[] }
  | { type: 'compact'; back: number }
  | { type: 'grant'; id: number; ttlSec: number }
  | { type: 'revoke'; id: number }
  | {
      type: 'watch';
      range: ModelRange;
      startBack: number;
      prevKv: boolean;
      noPut: boolean;
      noDelete: boolean;
    }
  | { type: 'take'; which: number; max: number }
  | { type: 'sync' };

const compareArb: fc.Arbitrary<ModelCompare> = fc.oneof(
  fc.record({
    key: keyArb,
    target: fc.constant('value' as const),
    result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
    value: fc.constantFrom(...VALUES),
  }),
  fc.record({
    key: keyArb,
    target: fc.constantFrom('version', 'mod', 'create', 'lease'),
    result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
    value: fc.nat(6),
  }),
) as fc.Arbitrary<ModelCompare>;

function flatOpArb(key: string): fc.Arbitrary<ModelOp> {
  return fc.oneof(
    fc.record({
      type: fc.constant('put' as const),
      key: fc.constant(key),
      value: fc.constantFrom(...VALUES),
      lease: fc.constantFrom(0, 0, 1, 2),
    }),
    fc.constant({ type: 'delete' as const, key }),
    fc.constant({ type: 'range' as const, range: { key } }),
  );
}

/** Ops on distinct keys (so no key is written twice); the last keys may go to one nested txn. */
const txnOpsArb: fc.Arbitrary<ModelOp[]> = fc
  .tuple(fc.uniqueArray(keyArb, { maxLength: 4 }), fc.nat(4))
  .chain(([keys, nestedCount]) => {
    const flatKeys = keys.slice(0, Math.max(0, keys.length - nestedCount));
    const nestedKeys = keys.slice(flatKeys.length);
    const flat = fc.tuple(...flatKeys.map(flatOpArb));
    if (nestedKeys.length === 0) return flat;
    const nested = fc.record({
      type: fc.constant('txn' as const),
      compares: fc.array(compareArb, { maxLength: 1 }),
      success: fc.tuple(...nestedKeys.map(flatOpArb)),
      failure: fc.tuple(...nestedKeys.map(flatOpArb)),
    });
    return fc.tuple(flat, nested).map(([ops, txn]): ModelOp[] => [...ops, txn]);
  });

const writeOpArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('put' as const),
      key: keyArb,
      value: fc.constantFrom(...VALUES),
      lease: fc.constantFrom(0, 0, 0, 1, 2, 3),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('delete' as const), range: rangeArb }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('txn' as const),
      compares: fc.array(compareArb, { maxLength: 2 }),
      success: txnOpsArb,
      failure: txnOpsArb,
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('compact' as const), back: fc.nat(6) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('grant' as const),
      id: fc.integer({ min: 1, max: 3 }),
      ttlSec: fc.nat(10),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ type: fc.constant('revoke' as const), id: fc.integer({ min: 1, max: 3 }) }),
  },
);

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: writeOpArb },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('watch' as const),
      range: rangeArb,
      startBack: fc.integer({ min: -3, max: 8 }),
      prevKv: fc.boolean(),
      noPut: fc.boolean(),
      noDelete: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('take' as const),
      which: fc.nat(10),
      max: fc.integer({ min: 1, max: 3 }),
    }),
  },
  { weight: 2, arbitrary: fc.constant({ type: 'sync' as const }) },
);

function rangeBytes(r: ModelRange): { key: Uint8Array; rangeEnd?: Uint8Array } {
  return r.end === undefined ? { key: bytes(r.key) } : { key: bytes(r.key), rangeEnd: bytes(r.end) };
}

function toRequestOp(op: ModelOp): RequestOp {
  switch (op.type) {
    case 'put':
      return { type: 'put', request: { key: bytes(op.key), value: bytes(op.value), lease: op.lease } };
    case 'delete':
      return { type: 'deleteRange', request: rangeBytes({ key: op.key, end: op.end }) };
    case 'range':
      return { type: 'range', request: rangeBytes(op.range) };
    case 'txn':
      return { type: 'txn', request: txnRequest(op.compares, op.success, op.failure) };
  }
}

function txnRequest(
  compares: readonly ModelCompare[],
  success: readonly ModelOp[],
  failure: readonly ModelOp[],
) {
  const compare = compares.map((c) =>
    c.target === 'value'
      ? { key: bytes(c.key), target: 'value' as const, result: c.result, value: bytes(c.value as string) }
      : { key: bytes(c.key), target: c.target, result: c.result, value: c.value as number },
  );
  return { compare, success: success.map(toRequestOp), failure: failure.map(toRequestOp) };
}

/** The command for a write op and what the model says about it (the model is updated). */
function step(model: Model, op: Op): { command: Command; outcome: ModelOutcome } | undefined {
  switch (op.type) {
    case 'put':
      return {
        command: { type: 'put', request: { key: bytes(op.key), value: bytes(op.value), lease: op.lease } },
        outcome: model.put(op.key, op.value, op.lease),
      };
    case 'delete':
      return {
        command: { type: 'deleteRange', request: rangeBytes(op.range) },
        outcome: model.delete(op.range.key, op.range.end),
      };
    case 'txn': {
      const command: Command = { type: 'txn', request: txnRequest(op.compares, op.success, op.failure) };
      return { command, outcome: model.txn(op.compares, op.success, op.failure) };
    }
    case 'compact': {
      const revision = Math.max(1, model.revision - op.back);
      return { command: { type: 'compact', revision }, outcome: model.compact(revision) };
    }
    case 'grant':
      return {
        command: { type: 'leaseGrant', id: op.id, ttlSec: op.ttlSec },
        outcome: model.grant(op.id, op.ttlSec),
      };
    case 'revoke':
      return { command: { type: 'leaseRevoke', id: op.id }, outcome: model.revoke(op.id) };
    default:
      return undefined;
  }
}

function expectOutcome(result: ApplyResult, outcome: ModelOutcome, what: string): void {
  if (outcome.ok) {
    expect(result.status, `${what}: ${result.status === 'error' ? result.error.message : ''}`).to.equal('ok');
    if (result.status === 'ok') expect(result.revision, what).to.equal(outcome.revision);
  } else {
    expect(result.status, what).to.equal('error');
    if (result.status === 'error') expect(result.error.code, what).to.equal(outcome.code);
  }
}

function plain(kv: KeyValue): ModelKv {
  return {
    key: str(kv.key),
    value: str(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

interface Tracked {
  id: number;
  range: ModelRange;
  start: number;
  prevKv: boolean;
  noPut: boolean;
  noDelete: boolean;
  responses: WatchResponse[];
}

function newMachine(): StateMachine {
  return new StateMachine({
    lessor: { minTtlSec: 2 },
    watch: { maxBufferedEvents: 4, maxEventsPerResponse: 3, maxRevisionsPerSync: 2, maxWatchersPerSync: 2 },
  });
}

function run(ops: readonly Op[]): void {
  const sm = newMachine();
  const model = new Model();
  const watchers: Tracked[] = [];
  let index = 0;
  for (const op of ops) {
    const s = step(model, op);
    if (s !== undefined) {
      expectOutcome(sm.applyEntry(++index, encodeCommand(s.command)), s.outcome, JSON.stringify(op));
      continue;
    }
    if (op.type === 'watch') {
      const start =
        op.startBack === 0
          ? 0
          : op.startBack < 0
            ? model.revision + 1 - op.startBack
            : Math.max(1, model.revision - op.startBack + 1);
      const id = sm.watchable.watch({
        ...rangeBytes(op.range),
        startRevision: start,
        prevKv: op.prevKv,
        noPut: op.noPut,
        noDelete: op.noDelete,
      });
      watchers.push({
        id,
        range: op.range,
        start: start === 0 ? model.revision + 1 : start,
        prevKv: op.prevKv,
        noPut: op.noPut,
        noDelete: op.noDelete,
        responses: [],
      });
    } else if (op.type === 'take' && watchers.length > 0) {
      const w = watchers[op.which % watchers.length] as Tracked;
      w.responses.push(...sm.watchable.take(w.id, op.max));
    } else if (op.type === 'sync') {
      sm.watchable.sync();
    }
  }
  // Drain every watcher: sync and take until nothing is behind or queued.
  for (let i = 0; i < 1000; i++) {
    const behind = sm.watchable.sync();
    for (const w of watchers) w.responses.push(...sm.watchable.take(w.id));
    if (behind === 0 && sm.watchable.pendingWatchIds().length === 0) break;
  }
  expect(sm.watchable.groupSizes().unsynced + sm.watchable.groupSizes().victims).to.equal(0);
  checkRanges(sm, model, ops);
  for (const w of watchers) checkWatcher(w, model);
}

function checkRanges(sm: StateMachine, model: Model, ops: readonly Op[]): void {
  const ranges: ModelRange[] = [{ key: '\0', end: '\0' }];
  for (const op of ops) if (op.type === 'delete' || op.type === 'watch') ranges.push(op.range);
  for (let rev = 1; rev <= model.revision; rev++) {
    for (const r of ranges.slice(0, 6)) {
      if (rev < model.compactRevision) {
        expect(() => sm.range({ ...rangeBytes(r), revision: rev }))
          .to.throw()
          .with.property('code', 'COMPACTED');
        continue;
      }
      const got = sm.range({ ...rangeBytes(r), revision: rev });
      const want = model.rangeAt(r, rev);
      expect(got.kvs.map(plain), `range ${JSON.stringify(r)} @${rev}`).to.deep.equal(want);
      expect(got.count).to.equal(want.length);
    }
  }
  expect(sm.store.currentRevision).to.equal(model.revision);
}

function checkWatcher(w: Tracked, model: Model): void {
  const [first, ...rest] = w.responses;
  expect(first?.type).to.equal('created');
  let limit = Infinity;
  const last = rest[rest.length - 1];
  if (last?.type === 'canceled') {
    expect(last.code).to.equal('COMPACTED');
    expect(last.compactRevision).to.be.greaterThan(last.revision + 1 - 1);
    expect(last.revision + 1).to.be.lessThan(last.compactRevision as number);
    limit = last.revision;
    rest.pop();
  }
  const got: { type: string; key: string; revision: number; kv?: ModelKv }[] = [];
  let lastRev = 0;
  for (const r of rest) {
    expect(r.type, 'only event responses before the end').to.equal('events');
    if (r.type !== 'events') continue;
    expect(r.events[0]?.kv.modRevision, 'one txn never split across responses').to.be.greaterThan(lastRev);
    lastRev = r.events[r.events.length - 1]?.kv.modRevision ?? lastRev;
    for (const e of r.events) {
      const key = str(e.kv.key);
      got.push(
        e.type === 'put'
          ? { type: 'put', key, revision: e.kv.modRevision, kv: plain(e.kv) }
          : { type: 'delete', key, revision: e.kv.modRevision },
      );
      if (e.prevKv !== undefined) {
        expect(w.prevKv).to.equal(true);
        expect(plain(e.prevKv)).to.deep.equal(
          (model.states[e.kv.modRevision - 1] as Map<string, ModelKv>).get(key),
        );
      } else if (w.prevKv && e.kv.modRevision - 1 >= model.compactRevision) {
        expect((model.states[e.kv.modRevision - 1] as Map<string, ModelKv>).get(key)).to.equal(undefined);
      }
    }
  }
  const want = model.events
    .filter((e) => e.revision >= w.start && e.revision <= limit && inRange(w.range, e.key))
    .filter((e) => (e.type === 'put' ? !w.noPut : !w.noDelete))
    .map((e) =>
      e.type === 'put'
        ? { type: 'put', key: e.key, revision: e.revision, kv: e.kv }
        : { type: 'delete', key: e.key, revision: e.revision },
    );
  expect(got, `watcher ${JSON.stringify(w.range)} from ${w.start}`).to.deep.equal(want);
}

function resultsOf(results: ApplyResult[]): string {
  return JSON.stringify(results, (_k, v: unknown) =>
    v instanceof Uint8Array
      ? [...v]
      : v instanceof Error
        ? { code: (v as Error & { code: string }).code }
        : v,
  );
}

describe('StateMachine (property)', () => {
  context('when random operations are applied', () => {
    it('agrees with the model on every result, every range at every revision and every watcher', () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 5, maxLength: 60, size: 'max' }), (ops) => {
          run(ops);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('#hash', () => {
    it('is equal for two fresh machines given the same entries, and differs once they diverge', () => {
      fc.assert(
        fc.property(fc.array(writeOpArb, { minLength: 1, maxLength: 50, size: 'max' }), (ops) => {
          const model = new Model();
          const commands = ops.map((op) => step(model, op)?.command as Command).map(encodeCommand);
          const a = newMachine();
          const b = newMachine();
          const ra = commands.map((c, i) => a.applyEntry(i + 1, c));
          const rb = commands.map((c, i) => b.applyEntry(i + 1, c));
          expect(a.hash()).to.equal(b.hash());
          expect(resultsOf(ra)).to.equal(resultsOf(rb));
          b.apply(commands.length + 1, {
            type: 'put',
            request: { key: bytes('zz'), value: bytes('diverged') },
          });
          expect(a.hash()).to.not.equal(b.hash());
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('#snapshot', () => {
    it('restores to a machine that continues exactly as one that never snapshotted', () => {
      fc.assert(
        fc.property(
          fc.array(writeOpArb, { minLength: 1, maxLength: 50, size: 'max' }),
          fc.nat(40),
          (ops, cut) => {
            const model = new Model();
            const commands = ops.map((op) => step(model, op)?.command as Command).map(encodeCommand);
            const k = cut % (commands.length + 1);
            const straight = newMachine();
            const before = newMachine();
            const straightResults = commands.map((c, i) => straight.applyEntry(i + 1, c));
            commands.slice(0, k).forEach((c, i) => before.applyEntry(i + 1, c));
            const after = newMachine();
            after.restore(before.snapshot());
            expect(after.hash()).to.equal(before.hash());
            // Replaying the whole log is harmless: entries up to the snapshot are skipped.
            const afterResults = commands.map((c, i) => after.applyEntry(i + 1, c));
            expect(afterResults.slice(0, k).every((r) => r.status === 'skipped')).to.equal(true);
            expect(resultsOf(afterResults.slice(k))).to.equal(resultsOf(straightResults.slice(k)));
            expect(after.hash()).to.equal(straight.hash());
            expect(after.store.sizeBytes).to.equal(straight.store.sizeBytes);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
