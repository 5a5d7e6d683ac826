/**
 * The other side of the request path on ports (request-path.test.ts): a real member gives its
 * backend the network piece, so its /metrics still carries the peer statistics that a backend
 * without a network leaves out.
 */
import { expect } from 'chai';
import { startTestMember, type TestMember } from '../helpers/test-member.js';

describe('a real member gives the request path its network', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  after(async () => started?.stop());

  it('exposes the peer statistics in /metrics', async () => {
    started = await startTestMember('network');
    expect(started.member.internals.core.network).to.not.equal(undefined);
    const scrape = await (await fetch(`${started.url}/metrics`)).text();
    expect(scrape).to.match(/^concord_network_peer_dropped_messages_total 0$/m);
  });
});
