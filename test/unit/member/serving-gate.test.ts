/**
 * The serving gate of the initial corruption check: client requests wait until the check passed,
 * fail with UNAVAILABLE once it failed, and what the peers' checks need (HashKV, member list,
 * status) passes at once.
 */
import { expect } from 'chai';
import { ServingGate } from '../../../server/member/serving-gate.js';
import { FakeBackend } from '../../api/fake-backend.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const put = {
  key: enc('k'),
  value: enc('v'),
  lease: 0,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
};

describe('ServingGate', () => {
  it('holds requests until open, and lets HashKV, member list and status through at once', async () => {
    const inner = new FakeBackend();
    const gate = new ServingGate(inner);
    let done = false;
    const held = gate.put(put, {}).then((r) => {
      done = true;
      return r;
    });
    expect((await gate.hashKV({ revision: 0 }, {})).hashRevision).to.equal(inner.revision);
    expect((await gate.memberList({ linearizable: false }, {})).members).to.have.length(1);
    await gate.status({});
    expect(done).to.equal(false);
    expect(inner.revision).to.equal(1);
    gate.open();
    expect((await held).header.revision).to.equal(2);
    expect(inner.revision).to.equal(2);
  });

  it('holding status, reports health not ready and holds status until open (a joining member before it published itself)', async () => {
    const gate = new ServingGate(new FakeBackend(), { holdStatus: true });
    expect(gate.health().ready).to.equal(false);
    let answered = false;
    const status = gate.status({}).then(() => (answered = true));
    await gate.hashKV({ revision: 0 }, {});
    expect(answered).to.equal(false);
    gate.open();
    await status;
    expect(gate.health().ready).to.equal(undefined);
  });

  it('fails a held request with UNAVAILABLE after maxWaitMs', async () => {
    const gate = new ServingGate(new FakeBackend(), { holdStatus: true, maxWaitMs: 1 });
    const err = await gate.status({}).then(
      () => undefined,
      (e: { code?: string }) => e.code,
    );
    expect(err).to.equal('UNAVAILABLE');
  });

  it('fails held and later requests with UNAVAILABLE once refused', async () => {
    const gate = new ServingGate(new FakeBackend());
    const held = gate.txn({ compare: [], success: [], failure: [] }, {});
    gate.refuse(new Error('key-values differ from member 7'));
    const codes = await Promise.all(
      [held, gate.leaseLeases({})].map((p) =>
        p.then(
          () => 'ok',
          (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
        ),
      ),
    );
    for (const c of codes)
      expect(c).to.equal('UNAVAILABLE: this member does not serve: key-values differ from member 7');
  });

  it('ends a held request when its signal aborts', async () => {
    const gate = new ServingGate(new FakeBackend());
    const abort = new AbortController();
    const held = gate.leaseLeases({ signal: abort.signal });
    abort.abort(new Error('client went away'));
    let error: unknown;
    await held.catch((e: unknown) => (error = e));
    expect((error as Error).message).to.equal('client went away');
  });
});
