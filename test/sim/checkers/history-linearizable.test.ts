import { expect } from 'chai';
import { Outcome, type Operation } from '../../check/history.js';
import { checkRegistersLinearizable } from './history-linearizable.js';
import { Invariant, Violation } from './violation.js';

const history = (staleValue: string | null): Operation[] => [
  {
    id: 1,
    client: 1,
    key: 'c/reg/0',
    input: { type: 'write', value: 'v1' },
    invokeMs: 0,
    completeMs: 10,
    outcome: Outcome.Ok,
    output: { type: 'write' },
  },
  {
    id: 2,
    client: 2,
    key: 'c/reg/0',
    input: { type: 'read' },
    invokeMs: 12,
    completeMs: 14,
    outcome: Outcome.Ok,
    output: { type: 'read', value: staleValue },
  },
  {
    id: 3,
    client: 3,
    key: 'c/reg/0',
    input: { type: 'cas', expected: 'v1', value: 'v2' },
    invokeMs: 15,
    completeMs: 20,
    outcome: Outcome.Indeterminate,
  },
];

describe('sim checkers: register history linearizable', () => {
  it('passes a linearizable history', () => {
    expect(checkRegistersLinearizable(history('v1'))).to.include({ operations: 3, keys: 1, unknownKeys: 0 });
  });

  it('fails a stale read with an excerpt of the key', () => {
    let caught: unknown;
    try {
      checkRegistersLinearizable(history(null));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Violation);
    expect((caught as Violation).invariant).to.equal(Invariant.ClientLinearizable);
    expect((caught as Violation).message)
      .to.contain('c/reg/0')
      .and.to.contain('#2 c2 c/reg/0');
  });
});
