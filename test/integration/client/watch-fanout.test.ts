/**
 * Watch fan-out through the real SDK against one in-process member: many watches on one
 * connection (the per-connection limit counts each live watch once), every watcher sees every
 * event once and in order, and a client with hundreds of concurrent requests on its internal
 * signals does not trip Node's MaxListenersExceededWarning.
 */
import { expect } from 'chai';
import { Client, type Watch } from '../../../client/index.js';
import type { MemberHandle } from '../../../server/index.js';
import { startTestMember, type TestMember } from '../../helpers/test-member.js';

const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Collects process 'warning' events while `body` runs. */
async function warningsDuring(body: () => Promise<void>): Promise<Error[]> {
  const seen: Error[] = [];
  const onWarning = (w: Error): void => {
    seen.push(w);
  };
  process.on('warning', onWarning);
  try {
    await body();
    // Node emits 'warning' on the next tick after the listener that crossed the limit was added.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

describe('Watch fan-out (SDK against one in-process member)', function () {
  this.timeout(60_000);
  let started: TestMember | undefined;
  let member: MemberHandle;

  before(async () => {
    started = await startTestMember('f1');
    ({ member } = started);
  });

  after(async () => started?.stop());

  const newClient = (): Client => new Client({ endpoints: [...member.clientUrls], requestTimeoutMs: 10_000 });

  describe('#watch', () => {
    context('when 1000 watches are created on one connection, 50 at a time', () => {
      it('creates every one of them (the limit of 1024 counts each watch once)', async () => {
        await using client = newClient();
        const watches: Watch[] = [];
        for (let i = 0; i < 1000; i += 50) {
          const batch = Array.from({ length: 50 }, () => client.watch({ prefix: 'many/' }));
          watches.push(...batch);
          await Promise.all(batch.map((w) => w.ready()));
        }
        expect(watches).to.have.length(1000);
        await Promise.all(watches.map((w) => w.close()));
      });
    });

    context('when many watchers share one prefix and one connection', () => {
      it('delivers every put to every watcher once, in revision order', async () => {
        await using client = newClient();
        await using writer = newClient();
        const watchers = 200;
        const puts = 30;
        const watches = Array.from({ length: watchers }, () => client.watch({ prefix: 'fan/' }));
        await Promise.all(watches.map((w) => w.ready()));
        const seen = watches.map(async (w) => {
          const got: string[] = [];
          let lastRevision = 0;
          for await (const batch of w) {
            for (const e of batch.events) {
              expect(e.kv.modRevision).to.be.greaterThan(lastRevision);
              lastRevision = e.kv.modRevision;
              got.push(`${dec(e.kv.key)}=${dec(e.kv.value)}`);
            }
            if (got.length >= puts) break;
          }
          return got;
        });
        for (let i = 0; i < puts; i++) await writer.put(`fan/${i % 7}`, `v${i}`);
        const expected = Array.from({ length: puts }, (_, i) => `fan/${i % 7}=v${i}`);
        for (const got of await Promise.all(seen)) expect(got).to.deep.equal(expected);
      });
    });
  });

  describe('Connection#request', () => {
    context('when hundreds of reads, watch creates and keep-alives are in flight at once', () => {
      it('emits no MaxListenersExceededWarning', async () => {
        const warnings = await warningsDuring(async () => {
          await using client = newClient();
          const watches = Array.from({ length: 300 }, (_, i) => client.watch({ key: `w/${i}` }));
          const shared = new AbortController();
          await Promise.all(
            Array.from({ length: 100 }, (_, i) => client.get(`w/${i}`, { signal: shared.signal })),
          );
          const leases = await Promise.all(Array.from({ length: 20 }, () => client.lease.grant(30)));
          const keepAlives = await Promise.all(leases.map((l) => client.lease.keepAlive(l.id)));
          await Promise.all(watches.map((w) => w.ready()));
          await Promise.all([...watches.map((w) => w.close()), ...keepAlives.map((k) => k.revoke())]);
        });
        const names = warnings.map((w) => `${w.name}: ${w.message}`);
        expect(names.filter((n) => n.includes('MaxListenersExceeded'))).to.deep.equal([]);
      });
    });
  });
});
