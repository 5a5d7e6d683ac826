/**
 * Restoring the state machine from a snapshot goes over the live keys once (a boot at a million
 * keys spent a second pass only to find the keys attached to leases), and still re-attaches them.
 */
import { expect } from 'chai';
import { StateMachine, type Command } from '../../../server/apply/index.js';
import { ALL, dec, enc } from '../mvcc/helpers.js';

const put = (key: string, lease = 0): Command => ({
  type: 'put',
  request: { key: enc(key), value: enc('v'), lease },
});

describe('StateMachine#restore', () => {
  function source(): StateMachine {
    const sm = new StateMachine();
    const commands: Command[] = [
      { type: 'leaseGrant', id: 7, ttlSec: 60 },
      { type: 'leaseGrant', id: 9, ttlSec: 60 },
      put('a', 7),
      put('b'),
      put('c', 9),
      put('d', 7),
    ];
    commands.forEach((c, i) => expect(sm.apply(i + 1, c).status).to.equal('ok'));
    return sm;
  }

  it('visits the live keys in one pass, without a second scan of the store', () => {
    const from = source();
    const restored = new StateMachine();
    let scans = 0;
    const scan = restored.store.forEachLive.bind(restored.store);
    restored.store.forEachLive = (visit) => {
      scans++;
      scan(visit);
    };
    restored.restore(from.snapshot());
    expect(scans).to.equal(0);
    expect(restored.hash()).to.equal(from.hash());
  });

  it('re-attaches the keys of each lease, so that a revoke deletes exactly them', () => {
    const restored = new StateMachine();
    restored.restore(source().snapshot());
    expect(restored.apply(7, { type: 'leaseRevoke', id: 7 }).status).to.equal('ok');
    expect(restored.range({ ...ALL }).kvs.map((kv) => dec(kv.key))).to.deep.equal(['b', 'c']);
  });
});
