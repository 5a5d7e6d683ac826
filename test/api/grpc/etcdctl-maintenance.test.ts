/**
 * Debian's `etcdctl` (3.4) against a 3-member Concord over gRPC for the maintenance and membership
 * commands: `endpoint hashkv`, `alarm list` / `alarm disarm`, `defrag`, `move-leader`
 * and `member update`, with the output etcdctl prints against etcd.
 *
 * Without etcdctl this suite cannot run: under CI (CI=true) that is a failure, since .ci/run
 * installs it; elsewhere it is skipped with a loud message saying how to install it.
 */
import { expect } from 'chai';
import { ClusterHarness } from '../../cluster/harness.js';
import { requireEtcdctl, runEtcdctl, type EtcdctlRun } from '../../helpers/etcdctl.js';
import { eventually } from '../../helpers/eventually.js';

describe('etcdctl maintenance and membership commands against a 3-member cluster', function () {
  this.timeout(120_000);
  let cluster: ClusterHarness;
  let endpoints: string[];

  before(async function () {
    requireEtcdctl(this);
    cluster = await ClusterHarness.start({ size: 3 });
    await cluster.waitForLeader();
    endpoints = cluster.members.map((m) => m.clientUrl.replace(/^http:\/\//, ''));
    // Every member has published its client URLs (--cluster reads them from member list).
    await eventually('client URLs published', async () => {
      const list = await cluster.request<{ members: { clientURLs?: string[] }[] }>(
        'm1',
        '/v3/cluster/member/list',
        { linearizable: true },
      );
      return list.members.every((m) => (m.clientURLs ?? []).length > 0) ? true : undefined;
    });
  });
  after(async () => cluster?.stop());

  function etcdctl(args: readonly string[], eps: readonly string[] = endpoints): Promise<EtcdctlRun> {
    return runEtcdctl(eps, args);
  }

  async function ok(args: readonly string[], eps?: readonly string[]): Promise<string> {
    const r = await etcdctl(args, eps);
    expect(r.code, `etcdctl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
    return r.stdout;
  }

  const memberIds = async (): Promise<Map<string, string>> => {
    const lines = (await ok(['member', 'list'])).trim().split('\n');
    return new Map(lines.map((l) => [l.split(', ')[2]!, l.split(', ')[0]!]));
  };

  // These tests name every endpoint (host:port); the --cluster forms, which dial the members'
  // published URLs (http://host:port, sent as the HTTP/2 :authority and passed through the
  // authority shim), are compared with etcd's in etcdctl-control.test.ts.
  it('endpoint hashkv: one line per endpoint, the same hash on each', async () => {
    for (let i = 0; i < 10; i++) await ok(['put', `hk/${i}`, `v${i}`]);
    const rows = await eventually('every member at the same revision', async () => {
      const out = (await ok(['endpoint', 'hashkv'])).trim().split('\n');
      const hashes = new Set(out.map((l) => l.split(', ')[1]));
      return out.length === 3 && hashes.size === 1 ? out : undefined;
    });
    for (const row of rows) expect(row).to.match(/^127\.0\.0\.1:\d+, \d+$/);
    const json = JSON.parse(await ok(['endpoint', 'hashkv', '-w', 'json', '--rev=3'])) as {
      Endpoint: string;
      HashKV: { header: { member_id: number }; hash: number; compact_revision?: number };
    }[];
    expect(json.map((j) => j.Endpoint).sort()).to.deep.equal([...endpoints].sort());
    expect(new Set(json.map((j) => j.HashKV.hash)).size).to.equal(1);
    expect(json[0]!.HashKV.hash).to.be.a('number');
  });

  it('alarm list shows a raised alarm, alarm disarm clears it', async () => {
    expect(await ok(['alarm', 'list'])).to.equal('');
    const raised = await cluster.request<{ alarms: { memberID: string }[] }>('m2', '/v3/maintenance/alarm', {
      action: 'ACTIVATE',
      alarm: 'NOSPACE',
      memberID: '0',
    });
    const id = raised.alarms[0]!.memberID;
    expect(await ok(['alarm', 'list'])).to.equal(`memberID:${id} alarm:NOSPACE \n`);
    expect(await ok(['alarm', 'disarm'])).to.equal(`memberID:${id} alarm:NOSPACE \n`);
    expect(await ok(['alarm', 'list'])).to.equal('');
  });

  it('defrag: each endpoint', async () => {
    expect(await ok(['defrag'], [endpoints[0]!])).to.equal(
      `Finished defragmenting etcd member[${endpoints[0]!}]\n`,
    );
    const lines = (await ok(['defrag'])).trim().split('\n').sort();
    expect(lines).to.deep.equal(endpoints.map((ep) => `Finished defragmenting etcd member[${ep}]`).sort());
  });

  it('move-leader hands leadership to the named member', async () => {
    const leader = await cluster.waitForLeader();
    const ids = await memberIds();
    const target = [...ids.keys()].find((n) => n !== leader)!;
    expect(await ok(['move-leader', ids.get(target)!])).to.equal(
      `Leadership transferred from ${ids.get(leader)!} to ${ids.get(target)!}\n`,
    );
    expect(await cluster.waitForLeader()).to.equal(target);
    const bad = await etcdctl(['move-leader', 'abc123']);
    expect(bad.code).to.not.equal(0);
    expect(bad.stderr).to.contain('etcdserver: bad leader transferee');
  });

  it('member update replaces the peer URLs, and the cluster keeps committing', async () => {
    const m3 = cluster.member('m3');
    const ids = await memberIds();
    // The member's own peer listener, behind the proxy the harness advertised: still reachable.
    const direct = m3.args[m3.args.indexOf('--listen-peer-urls') + 1]!;
    expect(await ok(['member', 'update', ids.get('m3')!, `--peer-urls=${direct}`])).to.match(
      new RegExp(`^Member +${ids.get('m3')!} updated in cluster +[0-9a-f]+\\n$`),
    );
    const lines = (await ok(['member', 'list'])).trim().split('\n');
    expect(lines.find((l) => l.includes(', m3, '))).to.contain(`, ${direct}, `);
    // The other members now dial m3's new URL: with its old one (the proxy) cut, it still
    // receives the leader's entries.
    m3.proxy.block();
    try {
      await ok(['put', 'after-update', '1']);
      await eventually('m3 applies a write sent after the update', async () =>
        (await cluster.get('m3', 'after-update', true)) === '1' ? true : undefined,
      );
    } finally {
      m3.proxy.unblock();
    }
    const missing = await etcdctl(['member', 'update', 'abc123', '--peer-urls=http://127.0.0.1:1']);
    expect(missing.code).to.not.equal(0);
    expect(missing.stderr).to.contain('etcdserver: member not found');
  });
});
