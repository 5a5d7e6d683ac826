/**
 * Real members as separate processes on 127.0.0.x, talking through TCP proxies the tests control,
 * driven through the etcd-compatible HTTP gateway exactly as curl would.
 */
import { expect } from 'chai';
import { eventually } from '../helpers/eventually.js';
import { b64, ClusterHarness } from './harness.js';

describe('cluster (real processes)', function () {
  this.timeout(120_000);

  describe('forming', () => {
    it('forms a 3-member cluster where writes through every member are readable through every member', async () => {
      const h = await ClusterHarness.start({ size: 3 });
      try {
        for (const m of h.members) await h.put(m.name, `from-${m.name}`, `value-${m.name}`);
        for (const reader of h.members) {
          for (const writer of h.members)
            expect(await h.get(reader.name, `from-${writer.name}`)).to.equal(`value-${writer.name}`);
        }
        const list = await h.request<{ members: { name: string; clientURLs?: string[] }[] }>(
          'm1',
          '/v3/cluster/member/list',
          {},
        );
        expect(list.members.map((m) => m.name).sort()).to.deep.equal(['m1', 'm2', 'm3']);
      } catch (err) {
        console.error(h.logs());
        throw err;
      } finally {
        await h.stop();
      }
    });

    it('forms a 5-member cluster from --initial-cluster', async () => {
      const h = await ClusterHarness.start({ size: 5 });
      try {
        await h.put('m5', 'five', '5');
        for (const m of h.members) expect(await h.get(m.name, 'five')).to.equal('5');
      } finally {
        await h.stop();
      }
    });
  });

  describe('failures', () => {
    let h: ClusterHarness;
    beforeEach(async () => {
      // 50 entries kept after a snapshot (default 50,000): missing 250 writes needs a snapshot.
      h = await ClusterHarness.start({
        size: 3,
        snapshotCount: 100,
        extraArgs: ['--snapshot-catchup-entries', '50'],
      });
    });
    afterEach(async function () {
      if (this.currentTest?.state === 'failed') console.error(h.logs());
      await h.stop();
    });

    it('survives kill -9 of the leader during a stream of writes: every acknowledged write is kept', async () => {
      const leader = await h.waitForLeader();
      const acked: string[] = [];
      let stop = false;
      const writers = h.members.map(async (m) => {
        for (let i = 0; !stop; i++) {
          const key = `w/${m.name}/${i}`;
          try {
            await h.put(m.name, key, 'x');
            acked.push(key);
          } catch {
            // unavailable or the member is dead: the outcome is unknown, it is not counted
          }
        }
      });
      await eventually('some writes before the kill', () => (acked.length >= 30 ? true : undefined));
      await h.kill(leader);
      const ackedAtKill = acked.length;
      await eventually('writes continue after the kill', () =>
        acked.length >= ackedAtKill + 30 ? true : undefined,
      );
      const newLeader = await h.waitForLeader();
      expect(newLeader).to.not.equal(leader);
      stop = true;
      await Promise.all(writers);
      h.restart(leader);
      for (const m of h.members) {
        await eventually(`${m.name} has every acknowledged write`, async () => {
          const { kvs } = await h.dump(m.name, 'w/');
          return acked.every((k) => kvs[k] === 'x') ? true : undefined;
        });
      }
    });

    it('lets a member restarted while cut off from its peers serve what it knew was committed', async () => {
      const leader = await h.waitForLeader();
      const follower = h.members.find((m) => m.name !== leader)!.name;
      const expected: Record<string, string> = {};
      for (let i = 0; i < 20; i++) {
        await h.put(leader, `cut/${i}`, String(i));
        expected[`cut/${i}`] = String(i);
      }
      // one more write, seen applied on the follower: the synced write of its entry records a
      // commit index that covers every key above (the marker's own commit may be lost)
      await h.put(leader, 'cut-marker', 'm');
      await eventually('the follower applied the marker', async () =>
        (await h.get(follower, 'cut-marker', true)) === 'm' ? true : undefined,
      );
      await h.kill(follower);
      h.isolate(follower);
      h.restart(follower);
      const seen = await eventually('the cut-off member serves its own data', async () => {
        const { kvs } = await h.dump(follower, 'cut/');
        return Object.keys(kvs).length >= 20 ? kvs : undefined;
      });
      expect(seen).to.deep.equal(expected);
      h.heal();
    });

    it('catches a member up by snapshot after it missed more than --snapshot-catchup-entries entries', async () => {
      const leader = await h.waitForLeader();
      const follower = h.members.find((m) => m.name !== leader)!.name;
      await h.kill(follower);
      for (let i = 0; i < 250; i++) await h.put(leader, `s/${i}`, String(i));
      h.restart(follower);
      await eventually('the restarted member has the last write', async () =>
        (await h.get(follower, 's/249', true)) === '249' ? true : undefined,
      );
      expect(await h.metric(follower, 'concord_server_snapshots_restored_total')).to.be.greaterThan(0);
    });

    it('keeps keys, revision and leases when every member restarts (leases with fresh TTLs)', async () => {
      const leader = await h.waitForLeader();
      const lease = await h.request<{ ID: string }>(leader, '/v3/lease/grant', { TTL: '60' });
      await h.request(leader, '/v3/kv/put', { key: b64('leased'), value: b64('v'), lease: lease.ID });
      for (let i = 0; i < 20; i++) await h.put(leader, `r/${i}`, String(i));
      const before = await h.dump(leader);
      for (const m of h.members) await h.kill(m.name);
      for (const m of h.members) h.restart(m.name);
      const again = await h.waitForLeader();
      await eventually('state restored', async () => {
        const after = await h.dump(again);
        return after.revision === before.revision ? after : undefined;
      });
      expect((await h.dump(again)).kvs).to.deep.equal(before.kvs);
      const ttl = await h.request<{ TTL?: string; grantedTTL?: string }>(again, '/v3/lease/timetolive', {
        ID: lease.ID,
      });
      expect(Number(ttl.grantedTTL)).to.equal(60);
      expect(Number(ttl.TTL)).to.be.greaterThan(50);
    });

    it('steps a partitioned leader down; the majority keeps serving; the minority refuses; all converge after healing', async () => {
      const leader = await h.waitForLeader();
      h.isolate(leader);
      const majority = h.members.filter((m) => m.name !== leader).map((m) => m.name);
      await eventually('the old leader steps down', async () => {
        const st = await h.status(leader);
        return st.leader !== st.header.member_id ? true : undefined;
      });
      const newLeader = await eventually('a leader on the majority side', async () => {
        const st = await h.status(majority[0]!);
        const idx = h.members.findIndex(
          (m) => m.name !== leader && st.leader !== '0' && st.leader !== undefined,
        );
        return idx >= 0 && st.leader !== (await h.status(leader)).header.member_id ? st.leader : undefined;
      });
      expect(newLeader).to.be.a('string');
      await h.put(majority[0]!, 'during-partition', 'majority');
      let refusedWrite = false;
      try {
        await h.put(leader, 'minority-write', 'x');
      } catch {
        refusedWrite = true;
      }
      let refusedRead = false;
      try {
        await h.get(leader, 'during-partition');
      } catch {
        refusedRead = true;
      }
      expect(refusedWrite, 'the minority refused a write').to.equal(true);
      expect(refusedRead, 'the minority refused a linearizable read').to.equal(true);
      h.heal();
      await eventually('every member converges', async () => {
        const dumps = await Promise.all(h.members.map((m) => h.dump(m.name)));
        const first = JSON.stringify(dumps[0]);
        return dumps.every((d) => JSON.stringify(d) === first) &&
          dumps[0]!.kvs['during-partition'] === 'majority'
          ? true
          : undefined;
      });
    });
  });

  describe('restarts', () => {
    it('catches a member up from the log, not a snapshot, after the others restarted meanwhile', async () => {
      // A snapshot every 20 entries, 50 kept before each: the 40 writes the follower misses cross
      // at least one of the leader's snapshots, and stay inside the window kept before it.
      const h = await ClusterHarness.start({
        size: 3,
        snapshotCount: 20,
        extraArgs: ['--snapshot-catchup-entries', '50'],
      });
      try {
        const leader = await h.waitForLeader();
        const follower = h.members.find((m) => m.name !== leader)!.name;
        await h.kill(follower);
        for (let i = 0; i < 40; i++) await h.put(leader, `w/${i}`, String(i));
        expect(await h.metric(leader, 'concord_server_snapshots_taken_total')).to.be.greaterThan(0);
        const others = h.members.filter((m) => m.name !== follower).map((m) => m.name);
        for (const m of others) await h.kill(m);
        for (const m of others) h.restart(m);
        await h.waitForLeader();
        h.restart(follower);
        await eventually('the restarted member has the last write', async () =>
          (await h.get(follower, 'w/39', true).catch(() => undefined)) === '39' ? true : undefined,
        );
        expect(await h.metric(follower, 'concord_server_snapshots_restored_total')).to.equal(0);
      } catch (err) {
        console.error(h.logs());
        throw err;
      } finally {
        await h.stop();
      }
    });
  });
});
