import { expect } from 'chai';
import fc from 'fast-check';
import { describeFrame } from '../../../client/protocol/describe.js';
import type { ServerFrame } from '../../../client/protocol/frames.js';
import * as A from './arbitraries.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('describeFrame', () => {
  it('renders a request with its key and value size', () => {
    const line = describeFrame({
      type: 'request',
      id: 4,
      method: 'kv.put',
      params: {
        key: utf8('config/a'),
        value: utf8('12345'),
        lease: 0,
        prevKv: false,
        ignoreValue: false,
        ignoreLease: false,
      },
    });
    expect(line).to.equal('request#4 kv.put key="config/a" 5B');
  });

  it('never shows the auth token', () => {
    const line = describeFrame({ type: 'hello', protocolVersion: 1, clientName: 'svc', authToken: 's3cret' });
    expect(line).to.equal('hello v1 "svc" +token');
    expect(line).to.not.contain('s3cret');
  });

  it('renders errors with their code and field', () => {
    const line = describeFrame({
      type: 'response',
      id: 9,
      method: 'kv.range',
      error: { code: 'INVALID_ARGUMENT', message: 'x', details: { field: 'params.key' } },
    });
    expect(line).to.equal('response#9 kv.range error INVALID_ARGUMENT params.key');
  });

  it('renders every server frame as one line', () => {
    const frame = fc.oneof(
      fc.record({ type: fc.constant('watch' as const), id: fc.nat(), result: A.watchStreamResponse() }),
      fc.record({ type: fc.constant('snapshot' as const), id: fc.nat(), result: A.snapshotResponse() }),
      fc.record(
        { type: fc.constant('end' as const), id: fc.nat(), error: A.errorBody() },
        { requiredKeys: ['type', 'id'] },
      ),
    );
    fc.assert(
      fc.property(frame, (f: ServerFrame) => {
        const line = describeFrame(f);
        expect(line).to.match(/^(watch|snapshot|end)#\d+/);
        expect(line).to.not.contain('\n');
      }),
      {
        numRuns: 300,
        examples: [
          [{ type: 'end', id: 1, error: { code: 'INTERNAL', message: '', details: { field: 'a\nb' } } }],
        ],
      },
    );
  });
});
