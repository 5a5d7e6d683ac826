import { expect } from 'chai';
import fc from 'fast-check';
import {
  CommandDecodeError,
  decodeCommand,
  encodeCommand,
  MAX_TXN_DEPTH,
  type Command,
} from '../../../server/apply/index.js';
import { RequestTooLargeError, type RequestOp, type TxnRequest } from '../../../server/mvcc/index.js';

const bytesArb = fc.uint8Array({ maxLength: 8 });
const keyArb = fc.uint8Array({ minLength: 1, maxLength: 8 });
const rangeReqArb = fc.record({
  key: keyArb,
  rangeEnd: bytesArb,
  limit: fc.nat(),
  revision: fc.nat(),
  sortOrder: fc.constantFrom('none', 'ascend', 'descend'),
  sortTarget: fc.constantFrom('key', 'version', 'create', 'mod', 'value'),
  keysOnly: fc.boolean(),
  countOnly: fc.boolean(),
  minModRevision: fc.nat(),
  maxModRevision: fc.nat(),
  minCreateRevision: fc.nat(),
  maxCreateRevision: fc.nat(),
});
const putReqArb = fc.record({
  key: keyArb,
  value: bytesArb,
  lease: fc.nat(),
  prevKv: fc.boolean(),
  ignoreValue: fc.boolean(),
  ignoreLease: fc.boolean(),
});
const delReqArb = fc.record({ key: keyArb, rangeEnd: bytesArb, prevKv: fc.boolean() });

const { txn: txnArb } = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  op: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ type: fc.constant('range' as const), request: rangeReqArb }),
    fc.record({ type: fc.constant('put' as const), request: putReqArb }),
    fc.record({ type: fc.constant('deleteRange' as const), request: delReqArb }),
    fc.record({ type: fc.constant('txn' as const), request: tie('txn') }),
  ) as fc.Arbitrary<RequestOp>,
  txn: fc.record({
    compare: fc.array(
      fc.oneof(
        fc.record({
          key: keyArb,
          rangeEnd: bytesArb,
          result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
          target: fc.constant('value' as const),
          value: bytesArb,
        }),
        fc.record({
          key: keyArb,
          rangeEnd: bytesArb,
          result: fc.constantFrom('equal', 'notEqual', 'less', 'greater'),
          target: fc.constantFrom('version', 'create', 'mod', 'lease'),
          value: fc.nat(),
        }),
      ),
      { maxLength: 3 },
    ),
    success: fc.array(tie('op') as fc.Arbitrary<RequestOp>, { maxLength: 3 }),
    failure: fc.array(tie('op') as fc.Arbitrary<RequestOp>, { maxLength: 3 }),
  }) as fc.Arbitrary<TxnRequest>,
}));

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), request: putReqArb }),
  fc.record({ type: fc.constant('deleteRange' as const), request: delReqArb }),
  fc.record({ type: fc.constant('range' as const), request: rangeReqArb }),
  fc.record({ type: fc.constant('txn' as const), request: txnArb }),
  fc.record({ type: fc.constant('compact' as const), revision: fc.nat() }),
  fc.record({ type: fc.constant('leaseGrant' as const), id: fc.nat(), ttlSec: fc.nat() }),
  fc.record({ type: fc.constant('leaseRevoke' as const), id: fc.maxSafeNat() }),
  fc.record({
    type: fc.constant('leaseCheckpoint' as const),
    checkpoints: fc.array(fc.record({ id: fc.nat(), remainingTtlSec: fc.nat() })),
  }),
  fc.record({
    type: fc.constant('alarmActivate' as const),
    memberId: fc.maxSafeNat(),
    alarm: fc.constantFrom('noSpace' as const, 'corrupt' as const),
  }),
  fc.record(
    {
      type: fc.constant('alarmDeactivate' as const),
      memberId: fc.maxSafeNat(),
      alarm: fc.constantFrom('noSpace' as const, 'corrupt' as const),
    },
    { requiredKeys: ['type', 'memberId'] },
  ),
);

/** Compares ignoring the difference between a Uint8Array and a view of one. */
const normalize = (c: unknown): string =>
  JSON.stringify(c, (_k, v: unknown) => (v instanceof Uint8Array ? [...v] : v));

describe('command codec', () => {
  describe('#decodeCommand', () => {
    it('decodes what encodeCommand encoded', () => {
      fc.assert(
        fc.property(commandArb, (c) => {
          expect(normalize(decodeCommand(encodeCommand(c)))).to.equal(normalize(c));
        }),
        { numRuns: 500 },
      );
    });

    it('throws CommandDecodeError for any mangled input, never anything else', () => {
      fc.assert(
        fc.property(
          commandArb,
          fc.nat(),
          fc.integer({ min: 0, max: 255 }),
          fc.boolean(),
          (c, at, byte, truncate) => {
            const good = encodeCommand(c);
            const bad = truncate ? good.slice(0, at % good.length) : good.slice();
            if (!truncate) bad[at % bad.length] = byte;
            try {
              decodeCommand(bad);
            } catch (err) {
              expect(err).to.be.instanceOf(CommandDecodeError);
            }
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('refuses what is not a byte array, random bytes and trailing bytes', () => {
      for (const input of [undefined, null, 'put', 42, {}, [1, 2]])
        expect(() => decodeCommand(input)).to.throw(CommandDecodeError);
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
          try {
            decodeCommand(junk);
          } catch (err) {
            expect(err).to.be.instanceOf(CommandDecodeError);
          }
        }),
      );
      const ok = encodeCommand({ type: 'alarmDeactivate', memberId: 0 });
      expect(() => decodeCommand(Uint8Array.from([...ok, 0]))).to.throw(CommandDecodeError, /trailing/);
    });

    it('refuses input above the size limit with REQUEST_TOO_LARGE', () => {
      expect(() => decodeCommand(new Uint8Array(2 * 1024 * 1024))).to.throw(RequestTooLargeError);
    });

    it('refuses txns nested deeper than MAX_TXN_DEPTH', () => {
      let txn: TxnRequest = { compare: [], success: [], failure: [] };
      for (let i = 0; i <= MAX_TXN_DEPTH; i++)
        txn = { compare: [], success: [{ type: 'txn', request: txn }], failure: [] };
      expect(() => decodeCommand(encodeCommand({ type: 'txn', request: txn }))).to.throw(
        CommandDecodeError,
        /nested/,
      );
    });
  });
});
