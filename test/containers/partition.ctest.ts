/**
 * The container suite (`npm run test:containers`): three Concord members as Docker containers on
 * one network, faults injected through the Docker engine (pause, network disconnect, kill), and
 * the cluster observed through the HTTP gateway exactly as curl would. Named *.ctest.ts so that
 * the default mocha run (`npm test`, spec *.test.js) does not pick it up; .mocharc.containers.json
 * runs it.
 *
 * The setup (before) makes sure a Docker engine answers (installing docker.io and starting dockerd
 * as root when none does), builds the image locally without a registry, and starts the cluster.
 * Each test leaves the cluster whole again; afterEach heals whatever a failed test left broken.
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from '../helpers/eventually.js';
import { ContainerCluster, removeLeftovers } from './cluster.js';
import { ensureDockerEngine, useLoopbackForLocalEngine, type DockerEngine } from './docker-engine.js';
import { buildConcordImage } from './image.js';

const PROJECT_ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const ELECTION_TIMEOUT_MS = 500;

describe('Concord cluster in Docker containers', function () {
  this.timeout(120_000);
  let engine: DockerEngine | undefined;
  let cluster: ContainerCluster | undefined;
  const cl = (): ContainerCluster => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  };

  before(async function () {
    // a clean machine may have to install docker.io first (about a minute here)
    this.timeout(480_000);
    const t0 = Date.now();
    engine = await ensureDockerEngine();
    useLoopbackForLocalEngine(process.env);
    const t1 = Date.now();
    const image = await buildConcordImage({ projectRoot: PROJECT_ROOT });
    const t2 = Date.now();
    const removed = await removeLeftovers();
    cluster = await ContainerCluster.start({
      image: image.tag,
      size: 3,
      heartbeatIntervalMs: 50,
      electionTimeoutMs: ELECTION_TIMEOUT_MS,
    });
    const t3 = Date.now();
    console.log(
      `  containers: ${engine.how} (${t1 - t0} ms); image ${image.tag} ${image.imported ? 'imported' : 'reused'} (${t2 - t1} ms); ` +
        `${removed} leftover containers removed; 3 members up with a leader (${t3 - t2} ms)`,
    );
  });

  after(async function () {
    this.timeout(120_000);
    await cluster?.stop();
    if (process.env['CONCORD_KEEP_DOCKERD'] !== '1') await engine?.stop();
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && cluster !== undefined) console.error(await cluster.logs());
    await cluster?.heal();
  });

  const names = (): string[] => cl().members.map((m) => m.name);

  context('when three members start on one Docker network', () => {
    it('agrees on one leader across every member', async () => {
      const leader = await cl().waitForLeader(names());
      const views = await Promise.all(names().map((n) => cl().status(n)));
      const leaderId = cl().member(leader).memberId;
      for (const v of views) expect(v.leader).to.equal(leaderId);
      // three distinct members, not one member answered three times
      expect(new Set(views.map((v) => v.header.member_id)).size).to.equal(3);
    });

    it('makes a write through any member readable through every member', async () => {
      const expected: Record<string, string> = {};
      for (const writer of names()) {
        await cl().put(writer, `form/${writer}`, `by-${writer}`);
        expected[`form/${writer}`] = `by-${writer}`;
      }
      for (const reader of names()) {
        for (const [key, value] of Object.entries(expected))
          expect(await cl().get(reader, key)).to.equal(value);
      }
    });
  });

  context('when the leader container is paused longer than the election timeout', () => {
    it('elects a new leader among the others, keeps serving writes, and the old leader converges after unpause', async () => {
      const oldLeader = await cl().waitForLeader(names());
      const oldLeaderId = cl().member(oldLeader).memberId;
      const others = names().filter((n) => n !== oldLeader);
      await cl().pause(oldLeader);

      const newLeader = await cl().waitForLeader(others, { not: oldLeaderId });
      expect(others).to.include(newLeader);

      const expected: Record<string, string> = {};
      for (const n of others) {
        await cl().putEventually(n, `pause/${n}`, 'written while the old leader was frozen');
        expected[`pause/${n}`] = 'written while the old leader was frozen';
      }
      // the frozen member really is frozen: it answers nothing
      let frozenAnswered = true;
      try {
        await cl().request(oldLeader, '/v3/maintenance/status', {}, 1000);
      } catch {
        frozenAnswered = false;
      }
      expect(frozenAnswered, 'a paused member answered').to.equal(false);

      await cl().unpause(oldLeader);
      await cl().waitForLeader(names());
      await cl().waitForConverged(names(), 'pause/', expected);
      expect(await cl().get(oldLeader, 'pause/' + others[0]!)).to.equal(expected['pause/' + others[0]!]);
    });
  });

  context('when a follower is disconnected from the network', () => {
    it('keeps serving writes on the majority, and the follower converges after reconnect', async () => {
      const leader = await cl().waitForLeader(names());
      const follower = names().find((n) => n !== leader)!;
      const majority = names().filter((n) => n !== follower);
      await cl().put(leader, 'split/before', 'everyone');
      await cl().waitForConverged(names(), 'split/', { 'split/before': 'everyone' });

      await cl().disconnect(follower);
      const expected: Record<string, string> = { 'split/before': 'everyone' };
      for (const n of majority) {
        await cl().putEventually(n, `split/${n}`, 'majority only');
        expected[`split/${n}`] = 'majority only';
      }
      await cl().waitForConverged(majority, 'split/', expected);

      // the cut-off follower, asked from inside its container, still holds only the old state and
      // cannot confirm a linearizable read
      const isolatedView = await cl().dump(follower, 'split/', true);
      expect(isolatedView).to.deep.equal({ 'split/before': 'everyone' });
      let linearizableWorked = true;
      try {
        await cl().requestInside(
          follower,
          '/v3/kv/range',
          { key: Buffer.from('split/before').toString('base64') },
          2000,
        );
      } catch {
        linearizableWorked = false;
      }
      expect(linearizableWorked, 'an isolated member served a linearizable read').to.equal(false);

      await cl().connect(follower);
      await cl().waitForConverged(names(), 'split/', expected);
      await cl().waitForLeader(names());
      await cl().put(follower, 'split/after', 'whole again');
      expect(await cl().get(leader, 'split/after')).to.equal('whole again');
    });
  });

  context('when a member is killed and started again', () => {
    it('recovers what it had from its own data dir, then catches up on what it missed', async () => {
      const leader = await cl().waitForLeader(names());
      // kill a follower and then the leader in turn: both must come back
      for (const victim of [names().find((n) => n !== leader)!, leader]) {
        const prefix = `crash/${victim}/`;
        const survivors = names().filter((n) => n !== victim);
        const before: Record<string, string> = {};
        for (let i = 0; i < 20; i++) before[`${prefix}before/${i}`] = `v${i}`;
        for (const [k, v] of Object.entries(before)) await cl().put(victim, k, v);
        await cl().waitForConverged(names(), prefix, before);

        await cl().kill(victim);
        const all = { ...before };
        for (let i = 0; i < 20; i++) {
          const k = `${prefix}missed/${i}`;
          await cl().putEventually(survivors[i % 2]!, k, `m${i}`);
          all[k] = `m${i}`;
        }

        // started cut off from the network, the member can only show what its data dir holds
        await cl().disconnect(victim);
        await cl().start(victim);
        const recovered = await eventually(`${victim} to replay its log`, async () => {
          const view = await cl().dump(victim, prefix, true);
          return Object.keys(view).length >= Object.keys(before).length ? view : undefined;
        });
        expect(recovered).to.deep.equal(before);

        await cl().connect(victim);
        await cl().waitForConverged(names(), prefix, all);
        await cl().waitForLeader(names());
      }
    });
  });
});
