/**
 * A 3-member cluster with access control on survives the fault suite's nemesis (kill -9 of the
 * leader and of any member, partitions, one-way loss) for 40 s: register workers authenticated
 * as a user limited to the workload's keys record a history that must be linearizable, every key
 * is readable after healing, and auth is still on and enforced on every member (members killed
 * and restarted came back with the users, roles and permissions). FAULT_SEED replays a run.
 */
import { expect } from 'chai';
import { Client, PermissionDeniedError } from '../../client/index.js';
import { checkLinearizable, Verdict } from '../check/linearizability.js';
import { ClusterHarness } from '../cluster/harness.js';
import { rejectionOf } from '../helpers/rejection.js';
import { Nemesis } from './nemesis.js';
import { FAULT_RUN_DEFAULTS } from './run.js';
import { SdkRegisterClient } from './sdk-register-client.js';
import { RegisterWorkload } from './workload.js';

const WORKER = { username: 'worker', password: 'workerpw' } as const;

describe('fault suite with auth on (real processes)', function () {
  this.timeout(240_000);

  it('keeps a linearizable history and auth enforced through kill -9 and partitions', async () => {
    const seed =
      process.env['FAULT_SEED'] !== undefined
        ? Number(process.env['FAULT_SEED'])
        : Math.floor(Math.random() * 2 ** 31);
    const electionTimeoutMs = FAULT_RUN_DEFAULTS.electionTimeoutMs;
    const h = await ClusterHarness.start({ size: 3, electionTimeoutMs });
    const endpoints = h.members.map((m) => m.clientUrl);
    const requestTimeoutMs = 4 * electionTimeoutMs;
    const clients: SdkRegisterClient[] = [];
    try {
      {
        await using admin = new Client({ endpoints });
        await admin.auth.userAdd('root', 'rootpw');
        await admin.auth.userGrantRole('root', 'root');
        await admin.auth.roleAdd('register');
        // The workload's keys are k0 … k9: the role covers [k, l), nothing else.
        await admin.auth.roleGrantPermission('register', { type: 'readwrite', key: 'k', prefix: true });
        await admin.auth.userAdd(WORKER.username, WORKER.password);
        await admin.auth.userGrantRole(WORKER.username, 'register');
        await admin.auth.enable();
      }
      const workload = new RegisterWorkload({
        workers: 6,
        keys: 6,
        requestTimeoutMs,
        seed,
        clientsFor: () => {
          const c = new SdkRegisterClient(endpoints, requestTimeoutMs, WORKER);
          clients.push(c);
          return [c];
        },
      });
      const nemesis = new Nemesis(h, {
        kinds: ['kill-leader', 'kill-random', 'isolate-leader', 'split', 'one-way'],
        seed,
        electionTimeoutMs,
        holdMs: [1200, 2500],
        quietMs: [500, 1200],
      });
      workload.start();
      nemesis.start();
      await new Promise((resolve) => setTimeout(resolve, 40_000));
      await nemesis.stop();
      await workload.stop();
      await h.waitForLeader(30_000);
      const reader = new SdkRegisterClient(endpoints, 10_000, WORKER);
      clients.push(reader);
      const keysRead = await workload.finalReads(reader);

      const replay = `seed ${seed} (FAULT_SEED=${seed} replays it)`;
      const history = workload.history;
      const ok = history.filter((op) => op.outcome === 'ok').length;
      const kills = nemesis.faults.filter((f) => f.kind.startsWith('kill')).length;
      console.log(
        `      auth on: ${history.length} ops, ${ok} ok, ${nemesis.faults.length} faults (${kills} kill -9), ${replay}`,
      );
      const verdict = checkLinearizable(history);
      expect(verdict.verdict, `${replay}\n${JSON.stringify(verdict.failed ?? {}).slice(0, 2000)}`).to.equal(
        Verdict.Linearizable,
      );
      expect(keysRead, 'every key readable after healing').to.equal(6);
      expect(ok, replay).to.be.at.least(200);
      expect(nemesis.faults.length, replay).to.be.at.least(5);

      // Every member, restarted or not, still has auth on and enforces it.
      for (const url of endpoints) {
        await using anonymous = new Client({ endpoints: [url], routing: 'any' });
        expect((await anonymous.auth.status()).enabled, url).to.equal(true);
        expect(
          (await rejectionOf(anonymous.get('k0', { serializable: true }))) as { code?: string },
        ).to.have.property('code', 'USER_EMPTY');
        await using worker = new Client({ endpoints: [url], routing: 'any', auth: WORKER });
        expect(await rejectionOf(worker.put('other', 'x'))).to.be.instanceOf(PermissionDeniedError);
        expect(await worker.get('k0', { serializable: true })).to.not.equal(undefined);
      }
    } finally {
      for (const c of clients) await c.close();
      await h.stop();
    }
  });
});
