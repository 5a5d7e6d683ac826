/**
 * Debian's `etcdctl` (package etcd-client, ETCDCTL_API=3) against a 3-member Concord over gRPC,
 * unmodified, with the outputs etcd prints for the same commands written out (etcdctl-control.test.ts
 * runs a longer script against etcd itself and compares; etcd3-control.test.ts runs the `etcd3`
 * npm client against both).
 *
 * Without etcdctl the etcdctl half cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere it is skipped with a loud message saying how to install it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { ClusterHarness } from '../../cluster/harness.js';
import { ETCDCTL, requireEtcdctl, runEtcdctl, type EtcdctlRun } from '../../helpers/etcdctl.js';
import { eventually } from '../../helpers/eventually.js';

describe('etcd clients over gRPC against a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: ClusterHarness;
  /** host:port of every member (etcdctl's --endpoints form). */
  let endpoints: string[];
  let followerEndpoint: string;

  before(async () => {
    cluster = await ClusterHarness.start({ size: 3 });
    const leader = await cluster.waitForLeader();
    endpoints = cluster.members.map((m) => m.clientUrl.replace(/^http:\/\//, ''));
    const follower = cluster.members.find((m) => m.name !== leader)!;
    followerEndpoint = follower.clientUrl.replace(/^http:\/\//, '');
  });
  after(async () => cluster?.stop());

  /** Runs etcdctl against every member; `input` is its stdin. */
  function etcdctl(
    args: readonly string[],
    input?: string,
    eps: readonly string[] = endpoints,
  ): Promise<EtcdctlRun> {
    return runEtcdctl(eps, args, input);
  }

  async function ok(args: readonly string[], input?: string, eps?: readonly string[]): Promise<string> {
    const r = await etcdctl(args, input, eps);
    expect(r.code, `etcdctl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  }

  describe('etcdctl', () => {
    before(function () {
      requireEtcdctl(this);
    });

    it('put, get (--prefix, --rev, -w json) and del --prev-kv', async () => {
      expect(await ok(['put', 'ctl/a', 'one'])).to.equal('OK\n');
      expect(await ok(['put', 'ctl/b', 'two'])).to.equal('OK\n');
      expect(await ok(['get', 'ctl/a'])).to.equal('ctl/a\none\n');
      expect(await ok(['get', '--prefix', 'ctl/'])).to.equal('ctl/a\none\nctl/b\ntwo\n');
      const json = JSON.parse(await ok(['get', 'ctl/a', '-w', 'json'])) as {
        header: { cluster_id: number; member_id: number; revision: number; raft_term: number };
        kvs: { key: string; value: string; create_revision: number; mod_revision: number; version: number }[];
        count: number;
      };
      expect(json.count).to.equal(1);
      expect(Buffer.from(json.kvs[0]!.value, 'base64').toString()).to.equal('one');
      expect(json.header.cluster_id).to.be.greaterThan(0);
      expect(json.header.raft_term).to.be.greaterThan(0);
      const firstRev = json.kvs[0]!.mod_revision;
      expect(await ok(['put', 'ctl/a', 'uno'])).to.equal('OK\n');
      expect(await ok(['get', 'ctl/a', `--rev=${firstRev}`])).to.equal('ctl/a\none\n');
      expect(await ok(['get', 'ctl/a'])).to.equal('ctl/a\nuno\n');
      expect(await ok(['del', '--prev-kv', 'ctl/a'])).to.equal('1\nctl/a\nuno\n');
      expect(await ok(['get', 'ctl/a'])).to.equal('');
    });

    it('txn from stdin takes the branch its compares decide', async () => {
      await ok(['put', 'txn/k', 'v1']);
      const script = 'value("txn/k") = "v1"\n\nput txn/k v2\nput txn/other x\n\nput txn/k failed\n\n';
      expect(await ok(['txn'], script)).to.equal('SUCCESS\n\nOK\n\nOK\n');
      expect(await ok(['get', 'txn/k'])).to.equal('txn/k\nv2\n');
      expect(await ok(['txn'], script)).to.equal('FAILURE\n\nOK\n');
      expect(await ok(['get', 'txn/k'])).to.equal('txn/k\nfailed\n');
    });

    it('watch --prefix --rev replays history, then streams new events', async () => {
      const first = JSON.parse(await ok(['put', 'w/1', 'a', '-w', 'json'])) as {
        header: { revision: number };
      };
      await ok(['put', 'w/2', 'b']);
      await ok(['del', 'w/1']);
      const child = spawn(
        ETCDCTL,
        [`--endpoints=${endpoints.join(',')}`, 'watch', '--prefix', 'w/', `--rev=${first.header.revision}`],
        { env: { ...process.env, ETCDCTL_API: '3' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      try {
        // Three historical events, then one made after the watch is running.
        await eventually('the history replayed', () => (out.split('\n').length > 8 ? true : undefined));
        await ok(['put', 'w/3', 'c']);
        await eventually('the new event', () => (out.includes('w/3\nc\n') ? true : undefined));
        expect(out).to.equal('PUT\nw/1\na\nPUT\nw/2\nb\nDELETE\nw/1\n\nPUT\nw/3\nc\n');
      } finally {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      }
    });

    it('lease grant, timetolive --keys, revoke; a revoked lease is not found', async () => {
      const granted = await ok(['lease', 'grant', '60']);
      const id = /lease ([0-9a-f]+) granted with TTL\(60s\)/.exec(granted)?.[1];
      expect(id, granted).to.be.a('string');
      await ok(['put', 'leased/k', 'v', `--lease=${id}`]);
      expect(await ok(['lease', 'timetolive', '--keys', id!])).to.match(
        new RegExp(
          `^lease ${id} granted with TTL\\(60s\\), remaining\\(\\d+s\\), attached keys\\(\\[leased/k\\]\\)\\n$`,
        ),
      );
      expect(await ok(['lease', 'list'])).to.contain(id);
      // Renewed through a follower, which sends it on to the leader.
      expect(await ok(['lease', 'keep-alive', '--once', id!], undefined, [followerEndpoint])).to.equal(
        `lease ${id} keepalived with TTL(60)\n`,
      );
      expect(await ok(['lease', 'revoke', id!])).to.equal(`lease ${id} revoked\n`);
      expect(await ok(['get', 'leased/k'])).to.equal('');
      expect(await ok(['lease', 'timetolive', id!])).to.equal(`lease ${id} already expired\n`);
      const again = await etcdctl(['lease', 'revoke', id!]);
      expect(again.code).to.not.equal(0);
      expect(again.stderr).to.contain('etcdserver: requested lease not found');
    });

    it('member list and endpoint status name the same members and one leader', async () => {
      const members = (await ok(['member', 'list'])).trim().split('\n');
      expect(members).to.have.length(3);
      for (const line of members)
        expect(line).to.match(/^[0-9a-f]+, started, m\d, http:\/\/\S+, http:\/\/\S+, false$/);
      const status = JSON.parse(await ok(['endpoint', 'status', '-w', 'json'])) as {
        Endpoint: string;
        Status: { header: { member_id: number }; leader: number; raftTerm: number };
      }[];
      expect(status.map((s) => s.Endpoint).sort()).to.deep.equal([...endpoints].sort());
      const leaders = new Set(status.map((s) => s.Status.leader));
      expect(leaders.size).to.equal(1);
      const ids = members.map((line) => BigInt(`0x${line.split(',')[0]!}`));
      expect(ids).to.deep.include(BigInt([...leaders][0]!));
    });

    it("compaction: an older revision is refused with etcd's error", async () => {
      const r1 = JSON.parse(await ok(['put', 'c/k', 'v1', '-w', 'json'])) as { header: { revision: number } };
      const r2 = JSON.parse(await ok(['put', 'c/k', 'v2', '-w', 'json'])) as { header: { revision: number } };
      expect(await ok(['compact', String(r2.header.revision)])).to.equal(
        `compacted revision ${r2.header.revision}\n`,
      );
      const old = await etcdctl(['get', 'c/k', `--rev=${r1.header.revision}`]);
      expect(old.code).to.not.equal(0);
      expect(old.stderr).to.contain('etcdserver: mvcc: required revision has been compacted');
    });
  });
});
