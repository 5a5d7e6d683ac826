/**
 * Every validation failure path of the decoders, as a table: a bad input, the code it must produce,
 * the field it must name and (for requests) the request id it must carry.
 */
import { expect } from 'chai';
import { decodeClientFrame, decodeServerFrame } from '../../../client/protocol/codec.js';
import type { ErrorCode } from '../../../client/protocol/error-codes.js';
import { ProtocolError } from '../../../client/protocol/errors.js';
import { DEFAULT_LIMITS, resolveLimits } from '../../../client/protocol/limits.js';
import type { Method } from '../../../client/protocol/methods.js';

interface Bad {
  readonly name: string;
  readonly text: string;
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly requestId?: number;
}

const req = (method: string, params: unknown, id = 7): string =>
  JSON.stringify({ type: 'request', id, method, params });

function nestedTxn(depth: number): unknown {
  let txn: unknown = { success: [{ request_put: { key: 'Zm9v' } }] };
  for (let i = 1; i < depth; i++) txn = { success: [{ request_txn: txn }] };
  return txn;
}

function nestedPath(depth: number): string {
  // The first txn beyond the limit: params.success[0].request_txn repeated `depth - 1` times.
  return ['params', ...Array.from({ length: depth - 1 }, () => 'success[0].request_txn')].join('.');
}

const CLIENT_CASES: readonly Bad[] = [
  { name: 'text that is not JSON', text: '{"type":', code: 'INVALID_ARGUMENT', field: undefined },
  { name: 'a JSON array', text: '[]', code: 'INVALID_ARGUMENT', field: '' },
  { name: 'a JSON string', text: '"hello"', code: 'INVALID_ARGUMENT', field: '' },
  { name: 'no type', text: '{}', code: 'INVALID_ARGUMENT', field: 'type' },
  { name: 'a numeric type', text: '{"type":1}', code: 'INVALID_ARGUMENT', field: 'type' },
  { name: 'an unknown type', text: '{"type":"welcome"}', code: 'INVALID_ARGUMENT', field: 'type' },
  {
    name: 'a request without id',
    text: '{"type":"request","method":"kv.range"}',
    code: 'INVALID_ARGUMENT',
    field: 'id',
  },
  { name: 'a zero id', text: req('kv.range', { key: 'Zm9v' }, 0), code: 'INVALID_ARGUMENT', field: 'id' },
  {
    name: 'a fractional id',
    text: '{"type":"request","id":1.5,"method":"kv.range"}',
    code: 'INVALID_ARGUMENT',
    field: 'id',
  },
  {
    name: 'a string id',
    text: '{"type":"request","id":"1","method":"kv.range"}',
    code: 'INVALID_ARGUMENT',
    field: 'id',
  },
  {
    name: 'an id beyond 2^53',
    text: '{"type":"request","id":9007199254740992,"method":"kv.range"}',
    code: 'INVALID_ARGUMENT',
    field: 'id',
  },
  {
    name: 'no method',
    text: '{"type":"request","id":7}',
    code: 'INVALID_ARGUMENT',
    field: 'method',
    requestId: 7,
  },
  {
    name: 'an unknown method',
    text: req('kv.frobnicate', {}),
    code: 'UNIMPLEMENTED',
    field: 'method',
    requestId: 7,
  },
  {
    name: 'an inherited property as method',
    text: req('constructor', {}),
    code: 'UNIMPLEMENTED',
    field: 'method',
    requestId: 7,
  },
  {
    name: '__proto__ as method',
    text: req('__proto__', {}),
    code: 'UNIMPLEMENTED',
    field: 'method',
    requestId: 7,
  },
  {
    name: 'params that are an array',
    text: req('kv.range', []),
    code: 'INVALID_ARGUMENT',
    field: 'params',
    requestId: 7,
  },
  {
    name: 'params that are a string',
    text: req('kv.range', 'Zm9v'),
    code: 'INVALID_ARGUMENT',
    field: 'params',
    requestId: 7,
  },
  {
    name: 'a range without key',
    text: req('kv.range', {}),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'null params for a range',
    text: req('kv.range', null),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a key that is not base64',
    text: req('kv.range', { key: '!!!' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a key of length 1 mod 4',
    text: req('kv.range', { key: 'Zm9vY' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a key mixing base64 alphabets',
    text: req('kv.range', { key: 'a+b-' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a key with broken padding',
    text: req('kv.range', { key: 'Zg=' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a key that is a number',
    text: req('kv.range', { key: 5 }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'a negative limit',
    text: req('kv.range', { key: 'Zm9v', limit: '-1' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'a fractional limit string',
    text: req('kv.range', { key: 'Zm9v', limit: '1.5' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'a fractional limit number',
    text: req('kv.range', { key: 'Zm9v', limit: 1.5 }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'a limit of 2^53',
    text: req('kv.range', { key: 'Zm9v', limit: '9007199254740992' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'a limit beyond uint64',
    text: req('kv.range', { key: 'Zm9v', limit: '99999999999999999999' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'a limit that is a boolean',
    text: req('kv.range', { key: 'Zm9v', limit: true }),
    code: 'INVALID_ARGUMENT',
    field: 'params.limit',
    requestId: 7,
  },
  {
    name: 'an unknown sort order',
    text: req('kv.range', { key: 'Zm9v', sort_order: 'SIDEWAYS' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.sort_order',
    requestId: 7,
  },
  {
    name: 'a sort order number out of range',
    text: req('kv.range', { key: 'Zm9v', sort_order: 7 }),
    code: 'INVALID_ARGUMENT',
    field: 'params.sort_order',
    requestId: 7,
  },
  {
    name: 'a boolean given as a string',
    text: req('kv.range', { key: 'Zm9v', serializable: 'true' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.serializable',
    requestId: 7,
  },
  {
    name: 'range_end given twice',
    text: req('kv.range', { key: 'Zm9v', range_end: 'Zm9w', rangeEnd: 'Zm9w' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.range_end',
    requestId: 7,
  },
  {
    name: 'a put without key',
    text: req('kv.put', { value: 'YmFy' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'ignore_value with a value',
    text: req('kv.put', { key: 'Zm9v', value: 'YmFy', ignore_value: true }),
    code: 'INVALID_ARGUMENT',
    field: 'params.value',
    requestId: 7,
  },
  {
    name: 'ignore_lease with a lease',
    text: req('kv.put', { key: 'Zm9v', lease: '5', ignore_lease: true }),
    code: 'INVALID_ARGUMENT',
    field: 'params.lease',
    requestId: 7,
  },
  {
    name: 'a negative lease',
    text: req('kv.put', { key: 'Zm9v', lease: '-5' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.lease',
    requestId: 7,
  },
  {
    name: 'a delete without key',
    text: req('kv.deleteRange', { range_end: 'AA==' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.key',
    requestId: 7,
  },
  {
    name: 'compare that is not an array',
    text: req('kv.txn', { compare: {} }),
    code: 'INVALID_ARGUMENT',
    field: 'params.compare',
    requestId: 7,
  },
  {
    name: 'a compare operand not matching its target',
    text: req('kv.txn', { compare: [{ target: 'CREATE', key: 'Zm9v', version: '1' }] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.compare[0].version',
    requestId: 7,
  },
  {
    name: 'two compare operands',
    text: req('kv.txn', { compare: [{ key: 'Zm9v', version: '1', mod_revision: '2' }] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.compare[0].mod_revision',
    requestId: 7,
  },
  {
    name: 'an unknown compare result',
    text: req('kv.txn', { compare: [{ key: 'Zm9v', result: 'ABOUT' }] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.compare[0].result',
    requestId: 7,
  },
  {
    name: 'an empty request op',
    text: req('kv.txn', { success: [{}] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.success[0]',
    requestId: 7,
  },
  {
    name: 'a request op with two members',
    text: req('kv.txn', { success: [{ request_put: { key: 'Zm9v' }, request_range: { key: 'Zm9v' } }] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.success[0]',
    requestId: 7,
  },
  {
    name: 'a null request op',
    text: req('kv.txn', { failure: [null] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.failure[0]',
    requestId: 7,
  },
  {
    name: 'a put without key inside a txn',
    text: req('kv.txn', { failure: [{ requestPut: { value: 'YmFy' } }] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.failure[0].request_put.key',
    requestId: 7,
  },
  {
    name: 'too many compares',
    text: req('kv.txn', { compare: Array.from({ length: 129 }, () => ({ key: 'Zm9v' })) }),
    code: 'INVALID_ARGUMENT',
    field: 'params.compare',
    requestId: 7,
  },
  {
    name: 'too many success ops',
    text: req('kv.txn', { success: Array.from({ length: 129 }, () => ({ request_range: { key: 'Zm9v' } })) }),
    code: 'INVALID_ARGUMENT',
    field: 'params.success',
    requestId: 7,
  },
  {
    name: 'txns nested too deep',
    text: req('kv.txn', nestedTxn(DEFAULT_LIMITS.maxTxnDepth + 1)),
    code: 'INVALID_ARGUMENT',
    field: nestedPath(DEFAULT_LIMITS.maxTxnDepth + 1),
    requestId: 7,
  },
  {
    name: 'a compaction revision that is negative',
    text: req('kv.compact', { revision: -3 }),
    code: 'INVALID_ARGUMENT',
    field: 'params.revision',
    requestId: 7,
  },
  {
    name: 'a watch id different from the request id',
    text: req('watch.create', { key: 'Zm9v', watch_id: '3' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.watch_id',
    requestId: 7,
  },
  {
    name: 'an unknown watch filter',
    text: req('watch.create', { key: 'Zm9v', filters: ['NOPUT', 'NOPE'] }),
    code: 'INVALID_ARGUMENT',
    field: 'params.filters[1]',
    requestId: 7,
  },
  {
    name: 'watch filters that are not an array',
    text: req('watch.create', { key: 'Zm9v', filters: 'NOPUT' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.filters',
    requestId: 7,
  },
  {
    name: 'a TTL that is not a number',
    text: req('lease.grant', { TTL: 'abc' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.TTL',
    requestId: 7,
  },
  {
    name: 'a negative lease ID',
    text: req('lease.grant', { TTL: 5, ID: '-1' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.ID',
    requestId: 7,
  },
  {
    name: 'a lease ID beyond 2^53',
    text: req('lease.revoke', { ID: '7587848878029350403' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.ID',
    requestId: 7,
  },
  {
    name: 'an unknown alarm action',
    text: req('maintenance.alarm', { action: 'EXPLODE' }),
    code: 'INVALID_ARGUMENT',
    field: 'params.action',
    requestId: 7,
  },
  {
    name: 'a hello without version',
    text: '{"type":"hello","client_name":"x"}',
    code: 'INVALID_ARGUMENT',
    field: 'protocol_version',
  },
  {
    name: 'a hello with a string version',
    text: '{"type":"hello","protocol_version":"1"}',
    code: 'INVALID_ARGUMENT',
    field: 'protocol_version',
  },
  {
    name: 'a hello with a long client name',
    text: JSON.stringify({ type: 'hello', protocol_version: 1, client_name: 'x'.repeat(257) }),
    code: 'INVALID_ARGUMENT',
    field: 'client_name',
  },
  {
    name: 'a hello with a numeric token',
    text: '{"type":"hello","protocol_version":1,"auth_token":5}',
    code: 'INVALID_ARGUMENT',
    field: 'auth_token',
  },
  { name: 'a renew without id', text: '{"type":"renew"}', code: 'INVALID_ARGUMENT', field: 'id' },
  {
    name: 'a cancel with a negative id',
    text: '{"type":"cancel","id":-4}',
    code: 'INVALID_ARGUMENT',
    field: 'id',
  },
];

function expectFailure(result: unknown, bad: Bad): void {
  expect(result, bad.name).to.be.instanceOf(ProtocolError);
  const err = result as ProtocolError;
  expect(err.code, `${bad.name}: ${err.message}`).to.equal(bad.code);
  expect(err.field, `${bad.name}: ${err.message}`).to.equal(bad.field);
  expect(err.requestId, bad.name).to.equal(bad.requestId);
  if (bad.field !== undefined) expect(err.details.field).to.equal(bad.field);
}

describe('protocol validation', () => {
  describe('#decodeClientFrame', () => {
    for (const bad of CLIENT_CASES) {
      context(`when given ${bad.name}`, () => {
        it(`returns ${bad.code} naming ${bad.field === undefined ? 'no field' : bad.field}`, () => {
          expectFailure(decodeClientFrame(bad.text), bad);
        });
      });
    }

    context('when the frame is larger than maxFrameBytes', () => {
      it('returns REQUEST_TOO_LARGE with the limit in the details', () => {
        const limits = resolveLimits({ maxFrameBytes: 200 * 1024, maxRequestBytes: 1024 });
        const result = decodeClientFrame(
          req('kv.put', { key: 'Zm9v', value: 'A'.repeat(300 * 1024) }),
          limits,
        );
        expectFailure(result, { name: 'big frame', text: '', code: 'REQUEST_TOO_LARGE', field: undefined });
        expect((result as ProtocolError).details.limit).to.equal(200 * 1024);
      });
    });

    context('when the decoded request is larger than maxRequestBytes', () => {
      it('returns REQUEST_TOO_LARGE for that request id', () => {
        const limits = resolveLimits({ maxRequestBytes: 16 });
        const value = 'A'.repeat(24); // 18 bytes decoded, plus 3 of key
        const result = decodeClientFrame(req('kv.put', { key: 'Zm9v', value }, 12), limits);
        expectFailure(result, {
          name: 'big request',
          text: '',
          code: 'REQUEST_TOO_LARGE',
          field: undefined,
          requestId: 12,
        });
      });

      it('accepts a request exactly at the limit', () => {
        const limits = resolveLimits({ maxRequestBytes: 21 });
        const result = decodeClientFrame(req('kv.put', { key: 'Zm9v', value: 'A'.repeat(24) }, 12), limits);
        expect(result).to.not.be.instanceOf(ProtocolError);
      });
    });

    context('when the txn limits are lowered', () => {
      it('enforces the configured maxTxnOps', () => {
        const limits = resolveLimits({ maxTxnOps: 2 });
        const ok = req('kv.txn', {
          success: [{ request_range: { key: 'Zm9v' } }, { request_range: { key: 'Zm9v' } }],
        });
        const tooMany = req('kv.txn', {
          failure: Array.from({ length: 3 }, () => ({ request_range: { key: 'Zm9v' } })),
        });
        expect(decodeClientFrame(ok, limits)).to.not.be.instanceOf(ProtocolError);
        expectFailure(decodeClientFrame(tooMany, limits), {
          name: 'txn ops',
          text: '',
          code: 'INVALID_ARGUMENT',
          field: 'params.failure',
          requestId: 7,
        });
      });

      it('accepts txns nested exactly to maxTxnDepth', () => {
        expect(decodeClientFrame(req('kv.txn', nestedTxn(DEFAULT_LIMITS.maxTxnDepth)))).to.not.be.instanceOf(
          ProtocolError,
        );
      });
    });
  });

  describe('#decodeServerFrame', () => {
    const header = { cluster_id: '1', member_id: '2', revision: '3', raft_term: '4' };
    const methodOf = (id: number): Method | undefined =>
      id === 1 ? 'kv.range' : id === 2 ? 'kv.put' : id === 3 ? 'watch.create' : undefined;
    const SERVER_CASES: readonly Bad[] = [
      {
        name: 'a response to an unknown id',
        text: JSON.stringify({ type: 'response', id: 99, result: { header } }),
        code: 'INVALID_ARGUMENT',
        field: 'id',
      },
      {
        name: 'a response with result and error',
        text: JSON.stringify({ type: 'response', id: 1, result: { header }, error: { code: 'INTERNAL' } }),
        code: 'INVALID_ARGUMENT',
        field: '',
      },
      {
        name: 'a response with neither result nor error',
        text: JSON.stringify({ type: 'response', id: 1 }),
        code: 'INVALID_ARGUMENT',
        field: '',
      },
      {
        name: 'a result without header',
        text: JSON.stringify({ type: 'response', id: 1, result: { count: '1' } }),
        code: 'INVALID_ARGUMENT',
        field: 'result.header',
      },
      {
        name: 'a kv with a bad revision',
        text: JSON.stringify({
          type: 'response',
          id: 1,
          result: { header, kvs: [{ key: 'Zm9v', mod_revision: 'x' }] },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'result.kvs[0].mod_revision',
      },
      {
        name: 'an etcd-sized cluster id',
        text: JSON.stringify({
          type: 'response',
          id: 2,
          result: { header: { cluster_id: '12585971608760269493' } },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'result.header.cluster_id',
      },
      {
        name: 'an error without code',
        text: JSON.stringify({ type: 'response', id: 1, error: { message: 'x' } }),
        code: 'INVALID_ARGUMENT',
        field: 'error.code',
      },
      {
        name: 'error details with a string limit',
        text: JSON.stringify({
          type: 'response',
          id: 1,
          error: { code: 'REQUEST_TOO_LARGE', details: { limit: '5' } },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'error.details.limit',
      },
      {
        name: 'a watch.create response naming another watch id',
        text: JSON.stringify({ type: 'response', id: 3, result: { header, watch_id: '8', created: true } }),
        code: 'INVALID_ARGUMENT',
        field: 'result.watch_id',
      },
      {
        name: 'a watch frame for another watch id',
        text: JSON.stringify({
          type: 'watch',
          id: 4,
          result: { header, watch_id: '5', events: [{ kv: {} }] },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'result.watch_id',
      },
      {
        name: 'a watch frame announcing creation',
        text: JSON.stringify({ type: 'watch', id: 4, result: { header, created: true } }),
        code: 'INVALID_ARGUMENT',
        field: 'result',
      },
      {
        name: 'a watch event without kv',
        text: JSON.stringify({
          type: 'watch',
          id: 4,
          result: { header, watch_id: '4', events: [{ type: 'PUT' }] },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'result.events[0].kv',
      },
      {
        name: 'a watch event of unknown type',
        text: JSON.stringify({
          type: 'watch',
          id: 4,
          result: { header, events: [{ type: 'EXPIRE', kv: {} }] },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'result.events[0].type',
      },
      {
        name: 'a keepalive with a bad TTL',
        text: JSON.stringify({ type: 'keepalive', id: 5, result: { header, TTL: 'x' } }),
        code: 'INVALID_ARGUMENT',
        field: 'result.TTL',
      },
      {
        name: 'a snapshot chunk with a bad blob',
        text: JSON.stringify({ type: 'snapshot', id: 6, result: { header, blob: '%%%' } }),
        code: 'INVALID_ARGUMENT',
        field: 'result.blob',
      },
      {
        name: 'an end with an error lacking code',
        text: JSON.stringify({ type: 'end', id: 6, error: {} }),
        code: 'INVALID_ARGUMENT',
        field: 'error.code',
      },
      {
        name: 'a welcome without limits',
        text: JSON.stringify({ type: 'welcome', protocol_version: 1, header }),
        code: 'INVALID_ARGUMENT',
        field: 'limits',
      },
      {
        name: 'a welcome with a zero limit',
        text: JSON.stringify({
          type: 'welcome',
          protocol_version: 1,
          header,
          limits: { max_frame_bytes: 0 },
        }),
        code: 'INVALID_ARGUMENT',
        field: 'limits.max_frame_bytes',
      },
      {
        name: 'a notice of unknown kind',
        text: JSON.stringify({ type: 'notice', kind: 'meteor' }),
        code: 'INVALID_ARGUMENT',
        field: 'kind',
      },
      {
        name: 'a connection error without body',
        text: JSON.stringify({ type: 'error' }),
        code: 'INVALID_ARGUMENT',
        field: 'error',
      },
      {
        name: 'a client frame type',
        text: JSON.stringify({ type: 'hello', protocol_version: 1 }),
        code: 'INVALID_ARGUMENT',
        field: 'type',
      },
    ];
    for (const bad of SERVER_CASES) {
      context(`when given ${bad.name}`, () => {
        it(`returns ${bad.code} naming ${bad.field ?? 'no field'}`, () => {
          // A response's errors carry its id (when the id itself decodes), so the client can fail
          // exactly that pending request.
          const parsed = JSON.parse(bad.text) as { type?: unknown; id?: unknown };
          const requestId =
            parsed.type === 'response' && Number.isSafeInteger(parsed.id) && (parsed.id as number) > 0
              ? (parsed.id as number)
              : undefined;
          expectFailure(
            decodeServerFrame(bad.text, methodOf),
            requestId === undefined ? bad : { ...bad, requestId },
          );
        });
      });
    }

    context('when the server sends an error code this client does not know', () => {
      it('decodes it as INTERNAL and keeps the original code in the details', () => {
        const frame = decodeServerFrame(
          JSON.stringify({ type: 'response', id: 1, error: { code: 'QUANTUM_FLUX', message: 'later' } }),
          methodOf,
        );
        expect(frame).to.deep.equal({
          type: 'response',
          id: 1,
          method: 'kv.range',
          error: { code: 'INTERNAL', message: 'later', details: { unknownCode: 'QUANTUM_FLUX' } },
        });
      });
    });
  });
});
