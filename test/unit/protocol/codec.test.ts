import { expect } from 'chai';
import fc from 'fast-check';
import {
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  requestSizeBytes,
  withDefaults,
} from '../../../client/protocol/codec.js';
import { RANGE_REQUEST } from '../../../client/protocol/messages.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import type { ClientFrame, ServerFrame } from '../../../client/protocol/frames.js';
import { DEFAULT_LIMITS } from '../../../client/protocol/limits.js';
import type { Method } from '../../../client/protocol/methods.js';
import { bytes, rangeReq } from '../../helpers/requests.js';
import * as A from './arbitraries.js';

const RUNS = { numRuns: 100 };

/** Requests of every method, with ids. */
const requestFrame = (): fc.Arbitrary<ClientFrame> =>
  fc.oneof(
    ...A.ALL_METHODS.map((method) =>
      fc
        .record({
          id: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          params: A.METHOD_ARBITRARIES[method].params,
        })
        .map(({ id, params }) => ({ type: 'request', id, method, params }) as ClientFrame),
    ),
  );

const clientFrame = (): fc.Arbitrary<ClientFrame> =>
  fc.oneof(
    requestFrame(),
    fc.record(
      {
        type: fc.constant('hello' as const),
        protocolVersion: fc.integer({ min: 1, max: 9 }),
        clientName: A.text(),
        authToken: A.text(),
        features: fc.array(fc.string({ maxLength: 64 }), { maxLength: 32 }),
      },
      { requiredKeys: ['type', 'protocolVersion', 'clientName'] },
    ),
    fc.record({
      type: fc.constantFrom('renew' as const, 'cancel' as const),
      id: fc.integer({ min: 1, max: 1e9 }),
    }),
  );

const id = (): fc.Arbitrary<number> => fc.integer({ min: 1, max: 1e9 });

/** Server frames; responses carry their method, which the test's resolver reports back. */
const serverFrame = (): fc.Arbitrary<ServerFrame> =>
  fc.oneof(
    ...A.ALL_METHODS.map((method) =>
      fc.record({ id: id(), result: A.METHOD_ARBITRARIES[method].result }).map(({ id, result }) => {
        // On the WebSocket a watch's id is the id of its watch.create request.
        const fixed = method === 'watch.create' ? { ...(result as object), watchId: id } : result;
        return { type: 'response', id, method, result: fixed } as ServerFrame;
      }),
    ),
    fc.record({
      type: fc.constant('response' as const),
      id: id(),
      method: fc.constantFrom(...A.ALL_METHODS),
      error: A.errorBody(),
    }),
    fc
      .record({ id: id(), result: A.watchStreamResponse() })
      .map(({ id, result }): ServerFrame => ({ type: 'watch', id, result: { ...result, watchId: id } })),
    fc
      .record({ ids: fc.array(id(), { minLength: 1, maxLength: 5 }), result: A.watchStreamResponse() })
      .map(({ ids, result }): ServerFrame => ({
        type: 'watch_group',
        ids,
        result: { ...result, watchId: 0 },
      })),
    fc.record({ type: fc.constant('keepalive' as const), id: id(), result: A.leaseKeepAliveResponse() }),
    fc.record({ type: fc.constant('keepalive' as const), id: id(), error: A.errorBody() }),
    fc.record({ type: fc.constant('snapshot' as const), id: id(), result: A.snapshotResponse() }),
    fc.record(
      { type: fc.constant('end' as const), id: id(), error: A.errorBody() },
      { requiredKeys: ['type', 'id'] },
    ),
    fc.record(
      {
        type: fc.constant('welcome' as const),
        protocolVersion: fc.constant(1),
        serverVersion: A.text(),
        header: A.header(),
        limits: fc.constant(DEFAULT_LIMITS),
        features: fc.array(fc.string({ maxLength: 64 }), { maxLength: 32 }),
      },
      { requiredKeys: ['type', 'protocolVersion', 'serverVersion', 'header', 'limits'] },
    ),
    fc.record({
      type: fc.constant('notice' as const),
      notice: fc.oneof(
        fc.record(
          { kind: fc.constant('going_away' as const), message: A.text(), retryAfterMs: A.nat() },
          { requiredKeys: ['kind', 'message'] },
        ),
        fc.record({ kind: fc.constant('leader_changed' as const), header: A.header(), leaderId: A.nat() }),
      ),
    }),
    fc.record({ type: fc.constant('error' as const), error: A.errorBody() }),
  );

/** A method resolver that knows the method of the frame under test. */
function resolverFor(frame: ServerFrame): (id: number) => Method | undefined {
  return (id) => (frame.type === 'response' && frame.id === id ? frame.method : undefined);
}

function expectNeverThrowsOrInternal(result: unknown): void {
  if (result instanceof ProtocolError) expect(result.code, result.message).to.not.equal('INTERNAL');
  else expect(result).to.be.an('object');
}

describe('protocol codec', () => {
  describe('#encodeFrame / #decodeClientFrame', () => {
    it('gives back every client frame of every method', () => {
      fc.assert(
        fc.property(clientFrame(), (frame) => {
          expect(decodeClientFrame(encodeFrame(frame))).to.deep.equal(frame);
        }),
        RUNS,
      );
    });

    it('encodes a request with the envelope fields first', () => {
      const text = encodeFrame({
        type: 'request',
        id: 3,
        method: 'kv.put',
        params: {
          key: new TextEncoder().encode('foo'),
          value: new TextEncoder().encode('bar'),
          lease: 0,
          prevKv: false,
          ignoreValue: false,
          ignoreLease: false,
        },
      });
      expect(text).to.equal(
        '{"type":"request","id":3,"method":"kv.put","params":{"key":"Zm9v","value":"YmFy"}}',
      );
    });

    context('when a watch.create names the request id as its watch id', () => {
      it('accepts it', () => {
        const frame = decodeClientFrame(
          '{"type":"request","id":5,"method":"watch.create","params":{"key":"Zm9v","watch_id":"5"}}',
        );
        expect(frame).to.deep.include({ type: 'request', id: 5, method: 'watch.create' });
      });
    });

    context('when a method needs no params', () => {
      it('accepts a request without params', () => {
        expect(decodeClientFrame('{"type":"request","id":1,"method":"maintenance.status"}')).to.deep.equal({
          type: 'request',
          id: 1,
          method: 'maintenance.status',
          params: {},
        });
      });
    });
  });

  describe('#encodeFrame / #decodeServerFrame', () => {
    it('gives back every server frame, responses of every method included', () => {
      fc.assert(
        fc.property(serverFrame(), (frame) => {
          expect(decodeServerFrame(encodeFrame(frame), resolverFor(frame))).to.deep.equal(frame);
        }),
        RUNS,
      );
    });

    it('encodes an error response with the code, message and snake_case details', () => {
      const text = encodeFrame({
        type: 'response',
        id: 8,
        method: 'kv.range',
        error: {
          code: 'COMPACTED',
          message: 'required revision has been compacted',
          details: { compactRevision: 41 },
        },
      });
      expect(text).to.equal(
        '{"type":"response","id":8,"error":{"code":"COMPACTED","message":"required revision has been compacted","details":{"compact_revision":41}}}',
      );
    });
  });

  describe('#encodeFrame', () => {
    context('when a domain value breaks its type', () => {
      it('throws an INTERNAL ProtocolError instead of emitting a rounded number', () => {
        const header = { clusterId: 2 ** 60, memberId: 1, revision: 1, raftTerm: 1 };
        expect(() =>
          encodeFrame({ type: 'response', id: 1, method: 'lease.revoke', result: { header } }),
        ).to.throw(ProtocolError, /safe integer/);
      });
    });
  });

  describe('#withDefaults', () => {
    it('fills every field of a request with its default', () => {
      expect(withDefaults(RANGE_REQUEST, { key: bytes('k'), limit: 5 })).to.deep.equal(
        rangeReq('k', '', { limit: 5 }),
      );
    });
  });

  describe('#requestSizeBytes', () => {
    it('counts the bytes of every key, value and range end, nested txns included', () => {
      const b = (n: number): Uint8Array => new Uint8Array(n);
      const put = {
        key: b(3),
        value: b(10),
        lease: 0,
        prevKv: false,
        ignoreValue: false,
        ignoreLease: false,
      };
      const txn = {
        compare: [
          { key: b(2), rangeEnd: b(1), result: 'equal' as const, target: 'value' as const, value: b(4) },
        ],
        success: [{ type: 'put' as const, request: put }],
        failure: [
          {
            type: 'txn' as const,
            request: { compare: [], success: [{ type: 'put' as const, request: put }], failure: [] },
          },
        ],
      };
      expect(requestSizeBytes(txn)).to.equal(2 + 1 + 4 + 13 + 13);
    });
  });

  describe('fuzzing', () => {
    it('never throws on random strings, and fails only with client-side codes', () => {
      fc.assert(
        fc.property(
          fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
          (text) => {
            expectNeverThrowsOrInternal(decodeClientFrame(text));
            expectNeverThrowsOrInternal(decodeServerFrame(text, () => 'kv.range'));
          },
        ),
        { numRuns: 500 },
      );
    });

    it('never throws on random JSON values', () => {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
          const text = JSON.stringify(value);
          expectNeverThrowsOrInternal(decodeClientFrame(text));
          expectNeverThrowsOrInternal(decodeServerFrame(text, () => 'kv.txn'));
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on requests of every method with random params', () => {
      fc.assert(
        fc.property(fc.constantFrom(...A.ALL_METHODS), id(), fc.jsonValue(), (method, id, params) => {
          expectNeverThrowsOrInternal(
            decodeClientFrame(JSON.stringify({ type: 'request', id, method, params })),
          );
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on valid frames with one node replaced by a random JSON value', () => {
      fc.assert(
        fc.property(
          fc.oneof(clientFrame(), serverFrame()),
          fc.nat(),
          fc.jsonValue(),
          (frame, pick, replacement) => {
            const mutated = replaceNode(JSON.parse(encodeFrame(frame)) as unknown, pick, replacement);
            const text = JSON.stringify(mutated);
            const resolver = (): Method => (frame.type === 'response' ? frame.method : 'kv.range');
            const client = decodeClientFrame(text);
            const server = decodeServerFrame(text, resolver);
            expectNeverThrowsOrInternal(client);
            expectNeverThrowsOrInternal(server);
            // Whatever decodes re-encodes to something that decodes to the same frame.
            if (!(client instanceof ProtocolError))
              expect(decodeClientFrame(encodeFrame(client))).to.deep.equal(client);
            if (!(server instanceof ProtocolError))
              expect(decodeServerFrame(encodeFrame(server), resolver)).to.deep.equal(server);
          },
        ),
        { numRuns: 1000 },
      );
    });

    it('survives deeply nested JSON', () => {
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      expectNeverThrowsOrInternal(decodeClientFrame(deep));
      const deepParams = `{"type":"request","id":1,"method":"kv.txn","params":${'{"success":[{"request_txn":'.repeat(5000)}{}${'}]}'.repeat(5000)}}`;
      const result = decodeClientFrame(deepParams);
      expect(result).to.be.instanceOf(ProtocolError);
      expect((result as ProtocolError).code).to.equal('INVALID_ARGUMENT');
    });
  });
});

/** Replaces the `pick`-th node (in pre-order, modulo the node count) of a JSON tree. */
function replaceNode(root: unknown, pick: number, replacement: unknown): unknown {
  const nodes: { parent: Record<string, unknown> | unknown[] | undefined; key: string | number }[] = [];
  const walk = (
    value: unknown,
    parent: Record<string, unknown> | unknown[] | undefined,
    key: string | number,
  ): void => {
    nodes.push({ parent, key });
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, value, i));
    else if (typeof value === 'object' && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, value as Record<string, unknown>, k);
    }
  };
  walk(root, undefined, '');
  const node = nodes[pick % nodes.length]!;
  if (node.parent === undefined) return replacement;
  if (Array.isArray(node.parent)) node.parent[node.key as number] = replacement;
  else node.parent[node.key as string] = replacement;
  return root;
}
