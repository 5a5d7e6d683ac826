/**
 * Against an address where nothing listens, `ready()` and a call fail once every endpoint has
 * been tried (connectRounds), saying why (`ECONNREFUSED 127.0.0.1:port`) in the message: not a
 * generic timeout after requestTimeoutMs, and not only in `cause`.
 */
import { expect } from 'chai';
import { Client, RequestTimeoutError, UnreachableError } from '../../../client/index.js';
import { freePort } from '../../helpers/ports.js';
import { rejectionOf } from '../../helpers/rejection.js';

describe('Client against an endpoint where nothing listens', function () {
  this.timeout(60_000);

  it('rejects ready() and a put with UnreachableError naming ECONNREFUSED and the address', async () => {
    const port = await freePort();
    // A deadline the test would notice: the failure must come from the connection attempts.
    await using client = new Client({ endpoints: [`127.0.0.1:${port}`], requestTimeoutMs: 30_000 });
    const notReady = await rejectionOf(client.ready());
    expect(notReady).to.be.instanceOf(UnreachableError);
    expect((notReady as Error).message).to.include(`ECONNREFUSED 127.0.0.1:${port}`);
    expect((notReady as UnreachableError).retryable).to.equal(true);
    expect((notReady as UnreachableError).code).to.equal('UNAVAILABLE');
    const put = await rejectionOf(client.put('k', 'v'));
    expect(put).to.be.instanceOf(UnreachableError);
    expect(put).to.not.be.instanceOf(RequestTimeoutError);
    expect((put as Error).message).to.include(`ECONNREFUSED 127.0.0.1:${port}`);
    expect((put as UnreachableError).failures[0]?.code).to.equal('ECONNREFUSED');
  });
});
